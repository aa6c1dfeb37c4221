"""Leaderboard buckets: kept with the ledger, read above a floor, checked against the ledger."""

from __future__ import annotations

import pytest
from bson import ObjectId

from models.core import uow
from models.ops import checks
from models.points import boards, ledger
from models.points.ledger import LedgerEntry


async def award(ctx, member_id, org_path, delta, key):
    entry = LedgerEntry(member_id, "points", delta, "测试", "test", key, f"test:{key}")

    async def work(session):
        await ledger.append(ctx, session, [entry], org_path=org_path)

    await uow.in_transaction(ctx, work)


async def new_member(ctx, world, n):
    from models.people.users import create_user

    user = await create_user(
        ctx,
        role="member",
        name=f"队员{n}",
        openid=f"openid-board-{n}-{ObjectId()}",
        org_id=world.orgs["A1"]["_id"],
        skills=[],
    )
    return user["_id"]


@pytest.mark.gen_test(timeout=120)
async def test_the_board_reads_above_its_floor_and_matches_the_ledger(ctx, world):
    path = list(world.orgs["A1"]["path"])
    members = [await new_member(ctx, world, i) for i in range(6)]
    for i, member in enumerate(members):
        await award(ctx, member, path, 10 * (i + 1), f"a{i}")
    # a spend (negative) and a second award: only earned points count
    await award(ctx, members[0], path, 5, "b0")
    await award(ctx, members[0], path, -3, "c0")
    street = world.orgs["street"]["_id"]

    board = await boards.top(ctx, street, "all", ctx.now(), 3)
    assert board == [(members[5], 60), (members[4], 50), (members[3], 40)]
    floor = await ctx.db.leaderboard_floors.find_one({})
    assert floor["points"] == 40  # the third best score is the floor of a 3-row board

    # a member passing the floor is on the next board; one below it is not read at all
    await award(ctx, members[0], path, 100, "d0")
    board = await boards.top(ctx, street, "all", ctx.now(), 3)
    assert board[0] == (members[0], 115) and len(board) == 3
    scanned = await ctx.db.leaderboard_buckets.count_documents(
        {"period": "all", "org_path": street, "points": {"$gte": 50}}
    )
    assert scanned == 3  # members 0, 4, 5: the range the board reads

    # the API's board agrees with a recount of the ledger, month and all time
    for period in ("month", "all"):
        rows = await ledger.leaderboard(ctx, street, period, limit=10)
        assert [(r["member_id"], r["points"]) for r in rows][:2] == [
            (str(members[0]), 115),
            (str(members[5]), 60),
        ]
    assert await boards.drift(ctx) == []


@pytest.mark.gen_test(timeout=120)
async def test_members_tied_below_the_floor_are_not_read(ctx, world):
    """Eight members on 10 points, a board of 3: the floor is the third of them, and the
    next board reads the three ranked at or above it, not all eight ties."""
    path = list(world.orgs["A1"]["path"])
    members = sorted([await new_member(ctx, world, i) for i in range(8)], key=str)
    for i, member in enumerate(members):
        await award(ctx, member, path, 10, f"t{i}")
    street = world.orgs["street"]["_id"]
    assert await boards.top(ctx, street, "month", ctx.now(), 3) == [(m, 10) for m in members[:3]]
    floor = await ctx.db.leaderboard_floors.find_one({})
    assert (floor["points"], floor["member_id"]) == (10, members[2])
    queries = boards._above({"period": floor["_id"].split(":")[0], "org_path": street}, floor)
    read = [await ctx.db.leaderboard_buckets.count_documents(q) for q in queries]
    assert read == [0, 3]
    # a tied member after the floor who gains a point passes it: read, and on the board
    await award(ctx, members[7], path, 1, "t7b")
    board = await boards.top(ctx, street, "month", ctx.now(), 3)
    assert board == [(members[7], 11), (members[0], 10), (members[1], 10)]
    floor = await ctx.db.leaderboard_floors.find_one({})
    assert (floor["points"], floor["member_id"]) == (10, members[1])


@pytest.mark.gen_test(timeout=120)
async def test_the_check_finds_and_repairs_a_drifted_bucket(ctx, world):
    path = list(world.orgs["A1"]["path"])
    member = await new_member(ctx, world, 1)
    await award(ctx, member, path, 10, "x")
    await ctx.db.leaderboard_buckets.update_one(
        {"period": "all", "member_id": member}, {"$inc": {"points": 7}}
    )
    await ctx.db.leaderboard_buckets.delete_one({"period": {"$regex": "^m"}, "member_id": member})
    check = next(c for c in checks.CHECKS if c.name == "leaderboard_buckets")
    problems = await check.find(ctx)
    assert len(problems) == 2
    assert check.repair is not None and await check.repair(ctx, problems) == 2
    assert await check.find(ctx) == []


def test_period_keys_are_beijing_calendar():
    from datetime import UTC, datetime

    at = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # 1 February, 01:00 in Beijing
    assert boards.period_key("month", at) == "m2026-02"
    assert boards.period_key("year", at) == "y2026"
    assert boards.period_key("all", at) == "all"
    docs = [
        {
            "kind": "points",
            "delta": 3,
            "member_id": ObjectId(),
            "org_path": [ObjectId()],
            "created_at": at,
        }
    ]
    assert len(boards.bucket_writes(docs)) == 3
    assert boards.bucket_writes([{**docs[0], "delta": -3}]) == []
