"""Racing roster imports: five imports of the same 50 phones at once leave 50 members, one
per phone; an import is all-or-nothing (a loser inserts none of its rows)."""

from __future__ import annotations

import asyncio

import pytest

from models.core import excel
from models.people import roster
from tests.trust.figures import record


def roster_file(phones: list[str], tag: str) -> bytes:
    rows = [
        [f"队员{tag}{n}", p, "阳光社区第一党支部", "正式党员", "助老"] for n, p in enumerate(phones)
    ]
    return excel.workbook_bytes("队员名册", [h for h, _, _ in roster.COLUMNS], rows)


@pytest.mark.gen_test(timeout=180)
async def test_racing_imports_never_share_a_phone(world, ctx):
    phones = [f"1370000{n:04d}" for n in range(50)]
    files = [roster_file(phones, tag) for tag in "ABCDE"]
    sec = world.actor("sec_a1")
    results = await asyncio.gather(
        *(roster.import_roster(ctx, sec, f, f"名册{n}.xlsx") for n, f in enumerate(files))
    )
    members = await ctx.db.users.find({"phone": {"$in": phones}}, {"phone": 1, "name": 1}).to_list(
        None
    )
    winners = [r for r in results if r.get("imported")]
    by_tag = {m["name"][2] for m in members}
    record(
        "roster import race",
        imports_at_once=len(files),
        members=len(members),
        duplicated=len(members) - len({m["phone"] for m in members}),
    )
    assert len(members) == 50 and len({m["phone"] for m in members}) == 50
    assert len(winners) == 1 and winners[0]["imported"] == 50, results
    assert len(by_tag) == 1  # all-or-nothing: every member came from the one winning file
    for loser in (r for r in results if not r.get("imported")):
        assert loser["errors"] and all(e["column"] == "手机号" for e in loser["errors"])

    # an overlapping file later: refused whole, nothing of it inserted
    overlap = roster_file([*phones[40:], *(f"1370001{n:04d}" for n in range(10))], "F")
    again = await roster.import_roster(ctx, sec, overlap, "overlap.xlsx")
    assert again.get("errors") and not again.get("imported")
    assert await ctx.db.users.count_documents({"name": {"$regex": "^队员F"}}) == 0
