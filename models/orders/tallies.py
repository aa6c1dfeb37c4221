"""Open-order tallies per node (在办工单统计): the dashboard's counts without reading orders.

`order_tallies` holds, per organisation an order belongs to (its `org_id`), the number of
its orders in each open state (`open.<status>`) and, for the orders whose clock runs
(dispatched, accepted, in service), how many fall due in each UTC hour (`due.<hour>`, hours
since the epoch). Every write that changes an order's state or due time moves the tally in
the same transaction (`transition.write`, placing an order); the dashboard sums the tally
documents of a subtree, one indexed read whatever the number of orders.

A node's tally is split over `SHARDS` documents, the writer picking one at random: two
transitions of one busy node rarely touch the same document, so they seldom conflict.
Overdue orders: the hours before the current one are summed from the `due` map; the current
hour's orders are read (one indexed `{status, due_at}` range of less than an hour).
Invariant (`python -m server check`): the tallies == a recount of the orders.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
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
SHARDS = 4
HOUR = 3600


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def hour_of(when: datetime) -> int:
    """Hours since the epoch (UTC) of `when`: the key of its `due` bucket."""
    return int(_aware(when).timestamp()) // HOUR


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, UTC)


def _counted(status: str | None, due_at: Any) -> dict[str, int]:
    """The tally fields one order in `status` with `due_at` adds."""
    out: dict[str, int] = {}
    if status in OPEN_STATUSES:
        out[f"open.{status}"] = 1
    if status in CLOCK_RUNNING and isinstance(due_at, datetime):
        out[f"due.{hour_of(due_at)}"] = 1
    return out


def changes(order: dict[str, Any] | None, to: str | None, fields: dict[str, Any]) -> dict[str, int]:
    """The `$inc` that moves `order` (None: a new order) to state `to` with `fields` set;
    empty when the tally does not move (a self-transition, a closed order changing)."""
    inc: dict[str, int] = {}
    if order is not None:
        for key, n in _counted(order.get("status"), order.get("due_at")).items():
            inc[key] = inc.get(key, 0) - n
    if to is not None:
        due = fields.get("due_at", (order or {}).get("due_at"))
        for key, n in _counted(to, due).items():
            inc[key] = inc.get(key, 0) + n
    return {k: v for k, v in inc.items() if v}


def _write(
    org_id: ObjectId, org_path: list[ObjectId], inc: dict[str, int], shard: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        {"_id": f"{org_id}:{shard}"},
        {"$inc": inc, "$setOnInsert": {"org_id": org_id, "org_path": list(org_path)}},
    )


async def move(
    ctx: Context,
    session: AsyncClientSession | None,
    order: dict[str, Any],
    inc: dict[str, int],
) -> None:
    """Apply `inc` to the tally of the order's node (in the caller's transaction)."""
    if not inc:
        return
    query, update = _write(order["org_id"], order["org_path"], inc, random.randrange(SHARDS))
    await ctx.db.order_tallies.update_one(query, update, upsert=True, session=session)


async def insert_order(ctx: Context, doc: dict[str, Any]) -> None:
    """Insert a new order and count it, in one transaction (DuplicateKeyError goes through)."""

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.orders.insert_one(doc, session=session)
        await move(ctx, session, doc, changes(None, doc["status"], doc))

    await uow.in_transaction(ctx, work)


async def delete_unseen_order(ctx: Context, doc: dict[str, Any]) -> None:
    """Take back an order nobody saw yet (version 0), and its count, in one transaction."""

    async def work(session: AsyncClientSession) -> None:
        gone = await ctx.db.orders.delete_one({"_id": doc["_id"], "version": 0}, session=session)
        if gone.deleted_count:
            await move(ctx, session, doc, changes(doc, None, {}))

    await uow.in_transaction(ctx, work)


# ---- reading ----------------------------------------------------------------------------


async def subtree(ctx: Context, node: ObjectId) -> tuple[dict[str, int], dict[int, int]]:
    """(open orders by state, orders due per hour) of every order under `node`."""
    counts: dict[str, int] = {}
    due: dict[int, int] = {}
    async for doc in ctx.db.order_tallies.find({"org_path": node}, {"open": 1, "due": 1}):
        for status, n in (doc.get("open") or {}).items():
            counts[status] = counts.get(status, 0) + n
        for hour, n in (doc.get("due") or {}).items():
            due[int(hour)] = due.get(int(hour), 0) + n
    return {k: v for k, v in counts.items() if v}, {k: v for k, v in due.items() if v}


async def _due_between(
    ctx: Context, node: ObjectId, start: datetime, end: datetime
) -> list[tuple[datetime, ObjectId]]:
    """(due time, id) of the clock-running orders under `node` due in [start, end): one
    indexed `{status, due_at}` range per state, the subtree checked here."""
    found: list[tuple[datetime, ObjectId]] = []
    for status in CLOCK_RUNNING:
        query = {"status": status, "due_at": {"$gte": start, "$lt": end}}
        async for o in ctx.db.orders.find(query, {"due_at": 1, "org_path": 1}):
            if node in o.get("org_path", []):
                found.append((_aware(o["due_at"]), o["_id"]))
    return sorted(found)


async def overdue(
    ctx: Context, node: ObjectId, due: dict[int, int], now: datetime, limit: int = 10
) -> tuple[int, list[ObjectId]]:
    """(how many orders under `node` are past due, the `limit` most overdue ids).

    The hours before the current one are counted from the tallies; the orders are read only
    for the current hour and for the oldest hours that hold the `limit` most overdue ones.
    """
    current = hour_of(now)
    past = sorted(h for h in due if h < current)
    total = sum(due[h] for h in past)
    this_hour = await _due_between(ctx, node, hour_start(current), now)
    # the oldest hours holding at least `limit` orders (the index range, not a limit, bounds it)
    held, upto = 0, None
    for h in past:
        held += due[h]
        if held >= limit:
            upto = h
            break
    if not past:
        oldest = this_hour
    else:
        end = hour_start(upto + 1) if upto is not None else hour_start(current)
        oldest = await _due_between(ctx, node, hour_start(past[0]), end)
        if upto is None:
            oldest += this_hour
    return total + len(this_hour), [i for _, i in oldest[:limit]]


# ---- check and repair -------------------------------------------------------------------


async def recount(ctx: Context) -> dict[ObjectId, tuple[list[ObjectId], dict[str, int]]]:
    """org id → (its path, the tally fields) counted from the open orders themselves."""
    out: dict[ObjectId, tuple[list[ObjectId], dict[str, int]]] = {}
    for status in OPEN_STATUSES:  # one indexed `{status}` read per open state
        async for o in ctx.db.orders.find(
            {"status": status}, {"org_id": 1, "org_path": 1, "status": 1, "due_at": 1}
        ):
            _, fields = out.setdefault(o["org_id"], (list(o["org_path"]), {}))
            for key, n in _counted(o["status"], o.get("due_at")).items():
                fields[key] = fields.get(key, 0) + n
    return out


def _flatten(doc: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in ("open", "due"):
        for key, n in (doc.get(part) or {}).items():
            out[f"{part}.{key}"] = out.get(f"{part}.{key}", 0) + n
    return out


async def stored(ctx: Context) -> dict[ObjectId, dict[str, int]]:
    """org id → its tally fields summed over the shards."""
    out: dict[ObjectId, dict[str, int]] = {}
    async for doc in ctx.db.order_tallies.find({}):
        org_id = doc.get("org_id") or ObjectId(str(doc["_id"]).split(":")[0])
        fields = out.setdefault(org_id, {})
        for key, n in _flatten(doc).items():
            fields[key] = fields.get(key, 0) + n
    return out


async def drift(ctx: Context) -> list[dict[str, Any]]:
    """Every node whose tally differs from a recount of its open orders."""
    want = await recount(ctx)
    have = await stored(ctx)
    problems: list[dict[str, Any]] = []
    for org_id in sorted(set(want) | set(have), key=str):
        path, expected = want.get(org_id, ([], {}))
        got = have.get(org_id, {})
        diff = {
            k: expected.get(k, 0) - got.get(k, 0)
            for k in set(expected) | set(got)
            if expected.get(k, 0) != got.get(k, 0)
        }
        if diff:
            problems.append({"org_id": org_id, "org_path": path, "off_by": diff})
    return problems


async def repair(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Move each drifted tally by the difference found (shard 0 takes it)."""
    writes = []
    for p in problems:
        path = p["org_path"]
        if not path:  # no open order left: the path stored with the tally is kept
            doc = await ctx.db.order_tallies.find_one({"org_id": p["org_id"]}, {"org_path": 1})
            path = (doc or {}).get("org_path", [p["org_id"]])
        query, update = _write(p["org_id"], path, p["off_by"], 0)
        writes.append(UpdateOne(query, update, upsert=True))
    if writes:
        await ctx.db.order_tallies.bulk_write(writes, ordered=False)
    return len(writes)


async def rebuild(ctx: Context) -> int:
    """Recount every tally (after a bulk import or a restore, with no transition running)."""
    await ctx.db.order_tallies.delete_many({})
    writes = [
        UpdateOne(*_write(org_id, path, fields, 0), upsert=True)
        for org_id, (path, fields) in (await recount(ctx)).items()
        if fields
    ]
    if writes:
        await ctx.db.order_tallies.bulk_write(writes, ordered=False)
    return len(writes)


async def prune(ctx: Context) -> int:
    """Drop the `due` hours that came back to 0 (each unset conditional on the 0 read)."""
    dropped = 0
    async for doc in ctx.db.order_tallies.find({}, {"due": 1}):
        zeros: Iterable[str] = [h for h, n in (doc.get("due") or {}).items() if n == 0]
        for hour in zeros:
            result = await ctx.db.order_tallies.update_one(
                {"_id": doc["_id"], f"due.{hour}": 0}, {"$unset": {f"due.{hour}": ""}}
            )
            dropped += result.modified_count
    return dropped
