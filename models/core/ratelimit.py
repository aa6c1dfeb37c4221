"""Rate limits: an atomic fixed-window counter per (bucket, who) in `rate_limits`.

One conditional upsert per hit (`count < limit`), so concurrent requests can never get
more than `limit` through a window; the counters expire by a TTL index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from models.core.context import Context
from server.errors import RateLimited


def window_key(ctx: Context, bucket: str, who: str, window_seconds: int) -> tuple[str, datetime]:
    """The counter of `who` in the current fixed window, and when that window ends."""
    start = int(ctx.now().timestamp()) // window_seconds * window_seconds
    ends = datetime.fromtimestamp(start, UTC) + timedelta(seconds=window_seconds)
    return f"{bucket}:{who}:{start}", ends


async def take(ctx: Context, bucket: str, who: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; False when `who` already used `limit` hits in this window (0: no limit)."""
    if limit <= 0 or window_seconds <= 0:
        return True
    key, ends = window_key(ctx, bucket, who, window_seconds)
    return await take_amount(ctx, key, 1, limit, ends)


async def take_amount(
    ctx: Context, key: str, amount: float, limit: float, expires_at: datetime
) -> bool:
    """Add `amount` to the counter `key` unless that would pass `limit`: one conditional
    upsert, so racing callers can never together pass it."""
    query = {"_id": key, "count": {"$lte": limit - amount}}
    update = {"$inc": {"count": amount}, "$setOnInsert": {"expires_at": expires_at}}
    for upsert in (True, False):
        try:
            result = await ctx.db.rate_limits.update_one(query, update, upsert=upsert)
        except DuplicateKeyError:  # full (the filter missed) or a racing first hit: retry
            continue
        return bool(result.modified_count or result.upserted_id is not None)
    return False


async def give_back(ctx: Context, key: str, amount: float) -> None:
    """Undo a `take_amount` whose work did not happen (a counter back at 0 is removed, so a
    refused request leaves the database as it found it)."""
    await ctx.db.rate_limits.update_one({"_id": key}, {"$inc": {"count": -amount}})
    await ctx.db.rate_limits.delete_one({"_id": key, "count": {"$lte": 0}})


async def hit(
    ctx: Context,
    bucket: str,
    who: str,
    limit: int,
    window_seconds: int,
    message: str = "操作过于频繁，请稍后再试",
) -> None:
    """`take`, or 429 with a Chinese message."""
    if not await take(ctx, bucket, who, limit, window_seconds):
        raise RateLimited(message, code=f"{bucket}_rate_limited")
