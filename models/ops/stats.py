"""Dashboard statistics (数据看板) from running tallies, so the page costs the same at any
size: the day rollups and open counts kept from the orders' outbox and the earning ledger
entries (models/ops/tallies.py). A range reads one document per day, whatever the number
of orders, branches or members.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId

from models.core import histogram
from models.core.clock import local_day
from models.core.context import Context
from models.ops import tallies
from models.ops.tallies import CLOCK_RUNNING, as_utc, hour_key, hour_start
from models.orders import catalogue
from models.orders.proxy import CHANNEL_NAMES
from models.orders.states import STATUS_NAMES
from models.people import orgs
from models.points import ledger

OPEN_STATUSES = tallies.OPEN_STATUSES
MAX_RANGE_DAYS = 366


NOTHING_EARNED = {"points": 0, "hours": 0, "by_branch": {}}


async def _rows(ctx: Context, node: ObjectId, days: list[date]) -> dict[str, dict[str, Any]]:
    """The node's day rollups, by day (one read by _id; a day with nothing has none)."""
    ids = [tallies.day_id(d.isoformat(), node) for d in days]
    rows = {r["day"]: r for r in await ctx.db.stats_daily.find({"_id": {"$in": ids}}).to_list(None)}
    for row in rows.values():
        row["earned"] = {**NOTHING_EARNED, **(row.get("earned") or {})}
    return rows


async def dashboard(ctx: Context, org: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """Figures for the subtree of `org` (already scope-checked) over [first, last]: one
    rollup document per day, whatever the number of orders, branches or members."""
    node = org["_id"]
    await tallies.catch_up(ctx)  # the outbox's changes since the notifier's last pass
    today = local_day(ctx.now())
    month_first = today.replace(day=1)
    lo = min(first, month_first)
    span = [lo + timedelta(days=i) for i in range((max(last, today) - lo).days + 1)]
    rows = await _rows(ctx, node, span)
    in_range = [r for d, r in rows.items() if first.isoformat() <= d <= last.isoformat()]
    this_month = [r for d, r in rows.items() if d >= month_first.isoformat()]

    def hist(key: str) -> dict[str, int]:
        merged: dict[str, int] = {}
        for r in in_range:
            histogram.merge(merged, r.get(key) or {})
        return merged

    rating_count = sum(r.get("rating_count", 0) for r in in_range)
    rating_sum = sum(r.get("rating_sum", 0) for r in in_range)

    cats = await catalogue.all_categories(ctx)
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    per_cat: dict[str, dict[str, int]] = {}
    for r in in_range:
        for cat_id, n in (r.get("created") or {}).items():
            per_cat.setdefault(cat_id, {})
            per_cat[cat_id][r["day"]] = per_cat[cat_id].get(r["day"], 0) + n
    series = [
        {
            "name": (cats.get(ObjectId(cat_id)) or {}).get("name", "其他"),
            "data": [counts.get(d, 0) for d in days],
        }
        for cat_id, counts in sorted(per_cat.items())
        if any(counts.values())
    ]

    tree = await orgs.all_orgs(ctx)
    by_branch: dict[str, int] = {}
    for r in in_range:
        for branch, points in r["earned"]["by_branch"].items():
            by_branch[branch] = by_branch.get(branch, 0) + points
    month_points = sum(r["earned"]["points"] for r in this_month)
    month_hours = sum(r["earned"]["hours"] for r in this_month)
    board = sorted(
        (
            {"org_id": k, "name": tree.get(ObjectId(k), {}).get("name", "—"), "points": v}
            for k, v in by_branch.items()
            if v > 0
        ),
        key=lambda x: (-x["points"], x["name"]),
    )[:15]

    channels: dict[str, int] = {}
    for r in in_range:
        for channel, n in (r.get("by_channel") or {}).items():
            channels[channel] = channels.get(channel, 0) + n
    created_total = sum(r.get("created_total", 0) for r in in_range)
    by_channel = [
        {
            "channel": channel,
            "name": CHANNEL_NAMES.get(channel, channel),
            "count": channels.get(channel, 0),
            "share": round(channels.get(channel, 0) / created_total, 3) if created_total else 0.0,
        }
        for channel in CHANNEL_NAMES
    ]

    figures = await open_figures(ctx, node)
    open_counts = figures["counts"]
    return {
        "range": {"first": first.isoformat(), "last": last.isoformat()},
        "open": [
            {"status": s, "name": STATUS_NAMES[s], "count": open_counts.get(s, 0)}
            for s in OPEN_STATUSES
        ],
        "open_total": sum(open_counts.values()),
        "overdue": figures["overdue"],
        "overdue_ids": await most_overdue(ctx, node, figures) if figures["overdue"] else [],
        "created_total": created_total,
        "by_channel": by_channel,
        "median_dispatch_min": histogram.median(hist("dispatch_hist")),
        "median_accept_min": histogram.median(hist("accept_hist")),
        "median_close_min": histogram.median(hist("close_hist")),
        "closed_total": sum(r.get("closed_total", 0) for r in in_range),
        "rating_avg": round(rating_sum / rating_count, 2) if rating_count else None,
        "rating_count": rating_count,
        "month_points": ledger.shown("points", month_points),
        "month_hours": ledger.shown("hours", month_hours),
        "chart_days": days,
        "chart_series": series,
        "leaderboard": board,
    }


HOUR = timedelta(hours=1)


async def open_figures(ctx: Context, node: ObjectId) -> dict[str, Any]:
    """Open orders under `node` by state, and how many of those with a running clock are
    past their due time: the hours before this one from the tally, this hour's from one
    indexed read of what fell due in it (`{status, due_at}`)."""
    doc = await ctx.db.open_tallies.find_one({"_id": node}) or {}
    counts = {s: int(n) for s, n in (doc.get("counts") or {}).items() if n > 0}
    now = ctx.now()
    this_hour = hour_key(now)
    due = {k: int(n) for k, n in (doc.get("due") or {}).items() if n > 0}
    overdue_hours = sorted(k for k in due if k < this_hour)
    overdue = sum(due[k] for k in overdue_hours)
    if due.get(this_hour):
        overdue += len(await _due_between(ctx, node, hour_start(this_hour), now))
    return {"counts": counts, "overdue": overdue, "overdue_hours": overdue_hours}


async def _due_between(
    ctx: Context, node: ObjectId, since: datetime, until: datetime
) -> list[tuple[datetime, ObjectId]]:
    found = []
    for status in CLOCK_RUNNING:
        rows = ctx.db.orders.find(
            {"status": status, "due_at": {"$gte": since, "$lt": until}},
            {"due_at": 1, "org_path": 1},
        )
        found += [(as_utc(r["due_at"]), r["_id"]) async for r in rows if node in r["org_path"]]
    return sorted(found)


async def most_overdue(
    ctx: Context, node: ObjectId, figures: dict[str, Any], limit: int = 10
) -> list[ObjectId]:
    """The longest overdue orders under `node`: read hour by hour from the oldest hour the
    tally says holds one, so the read follows the overdue orders, not the collection."""
    now = ctx.now()
    found: list[ObjectId] = []
    for key in [*figures["overdue_hours"], hour_key(now)]:
        if len(found) >= limit:
            break
        start = hour_start(key)
        found += [i for _, i in await _due_between(ctx, node, start, min(start + HOUR, now))]
    return found[:limit]


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
