"""Self-dealing: nobody serves an order they placed, not even through a second account on
the same phone; they never see it in the task hall or the recommendations; placing orders
is rate-limited per user (25 at once → exactly the limit get through)."""

from __future__ import annotations

import asyncio

import pytest

from models.people.users import create_user
from tests.trust.figures import record


async def hall_ids(api, token):
    status, body = await api.get("/api/v1/task-hall?limit=100", token=token)
    assert status == 200, body
    return {item["id"] for item in body["items"]}


@pytest.mark.gen_test(timeout=120)
async def test_nobody_serves_their_own_order(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    # the resident's second account: a member of the same branch on the resident's phone
    await create_user(
        ctx,
        role="member",
        name="林阿姨（队员号）",
        org_id=world.orgs["A1"]["_id"],
        openid="openid-twin",
        phone=world.users["owner"]["phone"],
        skills=["家电维修"],
    )
    twin_id = (await ctx.db.users.find_one({"openid": "openid-twin"}))["_id"]
    accounts = {
        "member placing in own branch": ("openid-m1", "openid-m1"),
        "second account on the same phone": ("openid-owner", "openid-twin"),
    }
    served = hall_leaks = offered = recommended = 0
    for label, (placer_openid, server_openid) in accounts.items():
        placer = await api.login(placer_openid)
        server = await api.login(server_openid)
        status, order = await api.post("/api/v1/orders", world.order_body(), token=placer)
        assert status == 201, (label, order)
        oid = order["id"]
        status, recs = await api.get(f"/api/v1/orders/{oid}/recommendations", token=sec)
        assert status == 200, recs
        server_id = str(world.id("m1")) if server_openid == "openid-m1" else str(twin_id)
        recommended += server_id in {r["member"]["id"] for r in recs["items"]}
        status, named = await api.post(
            f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [server_id]}, token=sec
        )
        assert status == 400 and "volunteer_ids" in named["error"]["fields"], (label, named)
        status, _ = await api.post(f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=sec)
        assert status == 200
        hall_leaks += oid in await hall_ids(api, server)
        status, seen = await api.get(f"/api/v1/orders/{oid}", token=server)
        if status == 200:
            offered += "accept" in seen["actions"]
        status, body = await api.post(f"/api/v1/orders/{oid}/accept", token=server)
        served += status == 200
        assert status in (403, 404), (label, status, body)
        if status == 403:
            assert body["error"]["code"] == "own_order" and "自己" in body["error"]["message"]
        # someone else can still take it
        other = await api.login("openid-m3")
        assert oid in await hall_ids(api, other)
        status, _ = await api.post(f"/api/v1/orders/{oid}/accept", token=other)
        assert status == 200, label
        await api.post(f"/api/v1/orders/{oid}/decline", {"reason": "测试退回"}, token=other)
    record(
        "self-dealing",
        self_served_orders=served,
        own_orders_in_hall=hall_leaks,
        own_orders_offered=offered,
        own_recommendations=recommended,
    )
    assert (served, hall_leaks, offered, recommended) == (0, 0, 0, 0)


@pytest.mark.gen_test(timeout=120)
async def test_placing_orders_is_rate_limited(api, world, ctx, clock):
    """(The clock is pinned: the burst never straddles the window's edge.)"""
    limit = int(ctx.config.orders.place_limit)
    assert limit > 0
    token = await api.login("openid-owner")
    results = await asyncio.gather(
        *(
            api.post("/api/v1/orders", world.order_body(description=f"连发 {n}"), token=token)
            for n in range(limit + 15)
        )
    )
    statuses = [s for s, _ in results]
    created = statuses.count(201)
    refused = [b for s, b in results if s == 429]
    stored = await ctx.db.orders.count_documents({"resident_id": world.id("owner")})
    record(
        "self-dealing",
        orders_sent_at_once=len(results),
        orders_placed=created,
        orders_past_the_rate_limit=max(0, stored - limit),
    )
    assert created == limit and stored == limit, statuses
    assert len(refused) == 15 and all("下单过于频繁" in b["error"]["message"] for b in refused)
    # another resident is not affected
    other = await api.login("openid-other")
    assert (await api.post("/api/v1/orders", world.order_body(), token=other))[0] == 201
