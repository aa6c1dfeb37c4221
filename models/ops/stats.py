"""Dashboard statistics (数据看板) from daily rollups, so the page stays fast at any size.

A rollup document holds one organisation's figures for one Beijing-time day, counted by
the day each event happened (created, dispatched, accepted, closed, points entered). An
event day that is over can never change again, so a past day is computed once, on first
need, from the orders and the ledger and then stored; today is always computed live.
`rebuild()` recomputes every stored day (after a restore or a bulk import).
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId

from models.core.clock import day_bounds, local_day
from models.core.context import Context
from models.orders import catalogue
from models.orders.proxy import CHANNEL_NAMES
from models.orders.states import (
    ACCEPTED,
    COMPLETED,
    DISPATCHED,
    IN_SERVICE,
    STATUS_NAMES,
    SUBMITTED,
)
from models.people import orgs
from models.points import ledger

OPEN_STATUSES = (SUBMITTED, DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED)
CLOCK_RUNNING = (DISPATCHED, ACCEPTED, IN_SERVICE)
MAX_RANGE_DAYS = 366


def _minutes(later: Any, earlier: Any) -> float | None:
    if not isinstance(later, datetime) or not isinstance(earlier, datetime):
        return None
    return max(0.0, (later - earlier).total_seconds() / 60)


def _empty(day: date, org: dict[str, Any] | None, org_id: ObjectId) -> dict[str, Any]:
    return {
        "_id": f"{day.isoformat()}:{org_id}",
        "day": day.isoformat(),
        "org_id": org_id,
        "org_path": list(org["path"]) if org else [org_id],
        "created": {},
        "created_total": 0,
        "by_channel": {},  # 代下单: orders created per channel (self, phone, visit, counter)
        "dispatch_min": [],
        "accept_min": [],
        "close_min": [],
        "rating_sum": 0,
        "rating_count": 0,
        "points": 0.0,
        "hours": 0.0,
    }


async def compute_days(
    ctx: Context, first: date, last: date, until: datetime | None = None
) -> dict[date, dict[ObjectId, dict[str, Any]]]:
    """Every organisation's figures for each day in [first, last], keyed by day and org id.

    One indexed read of the orders serves every day and the four event times: an order
    with an event since `first` began was last updated at or after that moment (no index
    per event time: each one costs every transition). `until` cuts today's live figures.
    """
    tree = await orgs.all_orgs(ctx)
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    if until is not None:
        end = min(end, until)
    out: dict[date, dict[ObjectId, dict[str, Any]]] = {}

    def doc(when: datetime, org_id: ObjectId) -> dict[str, Any]:
        day = local_day(when)
        per_org = out.setdefault(day, {})
        if org_id not in per_org:
            per_org[org_id] = _empty(day, tree.get(org_id), org_id)
        return per_org[org_id]

    def within(when: Any) -> bool:
        return isinstance(when, datetime) and start <= when < end

    fields = {
        "org_id": 1,
        "category_id": 1,
        "created_at": 1,
        "dispatched_at": 1,
        "accepted_at": 1,
        "closed_at": 1,
        "rating": 1,
        "channel": 1,
    }
    async for o in ctx.db.orders.find({"updated_at": {"$gte": start}}, fields):
        org_id = o["org_id"]
        if within(created := o.get("created_at")):
            d = doc(created, org_id)
            key = str(o["category_id"])
            d["created"][key] = d["created"].get(key, 0) + 1
            d["created_total"] += 1
            channel = o.get("channel") or "self"
            d["by_channel"][channel] = d["by_channel"].get(channel, 0) + 1
        if within(dispatched := o.get("dispatched_at")):
            m = _minutes(dispatched, o.get("created_at"))
            if m is not None:
                doc(dispatched, org_id)["dispatch_min"].append(round(m, 1))
        if within(accepted := o.get("accepted_at")):
            m = _minutes(accepted, o.get("dispatched_at"))
            if m is not None:
                doc(accepted, org_id)["accept_min"].append(round(m, 1))
        if within(closed := o.get("closed_at")):
            d = doc(closed, org_id)
            m = _minutes(closed, o.get("created_at"))
            if m is not None:
                d["close_min"].append(round(m, 1))
            if o.get("rating"):
                d["rating_sum"] += o["rating"]
                d["rating_count"] += 1
    ledger_fields = {"org_path": 1, "kind": 1, "delta": 1, "created_at": 1}
    window = {"$gte": start, "$lt": end}
    async for e in ctx.db.ledger_entries.find({"created_at": window}, ledger_fields):
        if e.get("delta", 0) <= 0 or not e.get("org_path"):
            continue
        d = doc(e["created_at"], e["org_path"][-1])
        d[e["kind"]] = round(d[e["kind"]] + ledger.shown(e["kind"], e["delta"]), 2)
    return out


async def _ensure_days(ctx: Context, first: date, last: date) -> None:
    """Store the rollups of every finished day in [first, last] not stored yet."""
    today = local_day(ctx.now())
    last = min(last, today - timedelta(days=1))
    if last < first:
        return
    wanted = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    have = {
        d["_id"]
        async for d in ctx.db.stats_days.find(
            {"_id": {"$in": [d.isoformat() for d in wanted]}}, {"_id": 1}
        )
    }
    missing = [day for day in wanted if day.isoformat() not in have]
    if missing:
        await _store_days(ctx, missing[0], missing[-1], set(missing))


async def _store_days(ctx: Context, first: date, last: date, only: set[date] | None) -> int:
    computed = await compute_days(ctx, first, last)
    stored = 0
    day = first
    while day <= last:
        if only is None or day in only:
            docs = computed.get(day, {})
            await ctx.db.stats_daily.delete_many({"day": day.isoformat()})
            if docs:
                await ctx.db.stats_daily.insert_many(list(docs.values()))
            await ctx.db.stats_days.replace_one(
                {"_id": day.isoformat()},
                {"_id": day.isoformat(), "computed_at": ctx.now(), "orgs": len(docs)},
                upsert=True,
            )
            stored += 1
        day += timedelta(days=1)
    return stored


async def rebuild(ctx: Context, since: date | None = None) -> int:
    """Recompute every finished day from `since` (default: the first order) to yesterday."""
    if since is None:
        # offline (after a restore or an import): the one whole read of the orders
        first = await ctx.db.orders.find({}, {"created_at": 1}).sort("created_at", 1).to_list(1)
        if not first:
            return 0
        since = local_day(first[0]["created_at"])
    yesterday = local_day(ctx.now()) - timedelta(days=1)
    if yesterday < since:
        return 0
    return await _store_days(ctx, since, yesterday, None)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


async def dashboard(ctx: Context, org: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """Figures for the subtree of `org` (already scope-checked) over [first, last]."""
    node = org["_id"]
    now = ctx.now()
    today = local_day(now)
    month_first = today.replace(day=1)
    lo = min(first, month_first)
    await _ensure_days(ctx, lo, last)
    rows = await ctx.db.stats_daily.find(
        {"org_path": node, "day": {"$gte": lo.isoformat(), "$lte": last.isoformat()}},
        {"_id": 0},
    ).to_list(None)
    if last >= today:
        live = (await compute_days(ctx, today, today, now + timedelta(seconds=1))).get(today, {})
        rows += [d for d in live.values() if node in d["org_path"]]

    in_range = [r for r in rows if first.isoformat() <= r["day"] <= last.isoformat()]
    this_month = [r for r in rows if r["day"] >= month_first.isoformat()]

    def merged(key: str) -> list[float]:
        return [v for r in in_range for v in r[key]]

    rating_count = sum(r["rating_count"] for r in in_range)
    rating_sum = sum(r["rating_sum"] for r in in_range)

    cats = await catalogue.all_categories(ctx)
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    per_cat: dict[str, dict[str, int]] = {}
    for r in in_range:
        for cat_id, n in r["created"].items():
            per_cat.setdefault(cat_id, {})
            per_cat[cat_id][r["day"]] = per_cat[cat_id].get(r["day"], 0) + n
    series = [
        {
            "name": (cats.get(ObjectId(cat_id)) or {}).get("name", "其他"),
            "data": [counts.get(d, 0) for d in days],
        }
        for cat_id, counts in sorted(per_cat.items())
    ]

    tree = await orgs.all_orgs(ctx)
    by_branch: dict[ObjectId, float] = {}
    for r in in_range:
        if r["points"]:
            by_branch[r["org_id"]] = by_branch.get(r["org_id"], 0) + r["points"]
    board = sorted(
        (
            {"org_id": str(k), "name": tree.get(k, {}).get("name", "—"), "points": round(v, 1)}
            for k, v in by_branch.items()
        ),
        key=lambda x: (-x["points"], x["name"]),
    )[:15]

    channels: dict[str, int] = {}
    for r in in_range:  # days stored before channels were counted hold none
        for channel, n in r.get("by_channel", {}).items():
            channels[channel] = channels.get(channel, 0) + n
    created_total = sum(r["created_total"] for r in in_range)
    by_channel = [
        {
            "channel": channel,
            "name": CHANNEL_NAMES.get(channel, channel),
            "count": channels.get(channel, 0),
            "share": round(channels.get(channel, 0) / created_total, 3) if created_total else 0.0,
        }
        for channel in CHANNEL_NAMES
    ]

    snapshot = await open_snapshot(ctx, node)
    open_counts = snapshot["counts"]
    return {
        "range": {"first": first.isoformat(), "last": last.isoformat()},
        "open": [
            {"status": s, "name": STATUS_NAMES[s], "count": open_counts.get(s, 0)}
            for s in OPEN_STATUSES
        ],
        "open_total": sum(open_counts.values()),
        "overdue": snapshot["overdue"],
        "overdue_ids": snapshot["overdue_ids"],
        "created_total": created_total,
        "by_channel": by_channel,
        "median_dispatch_min": _median(merged("dispatch_min")),
        "median_accept_min": _median(merged("accept_min")),
        "median_close_min": _median(merged("close_min")),
        "closed_total": len(merged("close_min")),
        "rating_avg": round(rating_sum / rating_count, 2) if rating_count else None,
        "rating_count": rating_count,
        "month_points": round(sum(r["points"] for r in this_month), 1),
        "month_hours": round(sum(r["hours"] for r in this_month), 1),
        "chart_days": days,
        "chart_series": series,
        "leaderboard": board,
    }


async def open_snapshot(ctx: Context, node: ObjectId) -> dict[str, Any]:
    """Open orders by state, and the overdue ones, from one indexed read per open state.

    Only `{org_path, status}` is queried (the index prefix); due times are compared here,
    because an extra range predicate makes the embedded database scan the collection.
    """
    now = ctx.now()
    counts: dict[str, int] = {}
    overdue: list[tuple[datetime, ObjectId]] = []
    for status in OPEN_STATUSES:
        rows = await ctx.db.orders.find(
            {"org_path": node, "status": status}, {"due_at": 1, "_id": 1}
        ).to_list(None)
        counts[status] = len(rows)
        if status in CLOCK_RUNNING:
            overdue += [
                (r["due_at"], r["_id"]) for r in rows if r.get("due_at") and r["due_at"] < now
            ]
    overdue.sort()
    return {"counts": counts, "overdue": len(overdue), "overdue_ids": [i for _, i in overdue]}


async def overdue_orders(ctx: Context, ids: list[ObjectId], limit: int = 10) -> list[dict]:
    """The most overdue orders (oldest due time first), by id."""
    wanted = ids[:limit]
    found = {
        o["_id"]: o async for o in ctx.db.orders.find({"_id": {"$in": wanted}}, {"timeline": 0})
    }
    return [found[i] for i in wanted if i in found]


def fmt_minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.0f} 分钟"
    if value < 48 * 60:
        return f"{value / 60:.1f} 小时"
    return f"{value / 1440:.1f} 天"
