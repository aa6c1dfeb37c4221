"""An order's timeline: at most the newest `orders.timeline_embedded` events on the order,
the rest archived in `order_events`, moved there in the transition's own transaction.

Every event has a place in the order's history, `seq` (0 = submit): the archive holds seq
0 … `timeline_archived` − 1 (unique on `(order_id, seq)`), the order's `timeline` the
following ones. A transition that would pass the cap moves the oldest events out (down to
half the cap) in the same transaction as its update, which applies only while those events
are still exactly what was read (the `$cond` guard): nothing is lost or duplicated, and of
two racing actors one wins, the other gets the usual 409. The other transitions stay one
plain update. Measured in bench/timeline.py: the cost no longer grows with the history.
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core.context import Context
from models.orders.visibility import get_visible, timeline_json
from models.people.users import Actor
from server.errors import ValidationFailed

ARCHIVE_FIELDS = {"_id": 0, "order_id": 0}


def cap(ctx: Context) -> int:
    return max(1, int(ctx.config.orders.timeline_embedded))


def archived(order: dict[str, Any]) -> int:
    return int(order.get("timeline_archived") or 0)


def total(order: dict[str, Any]) -> int:
    return archived(order) + len(order.get("timeline") or [])


def falling_off(order: dict[str, Any], keep: int) -> list[dict[str, Any]]:
    """The embedded events (as read) to move out when one more event would pass the cap,
    oldest first: enough that half the cap stays, so only one transition in about
    `keep / 2` pays for the archive's transaction (the others are one plain update)."""
    embedded = order.get("timeline") or []
    if len(embedded) + 1 <= keep:
        return []
    return embedded[: len(embedded) + 1 - (keep + 1) // 2]


async def archive(
    ctx: Context, order: dict[str, Any], events: list[dict[str, Any]], session: AsyncClientSession
) -> None:
    """Insert the events moved out of `order` (read at its current version) into the archive."""
    first = archived(order)
    await ctx.db.order_events.insert_many(
        [
            {"_id": ObjectId(), **event, "order_id": order["_id"], "seq": first + i}
            for i, event in enumerate(events)
        ],
        ordered=True,
        session=session,
    )


async def archived_range(
    ctx: Context, order_id: ObjectId, low: int, high: int
) -> list[dict[str, Any]]:
    """Archived events seq ∈ [low, high), oldest first: one indexed range, bounded by seq."""
    if high <= low:
        return []
    rows = await ctx.db.order_events.find(
        {"order_id": order_id, "seq": {"$gte": low, "$lt": high}}, {"_id": 0, "order_id": 0}
    ).to_list(None)
    return sorted(rows, key=lambda e: e["seq"])


async def events_between(
    ctx: Context, order: dict[str, Any], low: int, high: int
) -> list[tuple[int, dict[str, Any]]]:
    """History events seq ∈ [low, high) of `order` as read: the archive, then the embedded."""
    first = archived(order)
    embedded = order.get("timeline") or []
    out = [(e["seq"], e) for e in await archived_range(ctx, order["_id"], low, min(high, first))]
    for seq in range(max(low, first), min(high, first + len(embedded))):
        out.append((seq, embedded[seq - first]))
    return out


async def full_history(ctx: Context, order: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event of the order, oldest first (the member's data export)."""
    return [e for _, e in await events_between(ctx, order, 0, total(order))]


# the page cursor: `0.<seq>.<order id>` (the shape of every list cursor, paging.CURSOR_PATTERN)
_CURSOR = re.compile(r"^0\.([0-9]{1,14})\.([0-9a-f]{24})$")


def _before(cursor: str | None, order_id: ObjectId, count: int) -> int:
    if not cursor:
        return count
    match = _CURSOR.match(cursor)
    if match is None or match.group(2) != str(order_id):
        raise ValidationFailed(fields={"cursor": "翻页游标无效，请从第一页重新加载"})
    return min(int(match.group(1)), count)


async def history_page(
    ctx: Context, actor: Actor, order_id: ObjectId, cursor: str | None, limit: int
) -> dict[str, Any]:
    """The order's whole history, newest first, `limit` events per page (keyset on seq).

    Visible to whoever may see the order (404 otherwise), masked as in the order view.
    """
    order = await get_visible(ctx, actor, order_id)
    count = total(order)
    before = _before(cursor, order["_id"], count)
    low = max(0, before - limit)
    rows = await events_between(ctx, order, low, before)
    rows.reverse()
    items = timeline_json(order, [e for _, e in rows], actor)
    for item, (seq, _) in zip(items, rows, strict=True):
        item["seq"] = seq
    return {
        "order_id": str(order["_id"]),
        "items": items,
        "next_cursor": f"0.{low}.{order['_id']}" if low > 0 else None,
        "timeline_total": count,
        "timeline_archived": archived(order),
    }


async def rewrite_archived(ctx: Context, order_ids: list[ObjectId], change: Any) -> None:
    """Erasure: `change(event) -> dict | None` gives each archived event's new fields."""
    for order_id in order_ids:
        async for event in ctx.db.order_events.find({"order_id": order_id}):
            fields = {k: v for k, v in change(event).items() if event.get(k) != v}
            if fields:
                await ctx.db.order_events.update_one({"_id": event["_id"]}, {"$set": fields})


async def archive_drift(ctx: Context) -> list[dict[str, Any]]:
    """Orders whose `timeline_archived` is not exactly their archived seqs 0 … n−1."""
    found: dict[ObjectId, dict[str, int]] = {}
    pipeline = [
        {"$group": {"_id": "$order_id", "n": {"$sum": 1}, "top": {"$max": "$seq"}}},
    ]
    async for row in await ctx.db.order_events.aggregate(pipeline):
        found[row["_id"]] = {"n": int(row["n"]), "top": int(row["top"])}
    problems = []
    async for order in ctx.db.orders.find(
        {"timeline_archived": {"$gt": 0}}, {"timeline_archived": 1}
    ):
        have = found.pop(order["_id"], {"n": 0, "top": -1})
        want = archived(order)
        if have["n"] != want or have["top"] != want - 1:
            problems.append({"order_id": order["_id"], "counter": want, **have})
    for order_id, have in found.items():
        problems.append({"order_id": order_id, "counter": 0, **have})
    return problems
