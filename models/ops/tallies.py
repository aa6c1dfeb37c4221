"""The dashboard's running figures (数据看板), kept up as orders change, so reading them
costs the same at any size.

What one order contributes (`contribution`):
- its state, to the open counts of every node on its path (`open_tallies`, one document
  per node), and while its clock runs, its due hour (`due.<hour>`: the overdue count);
- its creation (category, channel), dispatch, acceptance and closing (with the rating) to
  the day rollups of every node on its path (`stats_daily`, one document per day and node,
  so a street's 90 days are 90 documents; the minutes for the medians as a histogram,
  `hist_median`).
And each ledger entry earning points or hours adds them to the same day rollups (`earned`:
points, hours, points by branch). ledger.append marks it `tally_due`; counting it clears
the mark in the same transaction. Not in the award's own transaction: a per-branch counter
there made every award of a branch conflict with every other.

`order_tallies` holds each order's contribution as last counted and the version it was
read at. Applying an order writes the difference between its contribution now and that one,
in one transaction with the guarded move of its `order_tallies` document, so each change
counts exactly once, whoever applies it: the notifier's pass over the orders' outbox
(`notify_due`), or a dashboard catching up that outbox before it reads. Nothing is added to
a transition's own write.

Invariant (`python -m server check`): the tallies equal the sum of every order's
contribution; models/ops/recount.py rebuilds them from the orders and the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import histogram, uow
from models.core.clock import local_day
from models.core.context import Context
from models.orders.states import (
    ACCEPTED,
    COMPLETED,
    DISPATCHED,
    IN_SERVICE,
    SUBMITTED,
)

OPEN_STATUSES = (SUBMITTED, DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED)
CLOCK_RUNNING = (DISPATCHED, ACCEPTED, IN_SERVICE)
CATCH_UP_LIMIT = 100  # a page counts at most this much of a backlog (the job counts the rest)

Contribution = dict[str, Any]


def as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=at.tzinfo or UTC)


def day_id(day: str, node: ObjectId) -> str:
    """A day rollup's id: the Beijing day (ISO) and the node."""
    return f"{day}:{node}"


def hour_key(at: datetime) -> str:
    """The UTC hour a due time falls in, as a field name that sorts by time."""
    return as_utc(at).strftime("%Y%m%d%H")


def hour_start(key: str) -> datetime:
    return datetime.strptime(key, "%Y%m%d%H").replace(tzinfo=UTC)


def _minutes(later: Any, earlier: Any) -> float | None:
    if not isinstance(later, datetime) or not isinstance(earlier, datetime):
        return None
    return max(0.0, (as_utc(later) - as_utc(earlier)).total_seconds() / 60)


def contribution(order: dict[str, Any]) -> Contribution:
    """What this order adds to the tallies, as plain values (stored in `order_tallies`)."""
    created = order.get("created_at")
    c: Contribution = {
        "status": order["status"],
        "path": list(order.get("org_path") or [order["org_id"]]),
    }
    if isinstance(created, datetime):
        channel = order.get("channel") or "self"
        c["created"] = [local_day(created).isoformat(), str(order["category_id"]), channel]
    for name, field, since in (
        ("dispatch", "dispatched_at", "created_at"),
        ("accept", "accepted_at", "dispatched_at"),
        ("close", "closed_at", "created_at"),
    ):
        at = order.get(field)
        minutes = _minutes(at, order.get(since))
        if minutes is not None and isinstance(at, datetime):
            c[name] = [local_day(at).isoformat(), histogram.bucket(minutes)]
    if "close" in c:
        c["close"].append(int(order.get("rating") or 0))
    if order["status"] in CLOCK_RUNNING and isinstance(order.get("due_at"), datetime):
        c["due"] = hour_key(order["due_at"])
    return c


def day_incs(c: Contribution, sign: int, out: dict[tuple[str, ObjectId], Any]) -> None:
    def inc(day: str, field: str, by: int = 1) -> None:
        for node in c["path"]:
            out.setdefault((day, node), defaultdict(int))[field] += sign * by

    if "created" in c:
        day, cat, channel = c["created"]
        inc(day, f"created.{cat}")
        inc(day, "created_total")
        inc(day, f"by_channel.{channel}")
    if "dispatch" in c:
        inc(c["dispatch"][0], f"dispatch_hist.{c['dispatch'][1]}")
    if "accept" in c:
        inc(c["accept"][0], f"accept_hist.{c['accept'][1]}")
    if "close" in c:
        day, bucket, rating = c["close"]
        inc(day, f"close_hist.{bucket}")
        inc(day, "closed_total")
        if rating:
            inc(day, "rating_sum", rating)
            inc(day, "rating_count")


def node_incs(c: Contribution, sign: int, out: dict[ObjectId, Any]) -> None:
    if c["status"] in OPEN_STATUSES:
        for node in c["path"]:
            out.setdefault(node, defaultdict(int))[f"counts.{c['status']}"] += sign
    if c.get("due"):
        for node in c["path"]:
            out.setdefault(node, defaultdict(int))[f"due.{c['due']}"] += sign


def writes(
    old: Contribution | None, new: Contribution | None
) -> tuple[list[UpdateOne], list[UpdateOne]]:
    """The `open_tallies` and `stats_daily` updates that move the tallies from counting
    `old` to counting `new` (None: nothing)."""
    days: dict[tuple[str, ObjectId], Any] = {}
    nodes: dict[ObjectId, Any] = {}
    for c, sign in ((old, -1), (new, 1)):
        if c:
            day_incs(c, sign, days)
            node_incs(c, sign, nodes)
    node_writes = [
        UpdateOne({"_id": node}, {"$inc": incs}, upsert=True)
        for node, incs in ((n, {k: v for k, v in i.items() if v}) for n, i in nodes.items())
        if incs
    ]
    day_writes = _day_writes(days)
    return node_writes, day_writes


async def apply(ctx: Context, order: dict[str, Any], counted: dict[str, Any] | None) -> bool:
    """Count `order` as it is now; `counted` is its `order_tallies` document as read (None:
    never counted). False when someone else counted this version or a newer one first."""
    version = int(order.get("version", 0))
    if counted is not None and int(counted["version"]) >= version:
        return False
    new = contribution(order)
    doc = {"_id": order["_id"], "version": version, "c": new}
    return await _move(ctx, counted, doc, counted["c"] if counted else None, new)


async def _move(
    ctx: Context,
    counted: dict[str, Any] | None,
    doc: dict[str, Any],
    old: Contribution | None,
    new: Contribution | None,
) -> bool:
    """In one transaction: the order's `order_tallies` document goes from `counted` as read
    (None: there is none) to `doc`, and the tallies from counting `old` to counting `new`.
    False, with nothing written, when another pass moved it first."""
    node_writes, day_writes = writes(old, new)

    async def work(session: AsyncClientSession) -> bool:
        if counted is None:
            await ctx.db.order_tallies.insert_one(doc, session=session)
        else:
            moved = await ctx.db.order_tallies.replace_one(
                {"_id": doc["_id"], "version": counted["version"]}, doc, session=session
            )
            if moved.modified_count != 1:
                raise _Overtaken
        if node_writes:
            await ctx.db.open_tallies.bulk_write(node_writes, ordered=False, session=session)
        if day_writes:
            await ctx.db.stats_daily.bulk_write(day_writes, ordered=False, session=session)
        return True

    try:
        return await uow.in_transaction(ctx, work)
    except (_Overtaken, DuplicateKeyError):
        return False


GONE = 2**62  # the version of a removed order's tombstone: no pass counts it again


async def forget(ctx: Context, order_id: ObjectId) -> None:
    """An order removed before anyone saw it (its photos could not be attached): a tombstone
    in `order_tallies` stops any pass still holding it from counting it, and whatever a
    pass counted meanwhile is taken back in the same transaction."""
    tombstone = {"_id": order_id, "version": GONE, "c": None}
    for _ in range(5):
        counted = await ctx.db.order_tallies.find_one({"_id": order_id})
        if counted is not None and counted["c"] is None:
            return
        if await _move(ctx, counted, tombstone, counted["c"] if counted else None, None):
            return


class _Overtaken(Exception):
    """Another pass counted this order meanwhile: this one writes nothing."""


async def apply_many(ctx: Context, batch: list[dict[str, Any]]) -> int:
    """Count each of these orders (read whole or with the fields `contribution` reads)."""
    if not batch:
        return 0
    counted = {
        d["_id"]: d
        async for d in ctx.db.order_tallies.find({"_id": {"$in": [o["_id"] for o in batch]}})
    }
    applied = 0
    for order in batch:
        applied += await apply(ctx, order, counted.get(order["_id"]))
    return applied


ENTRY_FIELDS = {"kind": 1, "delta": 1, "org_path": 1, "created_at": 1}


def entry_incs(entry: dict[str, Any], out: dict[tuple[str, ObjectId], Any]) -> None:
    """What an earning entry adds to the day rollups of the nodes on its path."""
    kind, delta, path = entry.get("kind"), entry.get("delta") or 0, entry.get("org_path") or []
    if kind not in ("points", "hours") or delta <= 0 or not path:
        return
    day = local_day(entry["created_at"]).isoformat()
    for node in path:
        incs = out.setdefault((day, node), defaultdict(int))
        incs[f"earned.{kind}"] += delta
        if kind == "points":
            incs[f"earned.by_branch.{path[-1]}"] += delta


def _day_writes(days: dict[tuple[str, ObjectId], Any]) -> list[UpdateOne]:
    out = []
    for (day, node), day_incs in days.items():
        incs = {k: v for k, v in day_incs.items() if v}
        if incs:
            out.append(
                UpdateOne(
                    {"_id": day_id(day, node)},
                    {"$inc": incs, "$setOnInsert": {"day": day, "node": node}},
                    upsert=True,
                )
            )
    return out


async def apply_entries(ctx: Context, entries: list[dict[str, Any]]) -> int:
    """Count these earning entries (read with their `tally_due` mark) in one transaction
    that clears the marks; if another pass cleared any of them first, nothing is written
    and the ones still marked are counted on the next pass."""
    if not entries:
        return 0
    days: dict[tuple[str, ObjectId], Any] = {}
    for entry in entries:
        entry_incs(entry, days)
    day_writes = _day_writes(days)
    ids = [e["_id"] for e in entries]

    async def work(session: AsyncClientSession) -> int:
        cleared = await ctx.db.ledger_entries.update_many(
            {"_id": {"$in": ids}, "tally_due": {"$exists": True}},
            {"$unset": {"tally_due": ""}},
            session=session,
        )
        if cleared.modified_count != len(ids):
            raise _Overtaken
        if day_writes:
            await ctx.db.stats_daily.bulk_write(day_writes, ordered=False, session=session)
        return len(ids)

    try:
        return await uow.in_transaction(ctx, work)
    except _Overtaken:
        return 0


async def catch_up_entries(ctx: Context, batch: int = 200, max_batches: int = 50) -> int:
    """Count the earning entries still marked, oldest first, a batch per transaction."""
    counted = 0
    for _ in range(max_batches):
        pending = (
            await ctx.db.ledger_entries.find({"tally_due": {"$exists": True}}, ENTRY_FIELDS)
            .limit(batch)
            .to_list(batch)
        )
        if not pending:
            break
        got = await apply_entries(ctx, pending)
        counted += got
        if got == 0 and len(pending) < batch:
            break  # another pass is on them
    return counted


FIELDS = {
    "status": 1,
    "version": 1,
    "org_id": 1,
    "org_path": 1,
    "category_id": 1,
    "channel": 1,
    "rating": 1,
    "created_at": 1,
    "dispatched_at": 1,
    "accepted_at": 1,
    "closed_at": 1,
    "due_at": 1,
}


async def catch_up(ctx: Context, limit: int = CATCH_UP_LIMIT) -> int:
    """Count the orders still in the notifier's outbox (changed since its last pass) and
    the entries still marked, so a dashboard read right after a transition or an award shows
    it. Costs what is waiting, not the collections."""
    pending = (
        await ctx.db.orders.find({"notify_due": {"$exists": True}}, FIELDS)
        .limit(limit)
        .to_list(limit)
    )
    return await apply_many(ctx, pending) + await catch_up_entries(ctx, batch=limit, max_batches=1)
