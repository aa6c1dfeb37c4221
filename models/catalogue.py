"""Service catalogue (服务项目需求库): what residents can order and what it is worth."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.context import Context
from server.errors import NotFound


async def create_category(
    ctx: Context,
    *,
    code: str,
    name: str,
    skills: list[str],
    base_points: int,
    service_hours: float,
    sla_hours: int,
    description: str = "",
) -> dict[str, Any]:
    doc = {
        "_id": ObjectId(),
        "code": code,
        "name": name,
        "description": description,
        "skills": skills,
        "base_points": base_points,
        "service_hours": service_hours,
        "sla_hours": sla_hours,
        "active": True,
    }
    await ctx.db.service_categories.insert_one(doc)
    ctx.cache.pop("categories", None)
    return doc


async def active_categories(ctx: Context) -> dict[ObjectId, dict[str, Any]]:
    """Cached per process for 30 s: the catalogue is read on every order and rarely edited."""
    cached = ctx.cache.get("categories")
    now = ctx.now()
    if cached and (now - cached[0]).total_seconds() < 30:
        return cached[1]
    cats = {
        doc["_id"]: doc
        async for doc in ctx.db.service_categories.find({"active": True}).sort("code", 1)
    }
    ctx.cache["categories"] = (now, cats)
    return cats


async def get_category(ctx: Context, category_id: ObjectId) -> dict[str, Any]:
    cats = await active_categories(ctx)
    cat = cats.get(category_id)
    if cat is None:
        raise NotFound("找不到该服务项目", code="category_not_found")
    return cat


def category_json(cat: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(cat["_id"]),
        "code": cat["code"],
        "name": cat["name"],
        "description": cat.get("description", ""),
        "skills": cat["skills"],
        "base_points": cat["base_points"],
        "service_hours": cat["service_hours"],
        "sla_hours": cat["sla_hours"],
    }
