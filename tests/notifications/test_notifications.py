"""The inbox over HTTP, and WeChat subscribe messages against the fake WeChat: quota,
43101, retries with backoff, field limits, job-run visibility."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bson import ObjectId

from models import notifications, orders
from models.notifications.inbox import Notice
from models.notifications.subscribe import send_due
from models.orders import notices as order_notices
from tests.conftest import Clock
from tests.world import place

TEMPLATES = {"order_template_id": "TPL-ORDER-0001", "todo_template_id": "TPL-TODO-0001"}


@pytest.fixture
def pushing(ctx: Any, fake_wechat: Any) -> Any:
    """Templates configured; the fake WeChat's subscribe log starts empty."""
    ctx.config = ctx.config.replace(subscribe=TEMPLATES)
    fake_wechat.state.subscribe_messages.clear()
    fake_wechat.state.subscribe_errors.clear()
    yield fake_wechat.state
    fake_wechat.state.subscribe_errors.clear()


def note(
    world: Any,
    who: str,
    key: str,
    subject: str = "家电维修",
    template: str = "order",
    order_id: Any = None,
) -> Notice:
    return Notice(
        user_id=world.id(who),
        key=key,
        kind="test",
        title="测试消息",
        body="正文",
        template=template,
        order_id=order_id,
        push={"subject": subject, "status": "已接单", "remark": "备注", "time": world.ctx.now()},
    )


@pytest.mark.gen_test(timeout=60)
async def test_inbox_over_http(api, ctx, world):
    sec = world.actor("sec_a1")
    first = await place(world)
    await orders.reject_order(ctx, sec, first, "重复提交")
    second = await place(world)
    await orders.dispatch_order(ctx, sec, second, {"volunteer_ids": [world.id("m1")]})
    await orders.accept_order(ctx, await world.refresh("m1"), second)
    await order_notices.run_notifier(ctx)

    owner = await api.login("openid-owner")
    status, count = await api.get("/api/v1/notifications/unread-count", token=owner)
    assert status == 200 and count == {"count": 2}
    status, listing = await api.get("/api/v1/notifications?limit=1", token=owner)
    assert status == 200 and isinstance(listing["next_cursor"], str)
    newest = listing["items"][0]
    assert newest["kind"] == "order_accepted" and newest["read"] is False
    assert newest["order_id"] == str(second) and "接单" in newest["title"]
    cursor = listing["next_cursor"]
    status, more = await api.get(f"/api/v1/notifications?limit=1&cursor={cursor}", token=owner)
    assert status == 200 and [n["kind"] for n in more["items"]] == ["order_rejected"]
    assert more["next_cursor"] is None
    status, bad = await api.get("/api/v1/notifications?cursor=not-a-cursor", token=owner)
    assert status == 400 and "cursor" in bad["error"]["fields"]

    status, done = await api.post(
        "/api/v1/notifications/read", {"ids": [newest["id"]]}, token=owner
    )
    assert status == 200 and done == {"updated": 1, "unread": 1}
    status, listing = await api.get("/api/v1/notifications", token=owner)
    assert [n["kind"] for n in listing["items"]] == ["order_rejected", "order_accepted"]
    assert [n["read"] for n in listing["items"]] == [False, True]  # unread first
    status, unread = await api.get("/api/v1/notifications?unread=true", token=owner)
    assert [n["kind"] for n in unread["items"]] == ["order_rejected"]

    # someone else's ids change nothing; bad bodies name the field
    m1 = await api.login("openid-m1")
    status, done = await api.post(
        "/api/v1/notifications/read", {"ids": [unread["items"][0]["id"]]}, token=m1
    )
    assert status == 200 and done["updated"] == 0
    for body in ({}, {"ids": [newest["id"]], "all": True}, {"all": True, "x": 1}, {"$set": 1}):
        status, bad = await api.post("/api/v1/notifications/read", body, token=owner)
        assert status == 400, body
    status, bad = await api.post("/api/v1/notifications/read", {"ids": ["nope"]}, token=owner)
    assert status == 400 and "ids" in str(bad["error"]["fields"])
    status, done = await api.post("/api/v1/notifications/read", {"all": True}, token=owner)
    assert status == 200 and done == {"updated": 1, "unread": 0}
    status, _ = await api.get("/api/v1/notifications")
    assert status == 401

    # job runs: staff only
    resident_status, _ = await api.get("/api/v1/job-runs", token=owner)
    assert resident_status == 403
    admin = await api.login("openid-admin")
    status, runs = await api.get("/api/v1/job-runs?job=sla", token=admin)
    assert status == 200 and runs["items"] == []
    status, _ = await api.get("/api/v1/job-runs?job=nope", token=admin)
    assert status == 400

    status, spec = await api.get("/api/openapi.json")
    for path in (
        "/api/v1/notifications",
        "/api/v1/notifications/unread-count",
        "/api/v1/notifications/read",
        "/api/v1/subscriptions",
        "/api/v1/job-runs",
    ):
        assert path in spec["paths"], path


@pytest.mark.gen_test(timeout=60)
async def test_subscribe_quota_43101_and_field_limits(api, ctx, world, pushing, service):
    # no accepted template: the inbox has it, WeChat gets nothing
    assert await notifications.notify(ctx, note(world, "owner", "t:1"))
    assert await send_due(ctx, service.wechat) == {"no_quota": 1}
    assert pushing.subscribe_messages == []
    assert await ctx.db.notifications.count_documents({"user_id": world.id("owner")}) == 1

    # the mini-program reports what the user accepted (a retried report counts once)
    owner = await api.login("openid-owner")
    status, quotas = await api.get("/api/v1/subscriptions", token=owner)
    assert status == 200 and {q["template_id"]: q["remaining"] for q in quotas["items"]} == {
        "TPL-ORDER-0001": 0,
        "TPL-TODO-0001": 0,
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"template_ids": ["TPL-ORDER-0001"]}
    for _ in range(2):
        status, quotas = await api.post("/api/v1/subscriptions", body, token=owner, headers=key)
        assert status == 200
    assert quotas["items"][0] == {
        "template": "order",
        "template_name": "工单状态提醒",
        "template_id": "TPL-ORDER-0001",
        "remaining": 1,
    }
    status, quotas = await api.post("/api/v1/subscriptions", body, token=owner)
    assert quotas["items"][0]["remaining"] == 2
    # an id the server no longer uses is ignored, the known ones still count
    status, quotas = await api.post(
        "/api/v1/subscriptions",
        {"template_ids": ["SOMEONE-ELSES", "TPL-ORDER-0001"]},
        token=owner,
    )
    assert status == 200 and quotas["items"][0]["remaining"] == 3
    assert {q["template_id"] for q in quotas["items"]} == {"TPL-ORDER-0001", "TPL-TODO-0001"}
    status, bad = await api.post("/api/v1/subscriptions", {"template_ids": []}, token=owner)
    assert status == 400 and "template_ids" in bad["error"]["fields"]

    # a 25-character thing arrives cut to 20; a sent message takes one from the quota
    long_subject = "社区老旧小区加装电梯协调与上门咨询服务项目"  # 21 characters
    assert len(long_subject) > 20
    await notifications.notify(ctx, note(world, "owner", "t:2", subject=long_subject))
    assert await send_due(ctx, service.wechat) == {"sent": 1}
    [sent] = pushing.subscribe_messages
    assert sent["touser"] == "openid-owner" and sent["template_id"] == "TPL-ORDER-0001"
    assert sent["data"]["thing1"]["value"] == long_subject[:19] + "…"
    assert len(sent["data"]["thing1"]["value"]) == 20
    assert sent["data"]["phrase2"]["value"] == "已接单"
    assert sent["page"] == "pages/notifications/index"

    # 43101: the user's subscription is used up; no further sends for that template
    pushing.subscribe_errors.append(43101)
    await notifications.notify(ctx, note(world, "owner", "t:3"))
    assert await send_due(ctx, service.wechat) == {"quota_exhausted": 1}
    status, quotas = await api.get("/api/v1/subscriptions", token=owner)
    assert quotas["items"][0]["remaining"] == 0
    attempts = pushing.subscribe_attempts
    await notifications.notify(ctx, note(world, "owner", "t:4"))
    assert await send_due(ctx, service.wechat) == {"no_quota": 1}
    assert pushing.subscribe_attempts == attempts
    assert len(pushing.subscribe_messages) == 1
    assert await ctx.db.notifications.count_documents({"user_id": world.id("owner")}) == 4

    # the same key again writes nothing and queues nothing
    assert not await notifications.notify(ctx, note(world, "owner", "t:2"))
    assert await ctx.db.subscribe_deliveries.count_documents({}) == 4


@pytest.mark.gen_test(timeout=60)
async def test_transient_errors_retry_with_backoff_then_stop(ctx, world, pushing, service):
    clock = Clock(ctx.now())
    ctx.clock = clock
    sender = service.wechat
    await notifications.report_subscriptions(ctx, world.id("m1"), ["TPL-TODO-0001"], None)
    await notifications.report_subscriptions(ctx, world.id("m1"), ["TPL-TODO-0001"], None)

    # two transient failures, then success: sent once, 30 s and 60 s apart
    pushing.subscribe_errors.extend([-1, 45009])
    await notifications.notify(ctx, note(world, "m1", "r:1", template="todo"))
    assert await send_due(ctx, sender) == {"retry": 1}
    assert await send_due(ctx, sender) == {}  # not yet due
    clock.move(seconds=30)
    assert await send_due(ctx, sender) == {"retry": 1}
    clock.move(seconds=59)
    assert await send_due(ctx, sender) == {}
    clock.move(seconds=1)
    assert await send_due(ctx, sender) == {"sent": 1}
    assert len(pushing.subscribe_messages) == 1
    delivery = await ctx.db.subscribe_deliveries.find_one({"key": "r:1"})
    assert [e["errcode"] for e in delivery["log"]] == [-1, 45009, 0]
    assert delivery["status"] == "sent" and delivery["attempts"] == 3
    quota = await ctx.db.subscribe_quotas.find_one({"user_id": world.id("m1")})
    assert quota["remaining"] == 1  # failed attempts gave it back

    # a bounded number of attempts: after max_attempts it fails for good, quota kept
    pushing.subscribe_errors.extend([-1] * 4)
    await notifications.notify(ctx, note(world, "m1", "r:2", template="todo"))
    for _ in range(6):
        await send_due(ctx, sender)
        clock.move(minutes=10)
    delivery = await ctx.db.subscribe_deliveries.find_one({"key": "r:2"})
    assert delivery["status"] == "failed" and delivery["attempts"] == 4
    assert len(pushing.subscribe_messages) == 1
    quota = await ctx.db.subscribe_quotas.find_one({"user_id": world.id("m1")})
    assert quota["remaining"] == 1


@pytest.mark.gen_test(timeout=60)
async def test_a_message_about_an_order_opens_that_order(api, ctx, world, pushing, service):
    owner = await api.login("openid-owner")
    await api.post("/api/v1/subscriptions", {"template_ids": ["TPL-ORDER-0001"]}, token=owner)
    order_id = ObjectId()
    await notifications.notify(ctx, note(world, "owner", "deep:1", order_id=order_id))
    assert await send_due(ctx, service.wechat) == {"sent": 1}
    [sent] = pushing.subscribe_messages
    assert sent["page"] == f"pages/order-detail/order-detail?id={order_id}"
