"""Service catalogue (服务项目需求库): what residents can order and what it is worth."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core.context import Context
from models.ops import audit
from models.people.users import Actor
from server.errors import Conflict, NotFound, ValidationFailed


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
    ctx.forget("categories")
    return doc


async def active_categories(ctx: Context) -> dict[ObjectId, dict[str, Any]]:
    """Cached per process for 30 s: the catalogue is read on every order and rarely edited."""

    async def load() -> dict[ObjectId, dict[str, Any]]:
        found = ctx.db.service_categories.find({"active": True}).sort("code", 1)
        return {doc["_id"]: doc async for doc in found}

    return await ctx.cached("categories", load)


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
    ctx.forget("categories")


CATEGORY_FIELDS = (
    "name",
    "description",
    "skills",
    "base_points",
    "service_hours",
    "sla_hours",
    "active",
)


def parse_skills(text: str) -> list[str]:
    """Skills typed as one line (、 , ， ; ； / or spaces between them), at most 20."""
    return [x for x in (p.strip() for p in re.split(r"[、,，;；/\s]+", text)) if x][:20]


def _require_skills(skills: list[str]) -> None:
    """A category nobody can be matched to is useless: at least one skill, on create and edit."""
    if not skills:
        raise ValidationFailed(fields={"skills": "至少填写一项技能"})


def _public(cat: dict[str, Any]) -> dict[str, Any]:
    return {k: cat.get(k) for k in ("code", *CATEGORY_FIELDS)}


async def update_category(
    ctx: Context, actor: Actor, category_id: ObjectId, changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply `changes` (only CATEGORY_FIELDS), audited; returns (before, after). Orders
    already placed keep the points and SLA they were placed with."""
    if "skills" in changes:
        _require_skills(changes["skills"])
    before = await ctx.db.service_categories.find_one({"_id": category_id})
    if before is None:
        raise NotFound("找不到该服务项目", code="category_not_found")
    fields = {k: v for k, v in changes.items() if k in CATEGORY_FIELDS}
    if fields:
        fields["updated_at"] = ctx.now()
        await ctx.db.service_categories.update_one({"_id": category_id}, {"$set": fields})
    invalidate(ctx)
    after = {**before, **fields}
    await audit.record(
        ctx,
        actor,
        "catalogue.update",
        org_path=actor.org_path,
        target_type="category",
        target_id=category_id,
        target_label=after["name"],
        before=_public(before),
        after=_public(after),
    )
    return before, after


async def add_category(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A new category from the admin catalogue page, audited."""
    _require_skills(data.get("skills", []))
    try:
        doc = await create_category(
            ctx,
            code=data["code"],
            name=data["name"],
            skills=data["skills"],
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
    await audit.record(
        ctx,
        actor,
        "catalogue.create",
        org_path=actor.org_path,
        target_type="category",
        target_id=doc["_id"],
        target_label=doc["name"],
        after=_public(doc),
    )
    return doc
