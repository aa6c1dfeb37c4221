"""Races on orders over real HTTP: one winner of an accept, the open-order limit, one award."""

from __future__ import annotations

import asyncio

import pytest

from models.people.users import create_user
from models.points import ledger


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
    assert (member["points_balance"], member["hours_tenths"]) == (10, 20)
    assert (member["rating_sum"], member["rating_count"]) == (5, 1)
    assert await ledger.check_ledger(ctx) == []
