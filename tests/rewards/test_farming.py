"""Farming rules: each holds the award on its pattern and not on a near miss; the review
queue releases (exactly once, into the ledger and the leaderboard) or refuses, audited."""

from __future__ import annotations

import asyncio

import pytest

from models import orders
from models.points import ledger
from models.rewards import farming
from server.errors import AppError
from tests.rewards.helpers import assert_clean

OFF = {
    "farming_daily_cap": 0,
    "farming_monthly_cap": 0,
    "farming_pair_orders": 0,
    "farming_shared_contact": True,
    "farming_self_confirm": True,
}


def rules(ctx, **on):
    ctx.config = ctx.config.replace(rewards={**OFF, **on})


async def confirm(world, *, member="m1", owner="owner", member_phone=None, **changes):
    if member_phone:
        await world.ctx.db.users.update_one({"_id": world.id(member)}, {"$set": {"phone": None}})
    oid = await world.order_in("completed", member=member, owner=owner)
    if member_phone:  # bound after the work was taken (dispatch refuses the placer's phone)
        await world.ctx.db.users.update_one(
            {"_id": world.id(member)}, {"$set": {"phone": member_phone}}
        )
    if changes:
        await world.ctx.db.orders.update_one({"_id": oid}, {"$set": changes})
    await orders.confirm_order(world.ctx, world.actor(owner), oid, {"rating": 5})
    return oid


async def held(ctx, oid):
    return await ctx.db.held_awards.find_one({"order_id": oid})


async def points_of(ctx, world, key="m1"):
    return (await ctx.db.users.find_one({"_id": world.id(key)}))["points_balance"]


@pytest.fixture
def roomy(ctx):
    ctx.config = ctx.config.replace(orders={"max_open_per_member": 100})


@pytest.mark.gen_test(timeout=120)
async def test_self_confirmation_under_another_account_with_the_same_phone(ctx, world, roomy):
    rules(ctx)
    near = await confirm(world, member_phone="13912340001")  # one digit apart: not the same
    assert await held(ctx, near) is None
    hit = await confirm(world, member_phone="13912340000")
    hold = await held(ctx, hit)
    assert [r["rule"] for r in hold["reasons"]] == ["self_confirm"]
    assert await points_of(ctx, world) == 10  # the held 10 are not in the balance
    assert await ctx.db.ledger_entries.count_documents({"source.id": hit}) == 0
    await assert_clean(ctx)


@pytest.mark.gen_test(timeout=120)
async def test_shared_phone_and_address_with_the_volunteer(ctx, world, roomy):
    rules(ctx)
    # the volunteer once ordered a service as a resident, from this address and phone
    await world.order_in("submitted", owner="m2", member="m1")
    mine = await ctx.db.orders.find_one({"resident_id": world.id("m2")})
    await ctx.db.orders.update_one(
        {"_id": mine["_id"]},
        {"$set": {"address": "阳光社区 8 号楼 1 单元 101", "contact_phone": "13700000008"}},
    )
    near = await confirm(
        world, member="m2", address="阳光社区 8 号楼 1 单元 102", contact_phone="13700000009"
    )
    assert await held(ctx, near) is None
    phone = await confirm(world, member="m2", contact_phone="13700000008")
    assert [r["rule"] for r in (await held(ctx, phone))["reasons"]] == ["shared_phone"]
    address = await confirm(world, member="m2", address="阳光社区8号楼1单元101")
    assert [r["rule"] for r in (await held(ctx, address))["reasons"]] == ["shared_address"]


@pytest.mark.gen_test(timeout=120)
async def test_same_pair_too_often(ctx, world, clock, roomy):
    rules(ctx, farming_pair_orders=2, farming_pair_days=7)
    first = await confirm(world)
    second = await confirm(world)
    other = await confirm(world, owner="other")  # another resident: not the pair
    assert [await held(ctx, o) for o in (first, second, other)] == [None, None, None]
    third = await confirm(world)
    assert [r["rule"] for r in (await held(ctx, third))["reasons"]] == ["pair_frequency"]
    clock.move(days=7, minutes=1)  # the first two fall out of the window
    assert await held(ctx, await confirm(world)) is None


@pytest.mark.gen_test(timeout=120)
async def test_daily_and_monthly_caps(ctx, world, clock, roomy):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 5, 10, 2, tzinfo=UTC)  # 10:00 Beijing
    rules(ctx, farming_daily_cap=20, farming_monthly_cap=40)
    a, b = await confirm(world), await confirm(world)  # 10 + 10 = the cap, not over it
    assert await held(ctx, a) is None and await held(ctx, b) is None
    c = await confirm(world)
    assert [r["rule"] for r in (await held(ctx, c))["reasons"]] == ["daily_cap"]
    clock.move(hours=14)  # 00:00 the next day in Beijing (16:00 UTC, still the same UTC day)
    d, e = await confirm(world), await confirm(world)  # 40 this month: at the monthly cap
    assert await held(ctx, d) is None and await held(ctx, e) is None
    f = await confirm(world)
    rules_hit = [r["rule"] for r in (await held(ctx, f))["reasons"]]
    assert rules_hit == ["daily_cap", "monthly_cap"]


@pytest.mark.gen_test(timeout=120)
async def test_release_once_refuse_with_reason_and_leaderboard(ctx, world, roomy):
    rules(ctx)
    one = await confirm(world, member_phone="13912340000")
    two = await confirm(world, member_phone="13912340000")
    h1, h2 = await held(ctx, one), await held(ctx, two)
    board = await ledger.leaderboard(ctx, world.orgs["A1"]["_id"], "all")
    assert board == []  # held points are nobody's yet
    with pytest.raises(AppError) as err:
        await farming.release(ctx, world.actor("sec_b1"), h1["_id"])
    assert err.value.status == 404
    results = await asyncio.gather(
        farming.release(ctx, world.actor("sec_a1"), h1["_id"], "核实无误"),
        farming.release(ctx, world.actor("sec_a"), h1["_id"], "核实无误"),
        farming.refuse(ctx, world.actor("admin"), h1["_id"], "重复"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, dict) for r in results) == 1
    decided = await held(ctx, one)
    released = decided["status"] == "released"
    entries = await ctx.db.ledger_entries.count_documents({"source.id": one})
    assert entries == (2 if released else 0)
    await farming.refuse(ctx, world.actor("sec_a1"), h2["_id"], "同一手机号自下单自确认")
    with pytest.raises(AppError) as err:
        await farming.release(ctx, world.actor("sec_a1"), h2["_id"])
    assert err.value.code == "hold_decided"
    assert await points_of(ctx, world) == (10 if released else 0)
    board = await ledger.leaderboard(ctx, world.orgs["A1"]["_id"], "all")
    assert [r["points"] for r in board] == ([10] if released else [])
    audits = await ctx.db.audit_log.find({"target.type": "held_award"}).to_list(None)
    assert {a["action"] for a in audits} >= {"points.hold_refuse"}
    assert any(a["reason"] == "同一手机号自下单自确认" for a in audits)
    await assert_clean(ctx)
