"""The member's service record (志愿服务记录) and 发展党员 dossier: read models, never written.

A record is assembled from the collections that hold the facts — the points ledger, the
orders served, 双报到 community service, honours, and (where those domains exist) activities,
micro-wishes and voices — over a period. Every read is one indexed range on the member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.people import orgs
from models.people.users import Actor
from models.records import months
from models.records.months import forget_drifted_months, month_cache_drift, period_bounds
from server.errors import NotFound, ValidationFailed

DOSSIER_STAGES = ("入党申请人", "积极分子", "发展对象")
LINE_NAMES = {
    "hours": ("服务时长", "小时"),
    "orders": ("服务工单", "单"),
    "activities": ("参加活动", "次"),
    "rating": ("平均评分", "分"),
}


async def existing_collections(ctx: Context) -> set[str]:
    """The collections this installation has (sources that land later are counted then)."""

    async def load() -> set[str]:
        return set(await ctx.db.list_collection_names())

    return await ctx.cached("collections", load, 60)


async def _recent_orders(
    ctx: Context, member_id: ObjectId, start: datetime, end: datetime, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest orders served in the period, read in windows walking back from the end
    (30 days, then 60, 120 …): the cost follows the page, not the member's history."""
    rows: list[dict[str, Any]] = []
    hi, span = end, timedelta(days=30)
    while hi > start and len(rows) < limit:
        lo = max(start, hi - span)
        batch = await ctx.db.orders.find(
            {"assignee_id": member_id, "closed_at": {"$gte": lo, "$lt": hi}}, months.ORDER_FIELDS
        ).to_list(None)
        rows += sorted(
            (o for o in batch if o.get("status") == "closed"),
            key=lambda o: o["closed_at"],
            reverse=True,
        )
        hi, span = lo, span * 2
    return rows[:limit]


async def _reports(ctx: Context, member_id: ObjectId, start: datetime, end: datetime) -> list:
    """双报到: each report and the service done in that community within the period."""
    from models.reports import service_in_community

    out = []
    async for rep in ctx.db.community_reports.find({"member_id": member_id}).sort("created_at", -1):
        lo = max(start, rep.get("confirmed_at") or end)
        hi = min(end, rep.get("ended_at") or end)
        done = (
            await service_in_community(ctx, member_id, rep["community_id"], lo, hi)
            if lo < hi
            else {"orders": 0, "hours": 0.0}
        )
        out.append(
            {
                "community_id": str(rep["community_id"]),
                "community_name": rep.get("community_name"),
                "posts": rep.get("post_names") or [],
                "status": rep["status"],
                "confirmed_at": rep.get("confirmed_at"),
                "ended_at": rep.get("ended_at"),
                "orders": done["orders"],
                "hours": done["hours"],
            }
        )
    return out


async def _honours(ctx: Context, member_id: ObjectId, start: datetime, end: datetime) -> list:
    out = []
    cursor = ctx.db.honours.find(
        {"members.member_id": member_id, "status": "confirmed"},
        {"title": 1, "month": 1, "org_name": 1, "confirmed_at": 1},
    )
    async for honour in cursor:
        at = honour.get("confirmed_at")
        if at is not None and start <= at < end:
            out.append(
                {
                    "title": honour["title"],
                    "month": honour["month"],
                    "org_name": honour.get("org_name"),
                    "confirmed_at": at,
                }
            )
    return sorted(out, key=lambda h: h["month"], reverse=True)


# Further sources, keyed by the collection that must exist: each returns a count, hours and
# items for the record. Domains that land later register theirs here.
ExtraSource = Callable[[Context, ObjectId, datetime, datetime], Awaitable[dict[str, Any]]]
EXTRA_SOURCES: dict[str, tuple[str, ExtraSource]] = {}


def _register_sources() -> None:
    from models.records import sources

    sources.register(EXTRA_SOURCES)


_register_sources()


# ------------------------------------------------------------------ the record


async def get_member_for(ctx: Context, actor: Actor, member_id: ObjectId) -> dict[str, Any]:
    """The member if the caller may read their record: themself or staff above them (404)."""
    member = await ctx.db.users.find_one({"_id": member_id, "deleted_at": None})
    if member is None or not (member_id == actor.id or actor.manages(member.get("org_path"))):
        raise NotFound("找不到该队员", code="member_not_found")
    return member


async def build_record(
    ctx: Context, member: dict[str, Any], start: datetime, end: datetime
) -> dict[str, Any]:
    member_id = member["_id"]
    by_month = await months.monthly(ctx, member_id, start, end)
    total = months.empty_month()
    for row in by_month.values():
        for key, value in row.items():
            total[key] += value
    recent = await _recent_orders(ctx, member_id, start, end)
    collections = await existing_collections(ctx)
    reports = (
        await _reports(ctx, member_id, start, end) if "community_reports" in collections else []
    )
    honours = await _honours(ctx, member_id, start, end) if "honours" in collections else []
    extra: dict[str, Any] = {}
    for collection, (name, source) in EXTRA_SOURCES.items():
        if collection in collections:
            extra[name] = await source(ctx, member_id, start, end)
    handler = None
    if "voices" in collections:  # 办理人画像 (all time), as staff see it when choosing
        from models.voices.recommend import profile

        handler = await profile(ctx, member)
        handler.pop("_same_category", None)
    return {
        "member": {
            "id": str(member_id),
            "name": member.get("name") or "",
            "org_id": str(member["org_id"]) if member.get("org_id") else None,
            "org_name": await orgs.org_name(ctx, member.get("org_id")),
            "party_status": member.get("party_status"),
            "volunteer_no": volunteer_number(member),
            "joined_at": member.get("joined_at") or member.get("created_at"),
        },
        "period": {"from": start, "to": end},
        "totals": {
            "points": round(total["points"]),  # whole (a month cached before may hold 3.0)
            "hours": round(total["hours"], 1),
            "points_earned": round(total["points_earned"]),
            "orders": int(total["orders"]),
            "order_hours": round(total["order_hours"], 2),
            "rating_avg": round(total["rating_sum"] / total["rating_count"], 2)
            if total["rating_count"]
            else None,
            "rating_count": int(total["rating_count"]),
            "honours": len(honours),
            **{f"{name}": section.get("count", 0) for name, section in extra.items()},
            **{
                f"{name}_hours": section["hours"]
                for name, section in extra.items()
                if "hours" in section
            },
            **({"meetings": extra["activities"]["meetings"]} if "activities" in extra else {}),
        },
        "months": [
            {"month": m, "points": round(v["points"]), "hours": round(v["hours"], 1)}
            for m, v in sorted(by_month.items())
            if v["points"] or v["hours"]
        ],
        "orders": [
            {
                "id": str(o["_id"]),
                "category_name": o.get("category_name") or "",
                "org_name": o.get("org_name"),
                "closed_at": o["closed_at"],
                "hours": o.get("hours") or 0,
                "points": round(o.get("points") or 0),
                "rating": o.get("rating"),
            }
            for o in recent
        ],
        "community_service": reports,
        "honours": honours,
        "sections": {name: section.get("items", [])[:200] for name, section in extra.items()},
        "handler_profile": handler,
    }


def volunteer_number(member: dict[str, Any]) -> str:
    """志愿者编号: the one registered with the member, else one derived from the account."""
    return member.get("volunteer_no") or f"TX{str(member['_id'])[-10:].upper()}"


async def record_for(
    ctx: Context, actor: Actor, member_id: ObjectId, since: date | None, until: date | None
) -> dict[str, Any]:
    member = await get_member_for(ctx, actor, member_id)
    start, end = period_bounds(ctx, since, until)
    return await build_record(ctx, member, start, end)


# ------------------------------------------------------------------ the dossier


async def thresholds_for(ctx: Context, member: dict[str, Any], stage: str) -> dict[str, float]:
    """Per stage: the nearest node on the member's path that sets them, else config."""
    base = dict((ctx.config.records.thresholds or {}).get(stage) or {})
    all_orgs = await orgs.all_orgs(ctx)
    for node_id in reversed(member.get("org_path") or []):
        own = (all_orgs.get(node_id) or {}).get("dossier_thresholds") or {}
        if stage in own:
            return {**base, **own[stage]}
    return base


async def dossier_for(
    ctx: Context,
    actor: Actor,
    member_id: ObjectId,
    since: date | None,
    until: date | None,
    stage: str | None = None,
) -> dict[str, Any]:
    member = await get_member_for(ctx, actor, member_id)
    stage = stage or member.get("party_status")
    if stage not in DOSSIER_STAGES:
        raise ValidationFailed(
            "该队员不在发展党员考察阶段", fields={"stage": "请选择入党申请人、积极分子或发展对象"}
        )
    span = int(ctx.config.records.dossier_months)
    start, end = period_bounds(ctx, since, until, span)
    record = await build_record(ctx, member, start, end)
    wanted = await thresholds_for(ctx, member, stage)
    totals = record["totals"]
    values = {
        "hours": totals["hours"],
        "orders": totals["orders"],
        "activities": totals.get("activities"),
        "rating": totals["rating_avg"],
    }
    lines = []
    for key, threshold in wanted.items():
        if key not in LINE_NAMES or (key == "activities" and values[key] is None):
            continue  # a source this installation does not have
        label, unit = LINE_NAMES[key]
        actual = values[key]
        lines.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "threshold": threshold,
                "actual": actual,
                "met": actual is not None and actual >= threshold,
            }
        )
    return {
        "stage": stage,
        "record": record,
        "lines": lines,
        "met": bool(lines) and all(line["met"] for line in lines),
    }


__all__ = [
    "DOSSIER_STAGES",
    "LINE_NAMES",
    "build_record",
    "dossier_for",
    "existing_collections",
    "forget_drifted_months",
    "get_member_for",
    "month_cache_drift",
    "period_bounds",
    "record_for",
    "thresholds_for",
    "volunteer_number",
]
