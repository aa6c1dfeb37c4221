"""我的数据: export everything about me; erase me but keep the anonymised ledger true."""

from __future__ import annotations

import pytest

from models.orders.notices import run_notifier
from models.points import ledger


@pytest.mark.gen_test(timeout=60)
async def test_export_contains_my_records_and_no_secrets(api, world, fake_wechat):
    await world.order_in("accepted")
    owner = await api.login("openid-owner")
    status, data = await api.get("/api/v1/me/export", token=owner)
    assert status == 200
    assert data["user"]["name"] == "林阿姨" and data["user"]["phone"] == "13912340000"
    assert "password_hash" not in data["user"]
    assert len(data["orders_placed"]) == 1 and data["orders_placed"][0]["timeline"]
    assert data["active_sessions"] == 1
    assert data["notifications"] == []
    for secret in fake_wechat.state.secrets():
        assert secret not in api.last_text


@pytest.mark.gen_test(timeout=60)
async def test_erasure_keeps_ledger_and_history_anonymised(api, world, ctx):
    closed = await world.order_in("completed")
    owner = await api.login("openid-owner")
    status, _ = await api.post(f"/api/v1/orders/{closed}/confirm", {"rating": 5}, token=owner)
    assert status == 200
    busy = await world.order_in("accepted")
    m1 = await api.login("openid-m1")
    await run_notifier(ctx)  # the volunteer now has inbox entries about these orders
    assert await ctx.db.notifications.count_documents({"user_id": world.id("m1")}) > 0

    # a volunteer with an order in hand cannot vanish on the resident
    status, body = await api.call("DELETE", "/api/v1/me", token=m1)
    assert status == 409 and body["error"]["code"] == "open_orders"
    await api.post(f"/api/v1/orders/{busy}/decline", {"reason": "要搬家了"}, token=m1)

    status, body = await api.call("DELETE", "/api/v1/me", token=m1)
    assert status == 200 and body["ok"] is True
    assert (await api.get("/api/v1/me", token=m1))[0] == 401
    assert await ctx.db.notifications.count_documents({"user_id": world.id("m1")}) == 0
    member = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert member["name"] == "已注销用户" and member["phone"] is None
    assert "openid" not in member and member["deleted_at"] is not None
    assert member["points_balance"] == 10  # the book still balances
    assert await ctx.db.ledger_entries.count_documents({"member_id": world.id("m1")}) == 2
    assert await ledger.check_ledger(ctx) == []
    served = await ctx.db.orders.find_one({"_id": closed})
    assert served["assignee_name"] == "已注销用户"
    assert all(e["actor_name"] != "队员1" for e in served["timeline"])
    status, board = await api.get(
        f"/api/v1/leaderboard?org_id={world.orgs['A1']['_id']}&period=all", token=owner
    )
    assert board["items"][0]["name"] == "已注销用户" and board["items"][0]["points"] == 10
    # the same WeChat account logging in again is a new, empty resident
    again = await api.login("openid-m1")
    status, me = await api.get("/api/v1/me", token=again)
    assert me["role"] == "resident" and me["id"] != str(world.id("m1"))

    # a resident's waiting orders are cancelled and their details removed
    waiting = await world.order_in("submitted")
    status, body = await api.call("DELETE", "/api/v1/me", token=owner)
    assert status == 200 and body["cancelled_orders"] >= 1
    order = await ctx.db.orders.find_one({"_id": waiting})
    assert order["status"] == "cancelled"
    assert order["contact_phone"] is None and order["location"] is None
    assert "空调" not in order["description"] and order["timeline"][0]["actor_name"] == "已注销用户"
    history = await ctx.db.orders.find_one({"_id": closed})
    assert history["status"] == "closed" and history["rating"] == 5 and history["comment"] is None


@pytest.mark.gen_test(timeout=30)
async def test_staff_cannot_erase_themselves(api, world):
    sec = await api.login("openid-sec_a1")
    status, body = await api.call("DELETE", "/api/v1/me", token=sec)
    assert status == 409 and body["error"]["code"] == "staff_cannot_erase"
