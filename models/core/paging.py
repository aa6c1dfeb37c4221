"""Keyset pagination: lists are paged by an opaque cursor on (sort time, _id), never by offset.

An offset makes the database read and sort every skipped row, and the embedded database
reads and sorts every match before it applies a limit even with a matching index. So:
- a list bounded by its owner (my orders, my ledger, my inbox) reads the rows older than
  the cursor with one indexed range `{owner, at <= cursor}`;
- a list over an organisation's subtree (which grows with the whole service) is read in
  time windows walking back from the cursor, each an indexed `{scope, at: [lo, hi)}` range,
  until the page is full: the first sized to a page at the density that list showed last
  (1 h the first time), each next one to the rows still wanted at the density seen (×4
  after an empty one). The cost follows the page, not the size of the collection.
The cursor is the last row's (time, _id) as `group.millis.id`: clients pass it back
unchanged. Its shape is CURSOR_PATTERN (declared in the OpenAPI document), and every string
of that shape is a cursor the lists accept.
"""

from __future__ import annotations

import re
from collections import OrderedDict
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
SECOND = timedelta(seconds=1)
# rows per second last seen in each windowed list (collection, field, scope): the next
# first page starts with a window sized to a page at that density, not a fixed hour that
# holds ten times the rows when the scope is ten times as busy. Per process, bounded.
DENSITIES: OrderedDict[str, float] = OrderedDict()
DENSITIES_KEPT = 4096


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


def _next_span(span: timedelta, found: int, covered: timedelta, wanted: int) -> timedelta:
    """The next window: sized to the rows still wanted at the density seen so far (so a
    denser collection reads smaller windows, not more rows), ×4 while nothing was found."""
    if found <= 0 or covered <= timedelta(0):
        return span * GROWTH
    need = max(wanted, 1)
    sized = covered * (need / found) * 1.25
    return max(timedelta(seconds=1), min(sized, span * GROWTH))


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
    """Newest first over a large scope, read in indexed time windows until the page is full.

    The first window is `first` (an hour unless the caller knows better, e.g. a fraction of a
    bounded period); each next one is sized from the density of the rows seen (the embedded
    database reads every match of a range before any limit, so the windows, not a limit,
    bound the cost: about one page of rows at any size of the collection).
    """
    hi = cursor.at + timedelta(milliseconds=1) if cursor else now + timedelta(seconds=1)
    floor = floor or hi - LOOKBACK
    before = _before(cursor, field)
    rows: list[dict[str, Any]] = []
    key = f"{getattr(collection, 'name', '')}:{field}:{sorted(base.items(), key=str)!r}"
    density = DENSITIES.get(key)
    span = first if not density else max(SECOND, timedelta(seconds=(limit + 1) / density))
    covered = timedelta(0)
    found = 0
    while hi > floor and len(rows) <= limit:
        lo = max(floor, hi - span)
        batch = await collection.find({**base, field: {"$gte": lo, "$lt": hi}}, projection).to_list(
            None
        )
        rows += [r for r in batch if before(r) and (keep is None or keep(r))]
        if batch or found:  # the density counts from the first window that found rows
            found += len(batch)
            covered += hi - lo
        hi = lo
        span = _next_span(span, found, covered, limit + 1 - len(rows))
    if found and covered > timedelta(0):
        DENSITIES[key] = found / covered.total_seconds()
        DENSITIES.move_to_end(key)
        while len(DENSITIES) > DENSITIES_KEPT:
            DENSITIES.popitem(last=False)
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
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first over a large scope: indexed time windows walking forward from the cursor
    (or from `floor`, else `LOOKBACK` ago) until the page is full, each sized from the
    density seen so far (×4 after an empty one). Without a tight `floor` the first page
    pays for the walk to the oldest row: give one where it is known (models/orders/queue)."""
    lo = cursor.at if cursor else (floor or now - LOOKBACK)
    end = now + timedelta(seconds=1)
    after = _before(cursor, field, 1)
    rows: list[dict[str, Any]] = []
    span = FIRST_WINDOW
    covered = timedelta(0)
    found = 0
    while lo < end and len(rows) <= limit:
        hi = min(end, lo + span)
        batch = await collection.find({**base, field: {"$gte": lo, "$lt": hi}}, projection).to_list(
            None
        )
        rows += [r for r in batch if after(r) and (keep is None or keep(r))]
        if batch or found:  # the density counts from the first window that found rows
            found += len(batch)
            covered += hi - lo
        lo = hi
        span = _next_span(span, found, covered, limit + 1 - len(rows))
    return _page(rows, field, limit, 0, 1)
