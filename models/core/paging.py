"""Keyset pagination: lists are paged by an opaque cursor on (sort time, _id), never by offset.

An offset makes the database read and sort every skipped row, and the embedded database
reads and sorts every match before it applies a limit even with a matching index. So:
- a list bounded by its owner (my orders, my ledger, my inbox) reads the rows older than
  the cursor with one indexed range `{owner, at <= cursor}`;
- a list over an organisation's subtree (which grows with the whole service) is read in
  time windows walking back from the cursor (1 h, then ×4 each step), each an indexed
  `{scope, at: [lo, hi)}` range, until the page is full: the cost follows the page and
  the density of recent rows, not the size of the collection.
The cursor is the last row's (time, _id) as `group.millis.id`: clients pass it back
unchanged. Its shape is CURSOR_PATTERN (declared in the OpenAPI document), and every string
of that shape is a cursor the lists accept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from models.core.validation import CURSOR_PATTERN
from server.errors import ValidationFailed

FIRST_WINDOW = timedelta(hours=1)
GROWTH = 4
LOOKBACK = timedelta(days=366 * 10)


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: ObjectId
    group: int = 0  # lists sorted first by a flag (unread before read) say which part


def encode(at: datetime, _id: ObjectId, group: int = 0) -> str:
    millis = max(0, int(at.replace(tzinfo=at.tzinfo or UTC).timestamp() * 1000))
    return f"{group}.{millis}.{_id}"


def start_of(group: int) -> str:
    """A cursor at the top of a list's `group` (everything in it is 'before' it)."""
    return encode(datetime(3000, 1, 1, tzinfo=UTC), ObjectId("f" * 24), group)


def decode(text: str | None) -> Cursor | None:
    if not text:
        return None
    if not re.fullmatch(CURSOR_PATTERN, text):
        raise ValidationFailed(fields={"cursor": "翻页游标无效，请从第一页重新加载"})
    group, millis, oid = text.split(".")
    try:
        at = datetime.fromtimestamp(int(millis) / 1000, UTC)
        return Cursor(at, ObjectId(oid), int(group))
    except (ValueError, InvalidId, OverflowError, OSError):  # not reachable by the pattern
        raise ValidationFailed(fields={"cursor": "翻页游标无效，请从第一页重新加载"}) from None


def _key(field: str) -> Callable[[dict[str, Any]], tuple[datetime, ObjectId]]:
    def key(row: dict[str, Any]) -> tuple[datetime, ObjectId]:
        at = row[field]
        return (at.replace(tzinfo=at.tzinfo or UTC), row["_id"])

    return key


def _before(
    cursor: Cursor | None, field: str, direction: int = -1
) -> Callable[[dict[str, Any]], bool]:
    """Rows strictly after the cursor in the list's order."""
    key = _key(field)
    if cursor is None:
        return lambda row: True
    mark = (cursor.at, cursor.id)
    if direction > 0:
        return lambda row: key(row) > mark
    return lambda row: key(row) < mark


def _page(
    rows: list[dict[str, Any]], field: str, limit: int, group: int = 0, direction: int = -1
) -> tuple[list[dict[str, Any]], str | None]:
    rows.sort(key=_key(field), reverse=direction < 0)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode(last[field], last["_id"], group)


async def newest_of_owner(
    collection: Any,
    base: dict[str, Any],
    *,
    field: str = "created_at",
    cursor: Cursor | None,
    limit: int,
    projection: dict[str, Any] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
    group: int = 0,
    direction: int = -1,
    hint: list[tuple[str, int]] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first (or oldest first, `direction=1`), for a list bounded by its owner or
    by an open state: one indexed range `{**base, field <= cursor}` (`hint` names the index
    where the planner would not pick it, e.g. for an `$in` filter).

    `keep` drops rows in code (a test the index cannot serve); rows at the cursor's very
    millisecond are sorted out here by `_id`.
    """
    query = dict(base)
    if cursor is not None:
        query[field] = {"$lte" if direction < 0 else "$gte": cursor.at}
    before = _before(cursor, field, direction)
    wanted = limit + 1
    fetch = wanted + 8
    while True:
        got = (
            await collection.find(query, projection, hint=hint)
            .sort([(field, direction), ("_id", direction)])
            .limit(fetch)
            .to_list(fetch)
        )
        rows = [r for r in got if before(r) and (keep is None or keep(r))]
        if len(rows) >= wanted or len(got) < fetch:
            return _page(rows, field, limit, group, direction)
        fetch *= 4


async def newest_in_windows(
    collection: Any,
    base: dict[str, Any],
    *,
    now: datetime,
    field: str = "created_at",
    cursor: Cursor | None,
    limit: int,
    projection: dict[str, Any] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
    floor: datetime | None = None,
    first: timedelta = FIRST_WINDOW,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first over a large scope, read in indexed time windows until the page is full
    (`first`: the first window's length, e.g. a fraction of a bounded period)."""
    hi = cursor.at + timedelta(milliseconds=1) if cursor else now + timedelta(seconds=1)
    floor = floor or hi - LOOKBACK
    before = _before(cursor, field)
    rows: list[dict[str, Any]] = []
    span = first
    while hi > floor and len(rows) <= limit:
        lo = max(floor, hi - span)
        batch = await collection.find({**base, field: {"$gte": lo, "$lt": hi}}, projection).to_list(
            None
        )
        rows += [r for r in batch if before(r) and (keep is None or keep(r))]
        hi, span = lo, span * GROWTH
    return _page(rows, field, limit)


async def oldest_in_windows(
    collection: Any,
    base: dict[str, Any],
    *,
    now: datetime,
    field: str = "created_at",
    cursor: Cursor | None,
    limit: int,
    projection: dict[str, Any] | None = None,
    floor: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first over a large scope: indexed time windows walking forward from the cursor
    (or from `LOOKBACK` ago) until the page is full. After an empty window the next is 4×
    longer; a window that found rows keeps its size, so a dense stretch is read in slices."""
    lo = cursor.at if cursor else (floor or now - LOOKBACK)
    end = now + timedelta(seconds=1)
    after = _before(cursor, field, 1)
    rows: list[dict[str, Any]] = []
    span = FIRST_WINDOW
    while lo < end and len(rows) <= limit:
        hi = min(end, lo + span)
        batch = await collection.find({**base, field: {"$gte": lo, "$lt": hi}}, projection).to_list(
            None
        )
        fresh = [r for r in batch if after(r)]
        rows += fresh
        lo = hi
        if not fresh:
            span = span * GROWTH
    return _page(rows, field, limit, 0, 1)
