"""The dashboard's tallies recomputed from the record (the orders and the ledger): a
rebuild after a restore or a bulk import, and `python -m server check`'s comparison.

Both read every order and every earning entry: offline work, never a request's.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import InsertOne

from models.core.context import Context
from models.ops.tallies import (
    ENTRY_FIELDS,
    FIELDS,
    contribution,
    day_id,
    day_incs,
    entry_incs,
    node_incs,
)


async def rebuild(ctx: Context) -> int:
    """Recompute every tally from the orders and the ledger (offline: after a restore or a
    bulk import, and once at the upgrade that introduced them). Reads every order and
    earning entry; returns how many orders."""
    days: dict[tuple[str, ObjectId], Any] = {}
    nodes: dict[ObjectId, Any] = {}
    counted: list[InsertOne] = []
    await ctx.db.order_tallies.delete_many({})
    n = 0
    async for order in ctx.db.orders.find({}, FIELDS):
        c = contribution(order)
        day_incs(c, 1, days)
        node_incs(c, 1, nodes)
        counted.append(
            InsertOne({"_id": order["_id"], "version": int(order.get("version", 0)), "c": c})
        )
        n += 1
        if len(counted) >= 1000:
            await ctx.db.order_tallies.bulk_write(counted, ordered=False)
            counted = []
    if counted:
        await ctx.db.order_tallies.bulk_write(counted, ordered=False)
    async for entry in ctx.db.ledger_entries.find({"delta": {"$gt": 0}}, ENTRY_FIELDS):
        entry_incs(entry, days)
    await ctx.db.ledger_entries.update_many(
        {"tally_due": {"$exists": True}}, {"$unset": {"tally_due": ""}}
    )
    await ctx.db.open_tallies.delete_many({})
    await ctx.db.stats_daily.delete_many({})
    node_docs = [_expand({"_id": node}, incs) for node, incs in nodes.items()]
    day_docs = [
        _expand({"_id": day_id(day, node), "day": day, "node": node}, incs)
        for (day, node), incs in days.items()
    ]
    for coll, docs in ((ctx.db.open_tallies, node_docs), (ctx.db.stats_daily, day_docs)):
        for k in range(0, len(docs), 1000):
            await coll.insert_many(docs[k : k + 1000])
    return n


def _expand(doc: dict[str, Any], incs: dict[str, int]) -> dict[str, Any]:
    """`{"a.b": 1}` increments as the document they would build."""
    for path, value in incs.items():
        if not value:
            continue
        *heads, last = path.split(".")
        at = doc
        for head in heads:
            at = at.setdefault(head, {})
        at[last] = value
    return doc


async def drift(ctx: Context) -> list[dict[str, Any]]:
    """Tallies that differ from the sum of the contributions and entries counted, and
    orders whose counted contribution is not what they contribute now with no outbox mark
    to fix it (reads every order, `order_tallies` document and earning entry)."""
    days: dict[tuple[str, ObjectId], Any] = {}
    nodes: dict[ObjectId, Any] = {}
    counted = {d["_id"]: d async for d in ctx.db.order_tallies.find({})}
    problems: list[dict[str, Any]] = []
    fields = {**FIELDS, "notify_due": 1}
    async for order in ctx.db.orders.find({}, fields):
        mine = counted.pop(order["_id"], None)
        if mine is not None and mine["c"] is not None:
            day_incs(mine["c"], 1, days)
            node_incs(mine["c"], 1, nodes)
        if "notify_due" in order:
            continue  # the next pass counts it
        if mine is None or mine["c"] != contribution(order):
            problems.append({"order_id": order["_id"], "problem": "not counted as it is"})
    earning = ctx.db.ledger_entries.find({"delta": {"$gt": 0}}, {**ENTRY_FIELDS, "tally_due": 1})
    async for entry in earning:
        if "tally_due" not in entry:  # counted (a marked one is counted by the next pass)
            entry_incs(entry, days)
    for _id, gone in counted.items():  # tombstones aside, nothing removes a counted order
        if gone["c"] is not None:
            problems.append({"order_id": _id, "problem": "counted, but the order is gone"})
    want_nodes = {node: _nonzero(_expand({}, incs)) for node, incs in nodes.items()}
    have_nodes = {d.pop("_id"): _nonzero(d) async for d in ctx.db.open_tallies.find({})}
    for node in sorted(set(want_nodes) | set(have_nodes), key=str):
        want, have = want_nodes.get(node, {}), have_nodes.get(node, {})
        if want != have:
            problems.append({"open_tallies": node, "stored": have, "counted": want})
    want_days = {day_id(d, n): _nonzero(_expand({}, incs)) for (d, n), incs in days.items()}
    have_days = {
        d["_id"]: _nonzero({k: d[k] for k in FIGURES if k in d})
        async for d in ctx.db.stats_daily.find({})
    }
    for _id in sorted(set(want_days) | set(have_days)):
        want, have = want_days.get(_id, {}), have_days.get(_id, {})
        if want != have:
            problems.append({"stats_daily": _id, "stored": have, "counted": want})
    return problems


FIGURES = (
    "created",
    "created_total",
    "by_channel",
    "closed_total",
    "rating_sum",
    "rating_count",
    "dispatch_hist",
    "accept_hist",
    "close_hist",
    "earned",
)


def _nonzero(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            inner = _nonzero(v)
            if inner:
                out[k] = inner
        elif v:
            out[k] = v
    return out


async def repair(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Recompute every tally from the orders (they are derived: the orders are the record)."""
    if not problems:
        return 0
    await rebuild(ctx)
    return len(problems)
