"""Reward items (积分商品) of one org node: price, stock, per-member limit, valid period,
pickup place and hours, the donating merchant.

`stock` is what is left; `initial_stock + restocked` is everything ever put on the shelf,
so `stock + live redemptions == initial_stock + restocked` (checked by `server check`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from models.core import paging
from models.core.clock import iso
from models.core.context import Context
from models.media import guard, safety
from models.media import service as media
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from server.errors import Conflict, NotFound, ValidationFailed

LIMIT_PERIODS = ("month", "ever")
EDITABLE = (
    "name",
    "description",
    "photos",
    "price",
    "limit_per_member",
    "limit_period",
    "valid_from",
    "valid_until",
    "pickup_place",
    "pickup_hours",
    "merchant",
    "active",
)


class ItemNotFound(NotFound):
    code = "reward_not_found"
    message = "找不到该积分商品"


def can_see(actor: Actor, item: dict[str, Any]) -> bool:
    """The mall of my nodes (the item's node is on my path), what I manage, my shop's node."""
    return (
        item["org_id"] in actor.org_path
        or actor.manages(item["org_path"])
        or (actor.role == "merchant" and actor.org_id == item["org_id"])
    )


async def get_item(ctx: Context, item_id: ObjectId) -> dict[str, Any]:
    item = await ctx.db.reward_items.find_one({"_id": item_id})
    if item is None:
        raise ItemNotFound()
    return item


async def get_visible(ctx: Context, actor: Actor, item_id: ObjectId) -> dict[str, Any]:
    item = await get_item(ctx, item_id)
    if not can_see(actor, item):
        raise ItemNotFound()
    return item


async def get_managed(ctx: Context, actor: Actor, item_id: ObjectId) -> dict[str, Any]:
    item = await get_item(ctx, item_id)
    if not actor.manages(item["org_path"]):
        raise ItemNotFound()
    return item


def _check_period(data: dict[str, Any]) -> None:
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end <= start:
        raise ValidationFailed(fields={"valid_until": "结束时间应晚于开始时间"})


async def create_item(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    org = await orgs.get_org(ctx, data["org_id"])
    if not actor.manages(org["path"]):
        raise NotFound("找不到该组织", code="org_not_found")
    _check_period(data)
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(
        ctx,
        actor,
        {"name": data["name"], "description": data.get("description") or ""},
        {"photos": photos},
    )
    now = ctx.now()
    stock = int(data["stock"])
    doc = {
        "_id": ObjectId(),
        "org_id": org["_id"],
        "org_path": list(org["path"]),
        "name": data["name"],
        "description": data.get("description") or "",
        "photos": photos,
        "moderation": verdict.held,
        "price": int(data["price"]),
        "stock": stock,
        "initial_stock": stock,
        "restocked": 0,
        "redeemed": 0,
        "limit_per_member": data.get("limit_per_member"),
        "limit_period": data.get("limit_period") or "ever",
        "valid_from": data.get("valid_from"),
        "valid_until": data.get("valid_until"),
        "pickup_place": data.get("pickup_place") or "",
        "pickup_hours": data.get("pickup_hours") or "",
        "merchant": data.get("merchant") or "",
        "active": data.get("active", True),
        "created_by": actor.id,
        "created_at": now,
        "updated_at": now,
    }
    await guard.insert_settled(
        ctx,
        actor,
        verdict,
        "reward_items",
        doc,
        owner_type="reward_item",
        photos={"photos": photos},
    )
    await audit.record(
        ctx,
        actor,
        "rewards.create",
        org_path=doc["org_path"],
        target_type="reward_item",
        target_id=doc["_id"],
        target_label=doc["name"],
        after={"price": doc["price"], "stock": doc["stock"]},
    )
    return doc


async def update_item(
    ctx: Context, actor: Actor, item_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """Edit fields; `add_stock` puts more on the shelf (or takes some off, never below 0)."""
    item = await get_managed(ctx, actor, item_id)
    merged = {**item, **data}
    _check_period(merged)
    new_photos = [
        m for m in dict.fromkeys(data.get("photos") or []) if m not in (item.get("photos") or [])
    ]
    verdict = await guard.screen(
        ctx,
        actor,
        {k: data[k] for k in ("name", "description") if k in data},
        {"photos": new_photos},
        owner_id=item_id,
    )
    update: dict[str, Any] = {"$set": {k: data[k] for k in EDITABLE if k in data}}
    update["$set"].update(guard.held_fields(verdict))
    update["$set"]["updated_at"] = ctx.now()
    filt: dict[str, Any] = {"_id": item_id}
    add = int(data.get("add_stock") or 0)
    if add:
        update["$inc"] = {"stock": add, "restocked": add}
        if add < 0:
            filt["stock"] = {"$gte": -add}
    result = await ctx.db.reward_items.update_one(filt, update)
    if result.matched_count != 1:
        raise Conflict("库存不足，无法减少这么多", code="stock_too_low")
    await guard.settle(
        ctx,
        actor,
        verdict,
        owner_type="reward_item",
        owner_id=item_id,
        org_path=item["org_path"],
        photos={"photos": new_photos},
    )
    after = await get_item(ctx, item_id)
    shown = ("name", "price", "stock", "active", "limit_per_member", "limit_period")
    await audit.record(
        ctx,
        actor,
        "rewards.update",
        org_path=after["org_path"],
        target_type="reward_item",
        target_id=item_id,
        target_label=after["name"],
        reason=f"补货 {add:+d}" if add else "",
        before={k: item.get(k) for k in shown},
        after={k: after.get(k) for k in shown},
    )
    return after


async def list_mall(
    ctx: Context, actor: Actor, org_id: ObjectId | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Active items of my nodes (or of one node on my path, or in my scope), newest first."""
    nodes = list(actor.org_path)
    if org_id is not None:
        if org_id not in nodes:
            if not actor.is_staff:
                return [], None
            org = await orgs.get_org(ctx, org_id)
            if actor.org_id not in org["path"]:
                return [], None
        nodes = [org_id]
    if not nodes:
        return [], None
    return await paging.newest_of_owner(
        ctx.db.reward_items,
        {"org_id": {"$in": nodes}, "active": True},
        cursor=paging.decode(cursor),
        limit=limit,
    )


async def list_managed(
    ctx: Context, org_id: ObjectId, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    return await paging.newest_in_windows(
        ctx.db.reward_items,
        {"org_path": org_id},
        now=ctx.now(),
        cursor=paging.decode(cursor),
        limit=limit,
    )


def in_period(item: dict[str, Any], now: datetime) -> bool:
    start, end = _aware(item.get("valid_from")), _aware(item.get("valid_until"))
    return (start is None or start <= now) and (end is None or now < end)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    return value


def _text(item: dict[str, Any], name: str, actor: Actor | None) -> Any:
    if actor is None:
        return item.get(name)
    return safety.visible_text(item, name, actor, item.get("created_by"))


def _photo_urls(ctx: Context, item: dict[str, Any], actor: Actor | None) -> list[str]:
    """Signed full-size URLs (the mall shows the first one; the item page all of them)."""
    ids = item.get("photos") or []
    if actor is None:
        return [media.staff_url(ctx, m, "full") for m in ids if isinstance(m, ObjectId)]
    return [p["url"] for p in media.photo_json(ctx, ids, viewer=actor)]


def item_json(ctx: Context, item: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
    now = ctx.now()
    out = {
        "id": str(item["_id"]),
        "org_id": str(item["org_id"]),
        "name": _text(item, "name", actor),
        "description": _text(item, "description", actor) or "",
        "photos": _photo_urls(ctx, item, actor),
        "price": item["price"],
        "stock": item["stock"],
        "sold_out": item["stock"] <= 0,
        "status_text": "已兑完" if item["stock"] <= 0 else f"剩余 {item['stock']} 件",
        "limit_per_member": item.get("limit_per_member"),
        "limit_period": item.get("limit_period") or "ever",
        "valid_from": iso(_aware(item.get("valid_from"))),
        "valid_until": iso(_aware(item.get("valid_until"))),
        "in_period": in_period(item, now),
        "pickup_place": item.get("pickup_place") or "",
        "pickup_hours": item.get("pickup_hours") or "",
        "merchant": item.get("merchant") or "",
        "active": bool(item.get("active")),
    }
    if actor is not None and actor.manages(item["org_path"]):
        out["initial_stock"] = item["initial_stock"]
        out["restocked"] = item.get("restocked", 0)
        out["redeemed"] = item.get("redeemed", 0)
    return out
