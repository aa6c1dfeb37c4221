"""Dashboard statistics (数据看板) from daily rollups, so the page stays fast at any size.

A rollup document holds one organisation's figures for one Beijing-time day, counted by
the day each event happened (created, dispatched, accepted, closed, points entered). An
event day that is over can never change again, so a past day is computed once, on first
need, from the orders and the ledger and then stored; today is always computed live.
`rebuild()` recomputes every stored day (after a restore or a bulk import).
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import uow
from models.core.clock import day_bounds, local_day
from models.core.context import Context
from models.orders import catalogue, tallies
from models.orders.proxy import CHANNEL_NAMES
from models.orders.states import STATUS_NAMES
from models.people import orgs
from models.points import ledger

OPEN_STATUSES = tallies.OPEN_STATUSES
CLOCK_RUNNING = tallies.CLOCK_RUNNING
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
    ctx: Context,
    first: date,
    last: date,
    until: datetime | None = None,
    *,
    since: datetime | None = None,
    keyed: bool = False,
) -> dict[date, dict[ObjectId, dict[str, Any]]]:
    """Every organisation's figures for each day in [first, last], keyed by day and org id.

    One indexed read of the orders serves every day and the four event times: an order
    with an event since `first` began was last updated at or after that moment (no index
    per event time: each one costs every transition). `until` cuts today's live figures,
    `since` keeps only the events from that moment on (today's figures, step by step);
    `keyed` gives the minutes as {order id: minutes}, so a later step's value for the same
    order (a re-dispatch) replaces the earlier one, as a recount of the day would.
    """
    tree = await orgs.all_orgs(ctx)
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    if until is not None:
        end = min(end, until)
    if since is not None:
        start = max(start, since)
    out: dict[date, dict[ObjectId, dict[str, Any]]] = {}

    def doc(when: datetime, org_id: ObjectId) -> dict[str, Any]:
        day = local_day(when)
        per_org = out.setdefault(day, {})
        if org_id not in per_org:
            per_org[org_id] = _empty(day, tree.get(org_id), org_id)
            if keyed:
                per_org[org_id].update(dispatch_min={}, accept_min={}, close_min={})
        return per_org[org_id]

    def minutes(d: dict[str, Any], key: str, order_id: ObjectId, m: float) -> None:
        if keyed:
            d[key][str(order_id)] = round(m, 1)
        else:
            d[key].append(round(m, 1))

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
                minutes(doc(dispatched, org_id), "dispatch_min", o["_id"], m)
        if within(accepted := o.get("accepted_at")):
            m = _minutes(accepted, o.get("dispatched_at"))
            if m is not None:
                minutes(doc(accepted, org_id), "accept_min", o["_id"], m)
        if within(closed := o.get("closed_at")):
            d = doc(closed, org_id)
            m = _minutes(closed, o.get("created_at"))
            if m is not None:
                minutes(d, "close_min", o["_id"], m)
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


# ---- today, step by step ---------------------------------------------------------------
# Today's figures are kept in `stats_live` (one row per organisation, minutes keyed by order)
# up to a watermark (`job_state` "stats_live"): a dashboard request reads the rows and
# computes only the events since the watermark, and moves the watermark on (at most once
# per LIVE_STEP, never closer than LIVE_LAG to now, so a transition still committing is not
# skipped). The day is recounted from the orders once it is over (`_ensure_days`).
LIVE_ID = "stats_live"
LIVE_LAG = timedelta(minutes=2)
LIVE_STEP = timedelta(minutes=1)
COUNTED = ("created_total", "rating_sum", "rating_count", "points", "hours")
BY_KEY = ("created", "by_channel")
KEYED = ("dispatch_min", "accept_min", "close_min")


class _LostRace(Exception):
    """Another request moved today's watermark first: its step stands, this one is dropped."""


async def _store_step(
    ctx: Context, mark: dict[str, Any] | None, today: date, since: datetime, upto: datetime
) -> None:
    rows = (await compute_days(ctx, today, today, upto, since=since, keyed=True)).get(today, {})
    day = today.isoformat()

    async def work(session: AsyncClientSession) -> None:
        expected = {"_id": LIVE_ID}
        if mark is not None:
            expected.update(day=mark["day"], until=mark["until"])
        try:
            moved = await ctx.db.job_state.update_one(
                expected, {"$set": {"day": day, "until": upto}}, upsert=True, session=session
            )
        except DuplicateKeyError:
            raise _LostRace from None
        if not (moved.modified_count or moved.upserted_id):
            raise _LostRace
        if since <= day_bounds(today)[0]:  # a new day (or a recount): start from nothing
            await ctx.db.stats_live.delete_many({}, session=session)
        for row in rows.values():
            inc: dict[str, Any] = {k: row[k] for k in COUNTED if row[k]}
            for part in BY_KEY:
                inc.update({f"{part}.{k}": n for k, n in row[part].items()})
            fields = {f"{part}.{k}": m for part in KEYED for k, m in row[part].items()}
            update: dict[str, Any] = {
                "$setOnInsert": {"day": day, "org_id": row["org_id"], "org_path": row["org_path"]}
            }
            if inc:
                update["$inc"] = inc
            if fields:
                update["$set"] = fields
            await ctx.db.stats_live.update_one(
                {"_id": row["_id"]}, update, upsert=True, session=session
            )

    try:
        await uow.in_transaction(ctx, work)
    except _LostRace:
        pass


def _merge(stored: dict[str, Any], step: dict[str, Any] | None) -> dict[str, Any]:
    """A stored live row plus the events since (minutes replaced per order), as a day row."""
    row: dict[str, Any] = {k: stored.get(k) or 0 for k in COUNTED}
    row.update({k: dict(stored.get(k) or {}) for k in (*BY_KEY, *KEYED)})
    row.update(day=stored["day"], org_id=stored["org_id"], org_path=stored["org_path"])
    if step is not None:
        for k in COUNTED:
            row[k] += step[k]
        for part in BY_KEY:
            for k, n in step[part].items():
                row[part][k] = row[part].get(k, 0) + n
        for part in KEYED:
            row[part].update(step[part])
    for part in KEYED:
        row[part] = list(row[part].values())
    row["points"], row["hours"] = round(row["points"], 2), round(row["hours"], 2)
    return row


async def live_today(ctx: Context, node: ObjectId, now: datetime) -> list[dict[str, Any]]:
    """Today's rows for the organisations under `node`: the stored step plus what happened
    since its watermark (an indexed read of the orders and entries changed since then)."""
    today = local_day(now)
    day = today.isoformat()
    day_start, _ = day_bounds(today)
    mark = await ctx.db.job_state.find_one({"_id": LIVE_ID})
    since = day_start
    if mark is not None and mark.get("day") == day:
        until = mark["until"].replace(tzinfo=mark["until"].tzinfo or UTC)
        since = until if until <= now else day_start  # a clock set back: recount the day
    upto = now - LIVE_LAG
    if upto - since >= LIVE_STEP:
        await _store_step(ctx, mark, today, since, upto)
        mark = await ctx.db.job_state.find_one({"_id": LIVE_ID})
    stored: list[dict[str, Any]] = []
    since = day_start
    if mark is not None and mark.get("day") == day:
        until = mark["until"].replace(tzinfo=mark["until"].tzinfo or UTC)
        if until <= now:
            since = until
            stored = await ctx.db.stats_live.find({"org_path": node, "day": day}).to_list(None)
    step = (
        await compute_days(ctx, today, today, now + timedelta(seconds=1), since=since, keyed=True)
    ).get(today, {})
    rows = [_merge(r, step.pop(r["org_id"], None)) for r in stored]
    rows += [_merge(r, None) for r in step.values() if node in r["org_path"]]
    return rows


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
        rows += await live_today(ctx, node, now)

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

    closes = merged("close_min")  # every closing's minutes: the median needs them all
    open_counts, due = await tallies.subtree(ctx, node)
    overdue, overdue_ids = await tallies.overdue(ctx, node, due, now)
    return {
        "range": {"first": first.isoformat(), "last": last.isoformat()},
        "open": [
            {"status": s, "name": STATUS_NAMES[s], "count": open_counts.get(s, 0)}
            for s in OPEN_STATUSES
        ],
        "open_total": sum(open_counts.values()),
        "overdue": overdue,
        "overdue_ids": overdue_ids,  # the 10 most overdue
        "created_total": created_total,
        "by_channel": by_channel,
        "median_dispatch_min": _median(merged("dispatch_min")),
        "median_accept_min": _median(merged("accept_min")),
        "median_close_min": _median(closes),
        "closed_total": len(closes),
        "rating_avg": round(rating_sum / rating_count, 2) if rating_count else None,
        "rating_count": rating_count,
        "month_points": round(sum(r["points"] for r in this_month), 1),
        "month_hours": round(sum(r["hours"] for r in this_month), 1),
        "chart_days": days,
        "chart_series": series,
        "leaderboard": board,
    }


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
