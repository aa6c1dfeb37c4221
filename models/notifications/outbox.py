"""The outbox for state machines that tell people right after each transition (wishes,
voices): `notified_version` on the document says up to which timeline event everyone has
been told; a catch-up pass tells what a crash between a transition and its notices lost.

Event i of the timeline made version i (submit writes version 0 with the first event, every
transition pushes one event and adds 1), and every notice key carries the version, so the
transition's own call and a catch-up pass writing the same notice is a no-op. Like the
orders' notifier, the pass reads an indexed range on `updated_at` since its watermark
(no `$expr` comparing the two versions: that scans), leaving alone documents changed in
the last `GRACE` (their transition is still telling them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.notifications.inbox import Notice, notify_many

EventNotices = Callable[[Context, dict[str, Any], int], Awaitable[list[Notice]]]
GRACE = timedelta(seconds=30)
FIRST_RUN_LOOKBACK = timedelta(days=1)
CLOCK_SKEW_MARGIN = timedelta(minutes=5)


async def told(collection: Any, doc: dict[str, Any]) -> None:
    """After a transition's own notices: move `notified_version` to this version, only if
    every earlier event was told (else the catch-up pass tells the gap first). A document
    from before the outbox (no `notified_version`) counts as told up to here."""
    version = int(doc.get("version", 0))
    await collection.update_one(
        {"_id": doc["_id"], "notified_version": {"$in": [version - 1, None]}},
        {"$set": {"notified_version": version}},
    )


async def tell_missed(
    ctx: Context, collection: Any, doc: dict[str, Any], notices_for: EventNotices
) -> int:
    """Notices of the events after `notified_version`, then move it (conditionally)."""
    done = doc.get("notified_version")
    version = int(doc.get("version", 0))
    last = min(version, len(doc.get("timeline") or []) - 1)
    notices: list[Notice] = []
    for index in range(-1 if done is None else int(done), last):
        notices += await notices_for(ctx, doc, index + 1)
    written = await notify_many(ctx, notices)
    await collection.update_one(
        {"_id": doc["_id"], "notified_version": done}, {"$set": {"notified_version": version}}
    )
    return written


async def catch_up(
    ctx: Context,
    collection: Any,
    state_id: str,
    notices_for: EventNotices,
    *,
    batch: int = 200,
    max_pages: int = 50,
) -> dict[str, int]:
    """One pass over the documents changed since the watermark whose events are not told."""
    now = ctx.now()
    until = now - GRACE
    state = await ctx.db.job_state.find_one({"_id": state_id})
    since: datetime = state["since"] if state else now - FIRST_RUN_LOOKBACK
    low = since - CLOCK_SKEW_MARGIN
    light = {"version": 1, "notified_version": 1, "updated_at": 1}
    seen: set[ObjectId] = set()
    behind: list[ObjectId] = []
    watermark = until
    for _ in range(max_pages):
        rows = await (
            collection.find({"updated_at": {"$gte": low, "$lt": until}}, light)
            .sort([("updated_at", 1)])
            .limit(batch)
            .to_list(batch)
        )
        fresh = [r for r in rows if r["_id"] not in seen]
        for row in fresh:
            seen.add(row["_id"])
            done = row.get("notified_version")
            if done is not None and int(done) < int(row.get("version", 0)):
                behind.append(row["_id"])
        if len(rows) < batch or not fresh:
            break
        low = rows[-1]["updated_at"]
    else:
        watermark = low  # more pages changed than one pass reads: the next goes on from here
    written = 0
    for start in range(0, len(behind), batch):
        chunk = behind[start : start + batch]
        async for doc in collection.find({"_id": {"$in": chunk}}):
            written += await tell_missed(ctx, collection, doc, notices_for)
    await ctx.db.job_state.update_one(
        {"_id": state_id}, {"$set": {"since": watermark, "updated_at": now}}, upsert=True
    )
    return {"behind": len(behind), "notifications": written}
