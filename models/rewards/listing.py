"""Redemptions as they are read: lists in scope, JSON with the QR, the Excel export, and
the stock check of `python -m server check`."""

from __future__ import annotations

from typing import Any

import segno
from bson import ObjectId

from models.core import excel, paging
from models.core.clock import iso, local_time
from models.core.context import Context
from models.ops import audit
from models.people.users import Actor
from models.rewards.redemptions import (
    EXPORT_HEADERS,
    EXPORT_MAX,
    LIVE,
    RESERVED,
    STATUS_TEXT,
)


async def export_workbook(ctx: Context, actor: Actor, org: dict[str, Any]) -> tuple[bytes, int]:
    """兑换记录 under `org` (checked by the caller to be in the actor's scope), newest first,
    as an Excel workbook; the export is audited."""
    cursor = ctx.db.redemptions.find({"org_path": org["_id"]}).sort([("created_at", -1)])
    rows = await cursor.limit(EXPORT_MAX).to_list(EXPORT_MAX)
    table = [
        [
            local_time(r["created_at"]),
            r.get("member_name") or "",
            r["item_name"],
            r["price"],
            STATUS_TEXT[r["status"]],
            local_time(r.get("picked_up_at")),
            r.get("picked_up_by_name") or "",
        ]
        for r in rows
    ]
    await audit.record(
        ctx,
        actor,
        "rewards.export",
        org_path=org["path"],
        target_type="org",
        target_id=org["_id"],
        target_label=org["name"],
        reason=f"兑换记录 {len(rows)} 条",
    )
    return excel.workbook_bytes("兑换记录", EXPORT_HEADERS, table), len(rows)


async def list_redemptions(
    ctx: Context,
    actor: Actor,
    *,
    scope: str,
    status: str | None,
    cursor: str | None,
    limit: int,
    org_id: ObjectId | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Mine, or (staff, merchant) those of the items in my scope; newest first."""
    keep = (lambda r: r["status"] == status) if status else None
    if scope != "org":
        return await paging.newest_of_owner(
            ctx.db.redemptions,
            {"member_id": actor.id},
            cursor=paging.decode(cursor),
            limit=limit,
            keep=keep,
        )
    base: dict[str, Any]
    if actor.role == "merchant" and actor.org_id is not None:
        base = {"org_id": actor.org_id}
    elif actor.is_staff and actor.org_id is not None:
        base = {"org_path": org_id or actor.org_id}
        if org_id is not None and org_id != actor.org_id:
            from models.people import orgs

            org = await orgs.get_org(ctx, org_id)
            if actor.org_id not in org["path"]:
                return [], None
    else:
        return [], None
    return await paging.newest_in_windows(
        ctx.db.redemptions,
        base,
        now=ctx.now(),
        cursor=paging.decode(cursor),
        limit=limit,
        keep=keep,
    )


def qr_data_uri(code: str) -> str:
    return str(segno.make(f"TXR:{code}", error="m").svg_data_uri(scale=4))


def redemption_json(doc: dict[str, Any], actor: Actor, *, with_qr: bool = False) -> dict[str, Any]:
    mine = doc["member_id"] == actor.id
    out: dict[str, Any] = {
        "id": str(doc["_id"]),
        "item_id": str(doc["item_id"]),
        "item_name": doc["item_name"],
        "org_id": str(doc["org_id"]),
        "price": doc["price"],
        "status": doc["status"],
        "status_text": STATUS_TEXT[doc["status"]],
        "member_name": doc.get("member_name") or "",
        "pickup_place": doc.get("pickup_place") or "",
        "pickup_hours": doc.get("pickup_hours") or "",
        "created_at": iso(doc["created_at"]),
        "expires_at": iso(doc["expires_at"]),
        "picked_up_at": iso(doc.get("picked_up_at")),
        # the code is the owner's to show at the counter; the counter types or scans it
        "code": doc["code"] if mine else None,
        "qr": None,
    }
    if mine and with_qr and doc["status"] == RESERVED:
        out["qr"] = qr_data_uri(doc["code"])
    return out


async def check_stock(ctx: Context) -> list[dict[str, Any]]:
    """Every item whose stock + live redemptions differs from initial stock + restocks."""
    live: dict[ObjectId, int] = {}
    pipeline: list[dict[str, Any]] = [
        {"$match": {"status": {"$in": list(LIVE)}}},
        {"$group": {"_id": "$item_id", "n": {"$sum": 1}}},
    ]
    async for row in await ctx.db.redemptions.aggregate(pipeline):
        live[row["_id"]] = row["n"]
    problems = []
    async for item in ctx.db.reward_items.find({}):
        shelf = item["initial_stock"] + item.get("restocked", 0)
        held = item["stock"] + live.get(item["_id"], 0)
        if held != shelf or item["stock"] < 0:
            problems.append(
                {
                    "item_id": item["_id"],
                    "name": item["name"],
                    "stock": item["stock"],
                    "live_redemptions": live.get(item["_id"], 0),
                    "initial_plus_restocks": shelf,
                }
            )
    return problems
