"""Keyset pagination: walking the cursor returns every row once, in order, ties included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from models.core import paging
from server.errors import ValidationFailed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _seed(ctx, owner, scope):
    rows = []
    for i in range(40):
        # spread over ~3 years, densest in the last hours; every fifth row shares a millisecond
        age = timedelta(minutes=7 * i * i) if i % 5 else timedelta(minutes=7 * (i - 1) * (i - 1))
        rows.append({"_id": ObjectId(), "owner": owner, "scope": [scope], "at": NOW - age})
    await ctx.db.paging_rows.insert_many(rows)
    await ctx.db.paging_rows.create_index([("owner", 1), ("at", -1)])
    await ctx.db.paging_rows.create_index([("scope", 1), ("at", -1)])
    return sorted(rows, key=lambda r: (r["at"], r["_id"]), reverse=True)


async def _walk(fetch, limit):
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = await fetch(paging.decode(cursor), limit)
        seen += [r["_id"] for r in rows]
        pages += 1
        assert pages < 100
        if cursor is None:
            return seen


@pytest.mark.gen_test(timeout=60)
async def test_both_walks_return_every_row_once_in_order(ctx):
    owner, scope = ObjectId(), ObjectId()
    expected = [r["_id"] for r in await _seed(ctx, owner, scope)]
    coll = ctx.db.paging_rows
    for limit in (1, 3, 7, 40, 100):

        async def by_owner(cursor, limit=limit):
            return await paging.newest_of_owner(
                coll, {"owner": owner}, field="at", cursor=cursor, limit=limit
            )

        async def by_windows(cursor, limit=limit):
            return await paging.newest_in_windows(
                coll, {"scope": scope}, now=NOW, field="at", cursor=cursor, limit=limit
            )

        assert await _walk(by_owner, limit) == expected, limit
        assert await _walk(by_windows, limit) == expected, limit

    async def oldest_first(cursor, limit=4):
        return await paging.newest_of_owner(
            coll, {"owner": owner}, field="at", cursor=cursor, limit=limit, direction=1
        )

    assert await _walk(oldest_first, 4) == expected[::-1]


class Counting:
    """A collection that counts the rows its finds return."""

    def __init__(self, coll):
        self.coll, self.name, self.rows = coll, coll.name, 0

    def find(self, *args):
        cursor = self.coll.find(*args)
        outer = self

        class Rows:
            async def to_list(self, n):
                rows = await cursor.to_list(n)
                outer.rows += len(rows)
                return rows

        return Rows()


@pytest.mark.gen_test(timeout=60)
async def test_the_first_window_follows_the_density_seen_last(ctx):
    """A busy scope (600 rows in the last hour) costs its first page about a page of rows
    from the second time on, not the whole first hour."""
    scope = ObjectId()
    rows = [
        {"_id": ObjectId(), "scope": [scope], "at": NOW - timedelta(seconds=6 * i)}
        for i in range(600)
    ]
    await ctx.db.paging_rows.insert_many(rows)
    await ctx.db.paging_rows.create_index([("scope", 1), ("at", -1)])
    coll = Counting(ctx.db.paging_rows)
    newest = sorted(rows, key=lambda r: (r["at"], r["_id"]), reverse=True)[:10]
    for _ in range(2):
        coll.rows = 0
        page, _cursor = await paging.newest_in_windows(
            coll, {"scope": scope}, now=NOW, field="at", cursor=None, limit=10
        )
        assert [r["_id"] for r in page] == [r["_id"] for r in newest]
    assert coll.rows <= 30, coll.rows  # the first call read the whole hour: 600


def test_a_cursor_is_opaque_and_a_bad_one_is_a_400():
    oid = ObjectId()
    text = paging.encode(NOW, oid, 1)
    assert paging.decode(text) == paging.Cursor(NOW, oid, 1)
    for bad in ("x", "!!!", paging.encode(NOW, oid)[:-3], "MTox"):
        with pytest.raises(ValidationFailed) as err:
            paging.decode(bad)
        assert "cursor" in err.value.fields
