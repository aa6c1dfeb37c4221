"""The demo shows the mall on a first run: items (one sold out), redemptions in each state,
a merchant, one award held for review; `server check` clean."""

from __future__ import annotations

import pytest

from server.demo import seed_demo
from tests.rewards.helpers import assert_clean


@pytest.mark.gen_test(timeout=120)
async def test_demo_rewards(ctx):
    ctx.config = ctx.config.replace(rewards={"farming_shared_contact": True})
    assert await seed_demo(ctx)
    shelf = await ctx.db.reward_items.find({}).to_list(None)
    assert len(shelf) == 3 and sum(i["stock"] == 0 for i in shelf) == 1
    states = {r["status"] async for r in ctx.db.redemptions.find({})}
    assert states == {"reserved", "picked_up", "cancelled"}
    assert await ctx.db.users.count_documents({"role": "merchant"}) == 1
    held = await ctx.db.held_awards.find({}).to_list(None)
    assert [h["reasons"][0]["rule"] for h in held] == ["shared_address"]
    await assert_clean(ctx)
