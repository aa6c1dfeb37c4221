"""Text others will read passes msgSecCheck v2: risky refused, review held, WeChat down queued."""

from __future__ import annotations

import pytest

from jobs.tasks import media_job


@pytest.mark.gen_test(timeout=60)
async def test_risky_text_refused_naming_the_field(api, world, fake_wechat, ctx):
    owner = await api.login("openid-owner")
    status, err = await api.post(
        "/api/v1/orders", world.order_body(description="出售违禁物品"), token=owner
    )
    assert status == 400 and err["error"]["code"] == "content_risky"
    assert "description" in err["error"]["fields"] and "「服务内容」" in err["error"]["message"]
    assert await ctx.db.orders.count_documents({}) == 0
    check = fake_wechat.state.text_checks[-1]
    assert check["openid"] == "openid-owner" and check["scene"] == 3 and check["version"] == 2


@pytest.mark.gen_test(timeout=60)
async def test_review_text_visible_to_author_and_staff_only(api, world, ctx):
    owner = await api.login("openid-owner")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    text = "REVIEW 这段话需要人工看看"
    status, order = await api.post(
        "/api/v1/orders", world.order_body(description=text), token=owner
    )
    assert status == 201 and order["description"] == text
    oid = order["id"]
    status, _ = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [str(world.id("m1"))]}, token=sec
    )
    assert (await api.get(f"/api/v1/orders/{oid}", token=sec))[1]["description"] == text
    assert (await api.get(f"/api/v1/orders/{oid}", token=m1))[1]["description"] == "（内容审核中）"
    flag = await ctx.db.content_flags.find_one({"field": "description"})
    assert flag["status"] == "review" and flag["field"] == "description"


@pytest.mark.gen_test(timeout=90)
async def test_wechat_down_accepts_then_rechecks(api, world, fake_wechat, ctx):
    owner = await api.login("openid-owner")
    sec = await api.login("openid-sec_a1")
    fake_wechat.state.content_down = True
    try:
        status, order = await api.post(
            "/api/v1/orders", world.order_body(description="RISKY 写在微信不在的时候"), token=owner
        )
        assert status == 201  # accepted, never a 500
        flag = await ctx.db.content_flags.find_one({"field": "description"})
        assert flag["status"] == "pending"
        counts = await media_job(ctx, ctx.wechat)  # still down: stays queued
        assert counts["text_hidden"] == 0
        assert (await ctx.db.content_flags.find_one({"_id": flag["_id"]}))["status"] == "pending"
    finally:
        fake_wechat.state.content_down = False
    await ctx.db.content_flags.update_one(
        {"_id": flag["_id"]}, {"$set": {"next_check_at": ctx.now()}}
    )
    counts = await media_job(ctx, ctx.wechat)
    assert counts["text_hidden"] == 1
    oid = order["id"]
    status, _ = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [str(world.id("m1"))]}, token=sec
    )
    m1 = await api.login("openid-m1")
    assert (await api.get(f"/api/v1/orders/{oid}", token=m1))[1]["description"] == "（内容已隐藏）"
    assert (await api.get(f"/api/v1/orders/{oid}", token=sec))[1]["description"].startswith("RISKY")
    assert await ctx.db.notifications.count_documents({"kind": "moderation"}) >= 1


@pytest.mark.gen_test(timeout=60)
async def test_decline_reason_and_comment_checked(api, world, ctx):
    oid = await world.order_in("dispatched")
    m1 = await api.login("openid-m1")
    status, err = await api.post(f"/api/v1/orders/{oid}/decline", {"reason": "违禁 理由"}, token=m1)
    assert status == 400 and "reason" in err["error"]["fields"]
    done = await world.order_in("completed")
    owner = await api.login("openid-owner")
    status, err = await api.post(
        f"/api/v1/orders/{done}/confirm", {"rating": 5, "comment": "RISKY 评价"}, token=owner
    )
    assert status == 400 and "comment" in err["error"]["fields"]
    assert (await ctx.db.orders.find_one({"_id": done}))["status"] == "completed"


@pytest.mark.gen_test(timeout=90)
async def test_decline_reason_found_risky_later_is_hidden_from_others(api, world, fake_wechat, ctx):
    oid = await world.order_in("accepted")
    m1, owner, sec = [await api.login(f"openid-{k}") for k in ("m1", "owner", "sec_a1")]
    reason = "RISKY 家里有事"
    fake_wechat.state.content_down = True
    try:
        status, _ = await api.post(f"/api/v1/orders/{oid}/decline", {"reason": reason}, token=m1)
        assert status == 200
    finally:
        fake_wechat.state.content_down = False
    await ctx.db.content_flags.update_many({}, {"$set": {"next_check_at": ctx.now()}})
    assert (await media_job(ctx, ctx.wechat))["text_hidden"] == 1

    def notes(order):
        return [e["note"] for e in order["timeline"] if e["action"] == "decline"]

    status, seen = await api.get(f"/api/v1/orders/{oid}", token=owner)
    assert status == 200 and notes(seen) == ["（内容已隐藏）"] and reason not in api.last_text
    assert notes((await api.get(f"/api/v1/orders/{oid}", token=sec))[1])[0].startswith(reason)


@pytest.mark.gen_test(timeout=90)
async def test_decline_reason_under_review_is_held_from_others(api, world, ctx):
    oid = await world.order_in("accepted")
    m1, owner = [await api.login(f"openid-{k}") for k in ("m1", "owner")]
    status, _ = await api.post(
        f"/api/v1/orders/{oid}/decline", {"reason": "REVIEW 临时有事"}, token=m1
    )
    assert status == 200
    status, seen = await api.get(f"/api/v1/orders/{oid}", token=owner)
    assert [e["note"] for e in seen["timeline"] if e["action"] == "decline"] == ["（内容审核中）"]
