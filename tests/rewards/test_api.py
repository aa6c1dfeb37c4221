"""The mall over real HTTP: create, list, redeem with an Idempotency-Key, QR, cancel, 核销."""

from __future__ import annotations

import asyncio

import pytest

from models.people.users import create_user
from tests.rewards.helpers import assert_clean, give_points


@pytest.mark.gen_test(timeout=120)
async def test_mall_round_trip(api, ctx, world):
    sec = await api.login("openid-sec_a")
    m1 = await api.login("openid-m1")
    await give_points(ctx, world.users["m1"], 50)
    body = {
        "org_id": str(world.orgs["A"]["_id"]),
        "name": "爱心理发券",
        "price": 20,
        "stock": 1,
        "limit_per_member": 1,
        "limit_period": "month",
        "pickup_place": "阳光社区党群服务中心",
        "pickup_hours": "周六 9:00-11:00",
        "merchant": "阳光理发店",
    }
    status, item = await api.post("/api/v1/rewards", body, token=sec)
    assert status == 201, item
    status, mall = await api.get("/api/v1/rewards", token=m1)
    assert status == 200 and [i["id"] for i in mall["items"]] == [item["id"]]
    assert "initial_stock" not in mall["items"][0]  # stock accounting is for staff
    status, mall_b = await api.get("/api/v1/rewards", token=await api.login("openid-m_b1"))
    assert status == 200 and mall_b["items"] == []

    url = f"/api/v1/rewards/{item['id']}/redeem"
    key = {"Idempotency-Key": "redeem-0001"}
    first, second = await asyncio.gather(
        api.post(url, {}, token=m1, headers=key), api.post(url, {}, token=m1, headers=key)
    )
    assert sorted([first[0], second[0]]) == [200, 201], (first, second)
    assert first[1]["id"] == second[1]["id"]
    redemption = first[1]
    assert len(redemption["code"]) == 8 and redemption["qr"].startswith("data:image/svg+xml")
    status, me = await api.get("/api/v1/me/points", token=m1)
    assert me["points_balance"] == 30
    status, detail = await api.get(f"/api/v1/rewards/{item['id']}", token=m1)
    assert detail["sold_out"] and detail["status_text"] == "已兑完"
    status, err = await api.post(url, {}, token=m1, headers={"Idempotency-Key": "redeem-0002"})
    assert status == 409 and err["error"]["code"] == "sold_out"

    # the code is shown to its owner only; a secretary's list of the node has no code
    status, listed = await api.get("/api/v1/redemptions?scope=org", token=sec)
    assert [r["id"] for r in listed["items"]] == [redemption["id"]]
    assert listed["items"][0]["code"] is None

    # 核销 by a merchant of node A; one of another node does not find it
    await create_user(
        ctx, role="merchant", name="阳光理发店", openid="shop-a", org_id=world.orgs["A"]["_id"]
    )
    await create_user(
        ctx, role="merchant", name="春风理发店", openid="shop-b", org_id=world.orgs["B"]["_id"]
    )
    shop_a, shop_b = await api.login("shop-a"), await api.login("shop-b")
    code = {"code": redemption["code"]}
    status, err = await api.post("/api/v1/redemptions/pickup", code, token=shop_b)
    assert status == 404 and err["error"]["code"] == "code_not_found"
    status, err = await api.post("/api/v1/redemptions/pickup", code, token=m1)
    assert status == 403
    status, done = await api.post("/api/v1/redemptions/pickup", code, token=shop_a)
    assert status == 200 and done["status"] == "picked_up", done
    status, err = await api.post("/api/v1/redemptions/pickup", code, token=shop_a)
    assert status == 409
    status, err = await api.post(f"/api/v1/redemptions/{redemption['id']}/cancel", {}, token=m1)
    assert status == 409
    await assert_clean(ctx)


@pytest.mark.gen_test(timeout=60)
async def test_cancel_and_restock_over_http(api, ctx, world):
    sec = await api.login("openid-sec_a1")
    m2 = await api.login("openid-m2")
    await give_points(ctx, world.users["m2"], 15)
    body = {"org_id": str(world.orgs["A1"]["_id"]), "name": "环保袋", "price": 10, "stock": 0}
    status, item = await api.post("/api/v1/rewards", body, token=sec)
    assert status == 201
    url = f"/api/v1/rewards/{item['id']}/redeem"
    status, err = await api.post(url, {}, token=m2)
    assert status == 409 and err["error"]["message"] == "已兑完"
    status, item = await api.call(
        "PATCH", f"/api/v1/rewards/{item['id']}", {"add_stock": 3}, token=sec
    )
    assert status == 200 and item["stock"] == 3 and item["restocked"] == 3
    status, red = await api.post(url, {}, token=m2)
    assert status == 201
    status, err = await api.post(url, {}, token=m2)
    assert status == 409 and err["error"]["code"] == "insufficient_balance"
    status, cancelled = await api.post(f"/api/v1/redemptions/{red['id']}/cancel", {}, token=m2)
    assert status == 200 and cancelled["status"] == "cancelled"
    status, me = await api.get("/api/v1/me/points", token=m2)
    assert me["points_balance"] == 15
    status, err = await api.call(
        "PATCH", f"/api/v1/rewards/{item['id']}", {"add_stock": -4}, token=sec
    )
    assert status == 409 and err["error"]["code"] == "stock_too_low"
    await assert_clean(ctx)
