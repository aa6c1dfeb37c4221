"""Data migrations run at start-up (and by `python -m server migrate`), each once, each
idempotent: a migration marks every document it converts, so one interrupted half-way is
simply run again, and a finished one is recorded in `migrations` and skipped.

`integer_ledger`: points were floats and hours decimal floats in the ledger, its balance
caches, buckets, adjustment requests and held awards (a 1e-9 point could be stored and
drift below the check's tolerance). Now points are whole and hours whole tenths
(models/points/ledger.py). Per member, in one transaction: the entries are converted
(points half up, hours × 10 half up, marked with their `unit`) and the balances become
the sum of the converted entries plus whatever difference the old cache already had from
its entries (rounded), so a drift that existed stays visible to `check` and rounding adds
none.

`order_outbox`: the orders' notifier reads the orders marked `notify_due`; the orders
changed in the last day with events not told yet are marked once.

`user_picks`: every user gets `pick` (bounded member samples, models/orders/candidates.py).

`dashboard_tallies`: the dashboard's running tallies, computed once from the record.
"""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.people import membership
from models.points import ledger

log = logging.getLogger("tongxin.migrations")

INTEGER_LEDGER = "integer_ledger"


def _entry_delta(entry: dict[str, Any]) -> int:
    delta = entry.get("delta") or 0
    if entry.get("kind") == "hours":
        return ledger.tenths(delta)
    return ledger.whole_points(delta)


def _old_units(entry: dict[str, Any]) -> float:
    """An entry's delta in the old units (hours in hours), converted or not."""
    if entry.get("unit"):
        return float(ledger.shown(entry["kind"], entry["delta"]))
    return float(entry.get("delta") or 0)


def _entry_update(entry: dict[str, Any]) -> dict[str, Any]:
    update: dict[str, Any] = {
        "delta": _entry_delta(entry),
        "unit": ledger.UNIT.get(entry.get("kind", "points"), "point"),
    }
    for name in ("buckets", "refunds_buckets"):
        if entry.get(name):
            update[name] = [
                {**part, "amount": ledger.whole_points(part.get("amount") or 0)}
                for part in entry[name]
            ]
    if entry.get("unbucketed") is not None:
        update["unbucketed"] = ledger.whole_points(entry["unbucketed"])
    return update


async def _member(ctx: Context, member_id: ObjectId) -> int:
    """One member's entries and balances, converted together."""

    async def work(session: AsyncClientSession) -> int:
        user = await ctx.db.users.find_one({"_id": member_id}, session=session)
        if user is None or "hours_balance" not in user:
            return 0
        entries = await ctx.db.ledger_entries.find(
            {"member_id": member_id}, session=session
        ).to_list(None)
        old = {"points": 0.0, "hours": 0.0}
        new = {"points": 0, "hours": 0}
        converted = 0
        for entry in entries:
            kind = entry.get("kind", "points")
            old[kind] = old.get(kind, 0.0) + _old_units(entry)
            if entry.get("unit"):
                new[kind] = new.get(kind, 0) + int(entry["delta"])
                continue
            update = _entry_update(entry)
            new[kind] = new.get(kind, 0) + update["delta"]
            await ctx.db.ledger_entries.update_one(
                {"_id": entry["_id"], "unit": {"$exists": False}}, {"$set": update}, session=session
            )
            converted += 1
        drift_points = float(user.get("points_balance") or 0) - old["points"]
        drift_hours = float(user.get("hours_balance") or 0) - old["hours"]
        await ctx.db.users.update_one(
            {"_id": member_id, "hours_balance": {"$exists": True}},
            {
                "$set": {
                    "points_balance": new["points"] + ledger.whole_points(drift_points),
                    "hours_tenths": new["hours"] + ledger.tenths(drift_hours),
                },
                "$unset": {"hours_balance": ""},
            },
            session=session,
        )
        return converted

    return await uow.in_transaction(ctx, work)


async def integer_ledger(ctx: Context) -> dict[str, int]:
    counts = {"members": 0, "entries": 0, "buckets": 0, "adjustments": 0, "holds": 0}
    old_users = ctx.db.users.find({"hours_balance": {"$exists": True}}, {"_id": 1})
    for user_id in [u["_id"] async for u in old_users]:
        counts["entries"] += await _member(ctx, user_id)
        counts["members"] += 1
    # entries of members no longer in `users` (none expected): converted on their own
    async for entry in ctx.db.ledger_entries.find({"unit": {"$exists": False}}):
        result = await ctx.db.ledger_entries.update_one(
            {"_id": entry["_id"], "unit": {"$exists": False}}, {"$set": _entry_update(entry)}
        )
        counts["entries"] += result.modified_count
    async for bucket in ctx.db.point_buckets.find({}):
        fields = {k: bucket.get(k) or 0 for k in ("earned", "spent", "expired")}
        if all(isinstance(v, int) for v in fields.values()):
            continue
        await ctx.db.point_buckets.update_one(
            {"_id": bucket["_id"]},
            {"$set": {k: ledger.whole_points(v) for k, v in fields.items()}},
        )
        counts["buckets"] += 1
    async for adj in ctx.db.point_adjustments.find({}, {"kind": 1, "delta": 1}):
        # requests keep what the admin typed: whole points, hours with one digit
        delta = adj.get("delta") or 0
        fixed: int | float = (
            ledger.tenths(delta) / 10 if adj.get("kind") == "hours" else ledger.whole_points(delta)
        )
        if fixed != delta or (adj.get("kind") != "hours" and not isinstance(delta, int)):
            await ctx.db.point_adjustments.update_one(
                {"_id": adj["_id"]}, {"$set": {"delta": fixed}}
            )
            counts["adjustments"] += 1
    async for hold in ctx.db.held_awards.find({"ledger_units": {"$exists": False}}):
        entries = [{**e, "delta": _entry_delta(e)} for e in hold.get("entries") or []]
        await ctx.db.held_awards.update_one(
            {"_id": hold["_id"], "ledger_units": {"$exists": False}},
            {
                "$set": {
                    "entries": entries,
                    "points": sum(e["delta"] for e in entries if e.get("kind") == "points"),
                    "ledger_units": True,
                }
            },
        )
        counts["holds"] += 1
    return counts


async def order_outbox(ctx: Context) -> dict[str, int]:
    """The notifier reads the orders marked `notify_due` (models/orders/notices.py), no
    longer an `updated_at` range since a watermark: an order changed in the last day with
    events not told yet is marked, so nothing in flight at the upgrade goes untold."""
    from models.orders.notices import FIRST_RUN_LOOKBACK

    since = ctx.now() - FIRST_RUN_LOOKBACK
    light = {"version": 1, "notified_version": 1, "updated_at": 1}
    marked = 0
    async for row in ctx.db.orders.find({"updated_at": {"$gte": since}}, light):
        done = row.get("notified_version")
        if (-1 if done is None else int(done)) < int(row.get("version", 0)):
            result = await ctx.db.orders.update_one(
                {"_id": row["_id"], "notify_due": {"$exists": False}},
                {"$set": {"notify_due": row["updated_at"]}},
            )
            marked += result.modified_count
    return {"orders": marked}


async def user_picks(ctx: Context) -> dict[str, int]:
    """Every user gets `pick`, the key bounded member samples walk (models/orders/candidates)."""
    from models.people.users import pick_of

    marked = 0
    async for user in ctx.db.users.find({"pick": {"$exists": False}}, {"_id": 1}):
        result = await ctx.db.users.update_one(
            {"_id": user["_id"], "pick": {"$exists": False}},
            {"$set": {"pick": pick_of(user["_id"])}},
        )
        marked += result.modified_count
    return {"users": marked}


async def dashboard_tallies(ctx: Context) -> dict[str, int]:
    """The dashboard reads running tallies (models/ops/tallies.py) instead of rollups
    computed from the orders and the ledger on first need: computed once from the record."""
    from models.ops import recount

    orders = await recount.rebuild(ctx)
    await ctx.db.drop_collection("stats_days")  # the markers of the rollups computed on need
    for collection, replaced in (
        ("leaderboard_buckets", "period_1_org_path_1_points_-1"),  # now serves ties too
        ("stats_daily", "org_path_1_day_1"),  # rollups per node now, read by _id
    ):
        if replaced in await ctx.db[collection].index_information():
            await ctx.db[collection].drop_index(replaced)
    return {"orders": orders}


# `member_directory`: the member list reads by join time and search keys and shows a
# per-node counter (models/people/membership.py): keys, join times and counters filled once
MIGRATIONS = [
    (INTEGER_LEDGER, integer_ledger),
    ("member_directory", membership.fill_directory),
    ("order_outbox", order_outbox),
    ("user_picks", user_picks),
    ("dashboard_tallies", dashboard_tallies),
]


async def run_migrations(ctx: Context) -> dict[str, dict[str, int]]:
    """Every migration not recorded as done; each records itself when it finishes."""
    done = {m["_id"] async for m in ctx.db.migrations.find({}, {"_id": 1})}
    report: dict[str, dict[str, int]] = {}
    for name, migrate in MIGRATIONS:
        if name in done:
            continue
        counts = await migrate(ctx)
        await ctx.db.migrations.update_one(
            {"_id": name}, {"$set": {"done_at": ctx.now(), "counts": counts}}, upsert=True
        )
        if any(counts.values()):
            log.info("migration done", extra={"migration": name, **counts})
        report[name] = counts
    return report
