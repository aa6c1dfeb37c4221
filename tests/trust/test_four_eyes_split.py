"""The four-eyes threshold cannot be split: ten +50 adjustments at once for one member with
the threshold at 50 apply one alone; the other nine wait for a second approver."""

from __future__ import annotations

import asyncio

import pytest

from models.points import adjustments, ledger
from tests.trust.figures import record


@pytest.mark.gen_test(timeout=120)
async def test_small_adjustments_add_up_per_member_per_day(world, ctx):
    limit = adjustments.threshold(ctx)
    assert limit == 50
    sec = world.actor("sec_a1")
    results = await asyncio.gather(
        *(
            adjustments.request_adjustment(
                ctx, sec, world.id("m1"), kind="points", delta=50, reason=f"分拆 {n}"
            )
            for n in range(10)
        )
    )
    applied = [r for r in results if r["status"] == adjustments.APPLIED]
    pending = [r for r in results if r["status"] == adjustments.PENDING]
    alone = sum(abs(r["delta"]) for r in applied)
    record(
        "four-eyes threshold",
        adjustments_sent=len(results),
        applied_alone=len(applied),
        points_applied_alone=alone,
        applied_past_the_threshold=max(0, alone - limit),
    )
    assert len(applied) == 1 and len(pending) == 9, [r["status"] for r in results]
    # another member has a budget of their own; a second approver still applies the rest
    other = await adjustments.request_adjustment(
        ctx, sec, world.id("m2"), kind="points", delta=30, reason="另一名队员"
    )
    assert other["status"] == adjustments.APPLIED
    approved = await adjustments.approve(ctx, world.actor("sec_a"), pending[0]["_id"], "同意")
    assert approved["status"] == adjustments.APPLIED
    member = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert member["points_balance"] == 100
    assert await ledger.check_ledger(ctx) == []
