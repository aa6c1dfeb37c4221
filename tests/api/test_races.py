"""Races and crashes: one winner per order, one award per order, whatever happens."""

from __future__ import annotations

import asyncio

import pytest

from models import ledger, orders
from models.users import create_user


@pytest.mark.gen_test(timeout=120)
async def test_twenty_volunteers_accept_one_order(api, world, ctx):
    volunteers = []
    for i in range(20):
        user = await create_user(
            ctx,
            role="member",
            name=f"抢单队员{i}",
            org_id=world.orgs["A1"]["_id"],
            openid=f"racer-{i}",
        )
        volunteers.append((user["_id"], await api.login(f"racer-{i}")))
    oid = await world.order_in("submitted")
    sec = await api.login("openid-sec_a1")
    status, _ = await api.post(f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=sec)
    assert status == 200

    results = await asyncio.gather(
        *(api.post(f"/api/v1/orders/{oid}/accept", token=token) for _, token in volunteers)
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19, statuses
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "order_taken" and "接单" in loser["error"]["message"]

    order = await ctx.db.orders.find_one({"_id": oid})
    assert str(order["assignee_id"]) == winner["assignee_id"]
    assert [e["action"] for e in order["timeline"]].count("accept") == 1
    loads = {
        u["_id"]: u["open_orders"]
        async for u in ctx.db.users.find({"openid": {"$regex": "^racer-"}})
    }
    assert sorted(loads.values()) == [0] * 19 + [1]


@pytest.mark.gen_test(timeout=60)
async def test_open_order_limit(api, world, ctx):
    m1 = await api.login("openid-m1")
    taken = []
    for _ in range(4):
        oid = await world.order_in("submitted")
        sec = await api.login("openid-sec_a1")
        await api.post(f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=sec)
        taken.append(await api.post(f"/api/v1/orders/{oid}/accept", token=m1))
    assert [s for s, _ in taken] == [200, 200, 200, 409]
    assert taken[-1][1]["error"]["code"] == "too_many_open_orders"


@pytest.mark.gen_test(timeout=120)
async def test_ten_concurrent_confirms_award_once(api, world, ctx, config, mongo_uri):
    oid = await world.order_in("completed")
    owner = await api.login("openid-owner")
    results = await asyncio.gather(
        *(api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=owner) for _ in range(10))
    )
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [409] * 9, statuses
    entries = await ctx.db.ledger_entries.find({"source.id": oid}).to_list(None)
    assert sorted(e["kind"] for e in entries) == ["hours", "points"]
    member = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert (member["points_balance"], member["hours_balance"]) == (10, 2.0)
    assert (member["rating_sum"], member["rating_count"]) == (5, 1)
    assert await ledger.check_ledger(ctx) == []


@pytest.mark.gen_test(timeout=120)
async def test_award_retried_after_crash_between_entry_and_balance(
    api, world, ctx, config, mongo_uri
):
    from tests.api.test_core_loop import cli

    oid = await world.order_in("completed")
    owner = await api.login("openid-owner")
    ctx.failpoints.add("ledger.after_entries")  # the process "dies" after writing the entries
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 500 and body["error"]["code"] == "internal_error"
    # the transaction never committed: no entry, no balance, the order still awaits confirmation
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 0
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["status"] == "completed"
    assert cli(config, mongo_uri, "check-ledger").returncode == 0

    ctx.failpoints.clear()  # the client retries the same request
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 200 and body["status"] == "closed"
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 409
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 2
    result = cli(config, mongo_uri, "check-ledger")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.gen_test(timeout=120)
async def test_award_is_exactly_once_even_if_the_order_step_is_bypassed(world, ctx):
    """The ledger's own guard: the same award key twice never makes two entries."""
    oid = await world.order_in("completed")
    order = await ctx.db.orders.find_one({"_id": oid})
    entries = orders.award_entries(order, world.actor("owner"))

    async def award(session):
        return await ledger.append(ctx, session, entries, org_path=order["assignee_org_path"])

    outcomes = await asyncio.gather(
        *(ledger.in_transaction(ctx, award) for _ in range(10)), return_exceptions=True
    )
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(wins) == 1, outcomes
    losses = [o for o in outcomes if o not in wins]
    assert all(isinstance(o, ledger.AlreadyRecorded) for o in losses), [
        repr(o)[:300] for o in losses
    ]
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 2
    assert await ledger.check_ledger(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_check_ledger_finds_a_corrupted_balance(world, ctx, config, mongo_uri):
    from tests.api.test_core_loop import cli

    oid = await world.order_in("completed")
    order = await ctx.db.orders.find_one({"_id": oid})
    await orders.confirm_order(ctx, world.actor("owner"), oid, {"rating": 5})
    await ctx.db.users.update_one({"_id": order["assignee_id"]}, {"$inc": {"points_balance": 1}})
    result = cli(config, mongo_uri, "check-ledger")
    assert result.returncode == 1
    assert "队员1" in result.stdout and '"sum_of_entries": 10' in result.stdout


@pytest.mark.gen_test(timeout=60)
async def test_spending_never_goes_negative(world, ctx):
    member = world.id("m1")
    spend = ledger.LedgerEntry(
        member_id=member,
        kind="points",
        delta=-5,
        reason="兑换",
        source_type="redemption",
        source_id=member,
        idempotency_key="spend-1",
    )
    with pytest.raises(Exception) as info:
        await ledger.in_transaction(ctx, lambda s: ledger.append(ctx, s, [spend], org_path=[]))
    assert getattr(info.value, "code", "") == "insufficient_balance"
    assert await ctx.db.ledger_entries.count_documents({"member_id": member}) == 0
