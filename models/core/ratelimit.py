"""Rate limits: an atomic fixed-window counter per (bucket, who) in `rate_limits`.

One conditional upsert per hit (`count < limit`), so concurrent requests can never get
more than `limit` through a window; the counters expire by a TTL index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from models.core.context import Context
from server.errors import RateLimited


async def take(ctx: Context, bucket: str, who: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; False when `who` already used `limit` hits in this window (0: no limit)."""
    if limit <= 0 or window_seconds <= 0:
        return True
    now = ctx.now()
    start = int(now.timestamp()) // window_seconds * window_seconds
    key = f"{bucket}:{who}:{start}"
    ends = datetime.fromtimestamp(start, UTC) + timedelta(seconds=window_seconds)
    query = {"_id": key, "count": {"$lt": limit}}
    update = {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": ends}}
    for upsert in (True, False):
        try:
            result = await ctx.db.rate_limits.update_one(query, update, upsert=upsert)
        except DuplicateKeyError:  # full (the filter missed) or a racing first hit: retry
            continue
        return bool(result.modified_count or result.upserted_id is not None)
    return False


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


class LocalWindow:
    """The same fixed window kept in this process's memory, for floods in front of
    unauthenticated work: no database round trip per hit, and bounded memory (past
    `max_keys` callers in one window, new callers are refused until the window turns)."""

    def __init__(self, max_keys: int = 100_000):
        self.max_keys = max_keys
        self.window = -1
        self.counts: dict[str, int] = {}

    def take(self, now: datetime, who: str, limit: int, window_seconds: int = 60) -> bool:
        if limit <= 0:
            return True
        window = int(now.timestamp()) // window_seconds
        if window != self.window:
            self.window, self.counts = window, {}
        count = self.counts.get(who)
        if count is None and len(self.counts) >= self.max_keys:
            return False
        if (count or 0) >= limit:
            return False
        self.counts[who] = (count or 0) + 1
        return True
