"""The resident's address stays with the resident, the member who took the order and staff in
scope: the task hall, named candidates and the 「有新的服务工单待接单」 message carry the
community (and distance) only."""

from __future__ import annotations

import pytest

from models import orders
from models.orders import notices as order_notices
from tests.world import place

ADDRESS = "阳光社区 3 号楼 2 单元 501"


@pytest.mark.gen_test(timeout=60)
async def test_address_shown_only_once_taken(api, ctx, world):
    sec = world.actor("sec_a1")
    oid = await place(world)
    await orders.dispatch_order(ctx, sec, oid, {"volunteer_ids": [world.id("m1")], "to_hall": True})
    m1, m3 = await api.login("openid-m1"), await api.login("openid-m3")
    for token in (m1, m3):
        status, hall = await api.get("/api/v1/task-hall", token=token)
        assert status == 200
        (item,) = [o for o in hall["items"] if o["id"] == str(oid)]
        assert item["address"] is None and item["location"] is None, item
        assert item["org_name"] and "distance_km" in item
        status, detail = await api.get(f"/api/v1/orders/{oid}", token=token)
        assert status == 200 and detail["address"] is None
    # the message to the hall names the community, not the address
    await order_notices.run_notifier(ctx)
    sent = await ctx.db.notifications.find({"kind": "order_dispatched"}).to_list(None)
    assert sent and all(ADDRESS not in n["body"] for n in sent)
    assert all(world.orgs["A1"]["name"] in n["body"] for n in sent)
    # staff in scope and the resident see it; the member who takes it sees it from then on
    secretary, resident = await api.login("openid-sec_a1"), await api.login("openid-owner")
    for token in (secretary, resident):
        assert (await api.get(f"/api/v1/orders/{oid}", token=token))[1]["address"] == ADDRESS
    status, accepted = await api.post(f"/api/v1/orders/{oid}/accept", token=m1)
    assert status == 200 and accepted["address"] == ADDRESS and accepted["location"]
    status, other = await api.get(f"/api/v1/orders/{oid}", token=m3)
    assert status in (200, 404) and (status == 404 or other["address"] is None)
