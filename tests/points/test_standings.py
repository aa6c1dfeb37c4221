"""The branch rank on /me/points from the standings snapshot: own balance live, the others'
at most `standings.REFRESH` old, and the head count of the branch."""

from __future__ import annotations

import pytest

from models.points import ledger, standings


async def balances(ctx, world, **points):
    for name, value in points.items():
        await ctx.db.users.update_one({"_id": world.id(name)}, {"$set": {"points_balance": value}})


async def rank(ctx, world, name):
    summary = await ledger.points_summary(ctx, await world.refresh(name))
    return summary["rank"], summary["rank_total"]


@pytest.mark.gen_test(timeout=60)
async def test_rank_among_the_branch_from_the_standings(ctx, world, clock):
    await balances(ctx, world, m1=10, m2=30, m3=20)
    assert await rank(ctx, world, "m1") == (3, 3)
    assert await rank(ctx, world, "m2") == (1, 3)
    await balances(ctx, world, m1=25)  # the member's own balance counts at once
    assert await rank(ctx, world, "m1") == (2, 3)
    await balances(ctx, world, m2=0)  # the others' within REFRESH
    assert await rank(ctx, world, "m1") == (2, 3)
    clock.move(seconds=standings.REFRESH.total_seconds() + 1)
    assert await rank(ctx, world, "m1") == (1, 3)
    assert await rank(ctx, world, "m2") == (3, 3)
    await balances(ctx, world, m1=15)  # spent: one's own older 25 is not someone above
    assert await rank(ctx, world, "m1") == (2, 3)
    await balances(ctx, world, m3=0)
    assert await rank(ctx, world, "m3") == (2, 3)  # m1's 25 as of the snapshot
    other = await rank(ctx, world, "m_b1")  # another branch: its own standings
    assert other == (1, 1)
