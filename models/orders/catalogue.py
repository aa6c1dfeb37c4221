"""Service catalogue (服务项目需求库): what residents can order and what it is worth."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
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


# ---------------------------------------------------------------- administration


async def all_categories(ctx: Context) -> dict[ObjectId, dict[str, Any]]:
    """Every category, inactive ones too (the admin catalogue and old orders' names)."""
    return {doc["_id"]: doc async for doc in ctx.db.service_categories.find({}).sort("code", 1)}


def invalidate(ctx: Context) -> None:
    """Drop this process's cached catalogue; other processes refresh within 30 s."""
    ctx.cache.pop("categories", None)


CATEGORY_FIELDS = (
    "name",
    "description",
    "skills",
    "base_points",
    "service_hours",
    "sla_hours",
    "active",
)


async def update_category(
    ctx: Context, category_id: ObjectId, changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply `changes` (only CATEGORY_FIELDS); returns (before, after). Orders already
    placed keep the points and SLA they were placed with."""
    before = await ctx.db.service_categories.find_one({"_id": category_id})
    if before is None:
        raise NotFound("找不到该服务项目", code="category_not_found")
    fields = {k: v for k, v in changes.items() if k in CATEGORY_FIELDS}
    if fields:
        fields["updated_at"] = ctx.now()
        await ctx.db.service_categories.update_one({"_id": category_id}, {"$set": fields})
    invalidate(ctx)
    return before, {**before, **fields}


async def add_category(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    from pymongo.errors import DuplicateKeyError

    from server.errors import Conflict

    try:
        doc = await create_category(
            ctx,
            code=data["code"],
            name=data["name"],
            skills=data.get("skills", []),
            base_points=data["base_points"],
            service_hours=data["service_hours"],
            sla_hours=data["sla_hours"],
            description=data.get("description", ""),
        )
    except DuplicateKeyError:
        raise Conflict(
            "该编码已被使用", code="category_exists", fields={"code": "编码已存在"}
        ) from None
    invalidate(ctx)
    return doc
