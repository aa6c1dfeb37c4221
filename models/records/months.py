"""A record's period, cut into Beijing months; the months that are over are cached.

A period is [start, end) in Beijing days (at most ten years). The ledger is append-only and
stamped with the time of writing, and an order's closing never moves, so a month that is
over never changes: its sums (points, hours, orders served, ratings) are computed once from
two indexed ranges on the member and kept in `record_months`; the month in progress is read
live. `python -m server check` compares every cached month with the books.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import BulkWriteError

from models.core.clock import BEIJING
from models.core.context import Context
from models.points import ledger
from server.errors import ValidationFailed

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MAX_PERIOD_DAYS = 3653  # ten years: every month of a period is one cached document


def period_bounds(
    ctx: Context, since: date | None, until: date | None, months: int = 12
) -> tuple[datetime, datetime]:
    """[start, end) in Beijing days; by default the last `months` months up to today."""
    today = ctx.now().astimezone(BEIJING).date()
    end_day = until or today
    for name, day in (("from", since), ("to", end_day)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationFailed(fields={name: "日期应在 2000-01-01 到 2099-12-31 之间"})
    start_day = since or _months_back(end_day, months)
    if start_day > end_day:
        raise ValidationFailed(fields={"from": "开始日期不能晚于结束日期"})
    if (end_day - start_day).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(fields={"from": "时间范围不能超过 10 年"})
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=BEIJING)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=BEIJING) + timedelta(days=1)
    return start, end


def _months_back(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, 28)) + timedelta(days=1)


def month_key(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def _month_start(moment: datetime) -> datetime:
    local = moment.astimezone(BEIJING)
    return datetime(local.year, local.month, 1, tzinfo=BEIJING)


def _next_month(moment: datetime) -> datetime:
    return (moment + timedelta(days=32)).replace(day=1)


def _spans(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime, bool]]:
    """[start, end) cut at Beijing month boundaries: (month, lo, hi, whole month?)."""
    out = []
    cursor = _month_start(start)
    while cursor < end:
        nxt = _next_month(cursor)
        lo, hi = max(start, cursor), min(end, nxt)
        out.append((cursor.strftime("%Y-%m"), lo, hi, lo == cursor and hi == nxt))
        cursor = nxt
    return out


def empty_month() -> dict[str, float]:
    return {
        "points": 0,
        "hours": 0.0,
        "points_earned": 0,
        "orders": 0,
        "order_hours": 0.0,
        "rating_sum": 0,
        "rating_count": 0,
    }


async def _scan(
    ctx: Context, member_id: ObjectId, lo: datetime, hi: datetime
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Ledger entries and closed orders of [lo, hi), summed per month (two indexed ranges)."""
    months: dict[str, dict[str, float]] = {}
    cursor = ctx.db.ledger_entries.find(
        {"member_id": member_id, "created_at": {"$gte": lo, "$lt": hi}},
        {"kind": 1, "delta": 1, "created_at": 1, "_id": 0},
    )
    async for entry in cursor:
        row = months.setdefault(month_key(entry["created_at"]), empty_month())
        row[entry["kind"]] += ledger.shown(entry["kind"], entry["delta"])
        if entry["kind"] == "points" and entry["delta"] > 0:
            row["points_earned"] += entry["delta"]
    served = []
    cursor = ctx.db.orders.find(
        {"assignee_id": member_id, "closed_at": {"$gte": lo, "$lt": hi}}, ORDER_FIELDS
    )
    async for order in cursor:
        if order.get("status") != "closed":
            continue
        served.append(order)
        row = months.setdefault(month_key(order["closed_at"]), empty_month())
        row["orders"] += 1
        row["order_hours"] += order.get("hours") or 0
        if order.get("rating"):
            row["rating_sum"] += order["rating"]
            row["rating_count"] += 1
    return months, served


ORDER_FIELDS = {
    "category_name": 1,
    "status": 1,
    "org_id": 1,
    "org_path": 1,
    "org_name": 1,
    "closed_at": 1,
    "hours": 1,
    "points": 1,
    "rating": 1,
}


async def monthly(
    ctx: Context, member_id: ObjectId, start: datetime, end: datetime
) -> dict[str, dict[str, float]]:
    """Per month of the period. Whole months that are over come from `record_months` (the
    ledger is append-only and stamped with the time of writing, so a past month never
    changes); the rest is read live. Missing past months are filled in one scan."""
    this_month = _month_start(ctx.now())
    spans = _spans(start, end)
    closed = [s for s in spans if s[3] and s[2] <= this_month]
    out: dict[str, dict[str, float]] = {}
    if closed:
        keys = [f"{member_id}:{m}" for m, *_ in closed]
        cached = {
            doc["month"]: doc async for doc in ctx.db.record_months.find({"_id": {"$in": keys}})
        }
        missing = [s for s in closed if s[0] not in cached]
        if missing:
            scanned, _ = await _scan(ctx, member_id, missing[0][1], missing[-1][2])
            docs = []
            for month, *_ in missing:
                row = scanned.get(month) or empty_month()
                doc = {"_id": f"{member_id}:{month}", "member_id": member_id, "month": month, **row}
                cached[month] = doc
                docs.append(doc)
            try:
                await ctx.db.record_months.insert_many(docs, ordered=False)
            except BulkWriteError:
                pass  # another request filled the same months: they hold the same sums
        for month, *_ in closed:
            out[month] = {k: cached[month][k] for k in empty_month()}
    for month, lo, hi, whole in spans:
        if whole and hi <= this_month:
            continue
        scanned, _ = await _scan(ctx, member_id, lo, hi)
        out[month] = scanned.get(month) or empty_month()
    return out


# ------------------------------------------------------------------ the month cache's check


async def month_cache_drift(ctx: Context) -> list[dict[str, Any]]:
    """Every cached month whose sums differ from the ledger and orders (`server check`)."""
    problems = []
    async for doc in ctx.db.record_months.find({}):
        lo = datetime.strptime(doc["month"], "%Y-%m").replace(tzinfo=BEIJING)
        scanned, _ = await _scan(ctx, doc["member_id"], lo, _next_month(lo))
        fresh = scanned.get(doc["month"]) or empty_month()
        if any(abs(fresh[k] - doc.get(k, 0)) > 1e-6 for k in fresh):
            problems.append(
                {"id": doc["_id"], "month": doc["month"], "member_id": doc["member_id"]}
            )
    return problems


async def forget_drifted_months(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Repair: drop the drifted months; the next read fills them again from the books."""
    result = await ctx.db.record_months.delete_many({"_id": {"$in": [p["id"] for p in problems]}})
    return result.deleted_count
