"""SMS to residents WeChat cannot reach, against the fake Tencent Cloud SMS on loopback:
the right steps, never for a resident WeChat reaches, exactly once per (order, step,
number), per-number daily limits under concurrency, a failing gateway that never blocks an
order (retried with backoff, recorded), and no phone number in any log line."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from jobs import tasks
from models import notifications, orders
from models.notifications import sms
from models.notifications.subscribe import send_due
from models.ops import checks
from models.people.users import Actor, new_user_doc
from server.config import Config
from server.sms import SmsGateway
from tests.conftest import LOG_STREAM, Clock
from tests.world import HERE

GRANNY_PHONE = "13600001234"  # a resident placed for by staff: a phone, no WeChat
TEMPLATES = {
    "template_accepted": "2000001",
    "template_started": "2000002",
    "template_completed": "2000003",
    "community_phone": "010-65001234",
}


@pytest.fixture
def texting(ctx: Any, fake_sms: Any) -> Any:
    """SMS templates set; a controllable clock; the fake's log starts empty."""
    ctx.config = ctx.config.replace(sms=TEMPLATES)
    ctx.clock = Clock(ctx.now())
    fake_sms.reset()
    yield fake_sms.state
    fake_sms.reset()


async def granny(ctx: Any, phone: str = GRANNY_PHONE) -> Actor:
    """A resident with a bound phone and no openid (as an order placed for her makes one)."""
    doc = new_user_doc(ctx, "resident", name="王奶奶", phone=phone)
    await ctx.db.users.insert_one(doc)
    return Actor.from_user(doc)


async def drive(world: Any, resident: Actor, until: str = "completed") -> ObjectId:
    """An order of `resident` through the real transitions, the notifier job after each."""
    ctx = world.ctx
    data = {
        "category_id": world.category["_id"],
        "org_id": world.orgs["A1"]["_id"],
        "description": "老人独居，热水器坏了",
        "address": "阳光社区 5 号楼 101",
        "location": HERE,
    }
    order, _ = await orders.place_order(ctx, resident, data)
    oid = order["_id"]
    steps = [
        ("dispatched", lambda: orders.dispatch_order(
            ctx, world.actor("sec_a1"), oid, {"volunteer_ids": [world.id("m1")]}
        )),
        ("accepted", lambda: orders.accept_order(ctx, world.actor("m1"), oid)),
        ("in_service", lambda: orders.start_order(ctx, world.actor("m1"), oid)),
        ("completed", lambda: orders.complete_order(ctx, world.actor("m1"), oid, {"note": "修好"})),
    ]  # fmt: skip
    for state, step in steps:
        await step()
        await tasks.notifier(ctx, ctx.wechat)
        if state == until:
            break
    return oid


async def volunteer_phone(world: Any) -> None:
    await world.ctx.db.users.update_one({"_id": world.id("m1")}, {"$set": {"phone": "13711112222"}})
    await world.refresh("m1")


@pytest.mark.gen_test(timeout=60)
async def test_texts_at_accept_start_complete_exactly_once(ctx, world, texting):
    await volunteer_phone(world)
    resident = await granny(ctx)
    oid = await drive(world, resident)

    to_her = texting.to(GRANNY_PHONE)
    assert [m["TemplateId"] for m in to_her] == ["2000001", "2000002", "2000003"]
    accepted, started, completed = (m["TemplateParamSet"] for m in to_her)
    assert accepted == ["家电维修", "队员1", "137****2222"]  # the volunteer's phone masked
    assert started == ["家电维修", "队员1"]
    assert completed == ["家电维修", "010-65001234"]  # call the community to confirm
    assert {m["SignName"] for m in to_her} == {"同心社区"}
    assert len(texting.sent) == 3  # submit and dispatch text nobody

    records = await ctx.db.sms_messages.find({"order_id": oid}).sort("created_at", 1).to_list(None)
    assert [r["step"] for r in records] == ["accepted", "started", "completed"]
    for r in records:
        assert r["status"] == "sent" and r["attempts"] == 1 and r["code"] == "Ok"
        assert r["serial_no"].startswith("2433:") and r["phone_masked"] == "136****1234"
        assert "phone" not in r  # the full number is gone once the text is out
        assert r["user_id"] == resident.id and world.orgs["A1"]["_id"] in r["org_path"]
    assert {m["SessionContext"] for m in to_her} == {str(r["_id"]) for r in records}

    # the outbox is at-least-once: the same events told again send nothing more
    await ctx.db.orders.update_one(
        {"_id": oid}, {"$set": {"notified_version": None, "notify_due": ctx.now()}}
    )
    ctx.clock.move(seconds=1)
    await tasks.notifier(ctx, ctx.wechat)
    assert len(texting.sent) == 3
    assert await ctx.db.sms_messages.count_documents({"order_id": oid}) == 3
    assert await ctx.db.notifications.count_documents({"user_id": resident.id}) == 3


@pytest.mark.gen_test(timeout=60)
async def test_never_for_a_resident_wechat_reaches(ctx, world, texting, fake_wechat):
    ctx.config = ctx.config.replace(subscribe={"order_template_id": "TPL-ORDER-0001"})
    fake_wechat.state.subscribe_messages.clear()
    owner = world.users["owner"]
    for _ in range(3):
        await notifications.report_subscriptions(ctx, owner["_id"], ["TPL-ORDER-0001"], None)
    await drive(world, world.actor("owner"))
    assert texting.sent == [] and await ctx.db.sms_messages.count_documents({}) == 0
    pushed = [m for m in fake_wechat.state.subscribe_messages if m["touser"] == owner["openid"]]
    assert len(pushed) == 2  # accepted and completed went by WeChat

    # the same resident with no quota left is texted instead (her bound phone)
    await ctx.db.subscribe_quotas.update_many({}, {"$set": {"remaining": 0}})
    await drive(world, world.actor("owner"), until="accepted")
    assert [m["TemplateId"] for m in texting.to(owner["phone"])] == ["2000001"]


@pytest.mark.gen_test(timeout=60)
async def test_quota_gone_before_wechat_was_asked_falls_back_to_sms(ctx, world, texting, service):
    ctx.config = ctx.config.replace(subscribe={"order_template_id": "TPL-ORDER-0001"})
    owner = world.users["owner"]
    await notifications.report_subscriptions(ctx, owner["_id"], ["TPL-ORDER-0001"], None)
    data = {**world.order_body(), "category_id": world.category["_id"]}
    data["org_id"] = world.orgs["A1"]["_id"]
    order, _ = await orders.place_order(ctx, world.actor("owner"), data)
    await orders.dispatch_order(
        ctx, world.actor("sec_a1"), order["_id"], {"volunteer_ids": [world.id("m1")]}
    )
    await orders.accept_order(ctx, world.actor("m1"), order["_id"])
    from models.orders import notices as order_notices

    await order_notices.run_notifier(ctx)  # quota 1 left: WeChat's, the text rides along
    assert await ctx.db.sms_messages.count_documents({}) == 0
    delivery = await ctx.db.subscribe_deliveries.find_one({"user_id": owner["_id"]})
    assert delivery["sms_fallback"]["step"] == "accepted"
    await ctx.db.subscribe_quotas.update_many({}, {"$set": {"remaining": 0}})  # used elsewhere
    assert await send_due(ctx, service.wechat) == {"no_quota": 1}
    delivery = await ctx.db.subscribe_deliveries.find_one({"_id": delivery["_id"]})
    assert "sms_fallback" not in delivery  # it held a phone number
    assert await sms.send_due_sms(ctx, ctx.sms) == {"sent": 1}
    assert [m["TemplateId"] for m in texting.to(owner["phone"])] == ["2000001"]


def _text(world: Any, phone: str) -> sms.SmsText:
    return sms.SmsText(
        user_id=world.id("other"),
        order_id=ObjectId(),
        step="accepted",
        phone=phone,
        params=["家电维修", "队员1", "137****2222"],
        org_path=list(world.orgs["A1"]["path"]),
    )


@pytest.mark.gen_test(timeout=60)
async def test_daily_limit_per_number_holds_under_concurrency(ctx, world, texting):
    ctx.config = ctx.config.replace(sms={**TEMPLATES, "daily_limit_per_number": 2})
    phone = "13655556666"
    assert await sms.queue(ctx, [_text(world, phone) for _ in range(6)]) == 6
    assert await sms.queue(ctx, [_text(world, "13655557777")]) == 1  # another number

    # three senders race over the same due texts: each is claimed once, two go out
    results = await asyncio.gather(*(sms.send_due_sms(ctx, ctx.sms) for _ in range(3)))
    total: dict[str, int] = {}
    for r in results:
        for k, v in r.items():
            total[k] = total.get(k, 0) + v
    assert total == {"sent": 3, "skipped": 4}
    assert len(texting.to(phone)) == 2 and len(texting.to("13655557777")) == 1
    skipped = await ctx.db.sms_messages.find({"status": "skipped"}).to_list(None)
    assert len(skipped) == 4 and {s["reason"] for s in skipped} == {"daily_limit"}
    assert all("phone" not in s for s in skipped)
    assert await sms.count_drift(ctx) == []

    # the counter itself: 20 racing takes against a limit of 5 → exactly 5
    digest = sms.phone_hash(ctx, "13600009999")
    ctx.config = ctx.config.replace(sms={"daily_limit_per_number": 5})
    taken = await asyncio.gather(*(sms._take(ctx, digest, "2026-01-01") for _ in range(20)))
    assert sum(taken) == 5

    # a new Beijing day: the number may be texted again
    ctx.config = ctx.config.replace(sms={**TEMPLATES, "daily_limit_per_number": 2})
    ctx.clock.move(days=1)
    await sms.queue(ctx, [_text(world, phone)])
    assert await sms.send_due_sms(ctx, ctx.sms) == {"sent": 1}


@pytest.mark.gen_test(timeout=60)
async def test_a_failing_gateway_never_blocks_the_order(api, ctx, world, texting):
    """500, then an error code: the order moves on at once; the text is retried with
    backoff and sent on the third try, each attempt recorded."""
    resident = await granny(ctx)
    oid = await drive(world, resident, until="dispatched")
    texting.faults[:] = ["500", "error:InternalError.Timeout"]
    member = await api.login("openid-m1")
    status, body = await api.post(f"/api/v1/orders/{oid}/accept", token=member)
    assert status == 200 and body["status"] == "accepted"

    run = await tasks.notifier(ctx, ctx.wechat)
    assert run["sms_retry"] == 1
    record = await ctx.db.sms_messages.find_one({"order_id": oid})
    assert record["status"] == "queued" and record["attempts"] == 1 and record["phone"]
    assert record["code"] == "ServerNetworkError"
    await tasks.notifier(ctx, ctx.wechat)  # not due yet: nothing is tried
    assert texting.requests == 1
    ctx.clock.move(seconds=60)  # retry_base_seconds × 2^0
    assert (await tasks.notifier(ctx, ctx.wechat))["sms_retry"] == 1
    record = await ctx.db.sms_messages.find_one({"order_id": oid})
    assert record["code"] == "InternalError.Timeout" and record["attempts"] == 2
    ctx.clock.move(seconds=119)
    await tasks.notifier(ctx, ctx.wechat)
    assert texting.requests == 2  # 120 s after the second attempt, not before
    ctx.clock.move(seconds=1)
    assert (await tasks.notifier(ctx, ctx.wechat))["sms_sent"] == 1
    record = await ctx.db.sms_messages.find_one({"order_id": oid})
    assert record["status"] == "sent" and record["attempts"] == 3
    assert [e["outcome"] for e in record["log"]] == ["retry", "retry", "sent"]
    assert len(texting.to(GRANNY_PHONE)) == 1
    assert await sms.count_drift(ctx) == []  # failed attempts gave their count back


@pytest.mark.gen_test(timeout=60)
async def test_gateway_down_for_good_fails_and_a_timeout_is_never_resent(ctx, world, texting):
    ctx.config = ctx.config.replace(sms={**TEMPLATES, "max_attempts": 2})
    first, second, third = (_text(world, p) for p in ("13600000001", "13600000002", "13600000003"))
    await sms.queue(ctx, [first])
    texting.faults[:] = ["500", "500"]
    assert await sms.send_due_sms(ctx, ctx.sms) == {"retry": 1}
    ctx.clock.move(seconds=60)
    assert await sms.send_due_sms(ctx, ctx.sms) == {"failed": 1}
    failed = await ctx.db.sms_messages.find_one({"order_id": first.order_id})
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "phone" not in failed

    # a refusal for good (blacklisted number) is not retried
    await sms.queue(ctx, [second])
    texting.faults[:] = ["status:FailedOperation.PhoneNumberInBlacklist"]
    assert await sms.send_due_sms(ctx, ctx.sms) == {"failed": 1}

    # no answer in time: it may have gone out (it did) — never sent a second time
    await sms.queue(ctx, [third])
    texting.faults[:] = ["timeout"]
    texting.hang_seconds = 2.5
    assert await sms.send_due_sms(ctx, ctx.sms) == {"unknown": 1}
    ctx.clock.move(hours=1)
    assert await sms.send_due_sms(ctx, ctx.sms) == {}
    for _ in range(40):  # the fake finishes its delayed answer on its own thread
        if texting.to("13600000003"):
            break
        await asyncio.sleep(0.1)
    assert len(texting.to("13600000003")) == 1
    unknown = await ctx.db.sms_messages.find_one({"order_id": third.order_id})
    assert unknown["status"] == "unknown" and unknown["code"] == "ClientNetworkError"
    assert await sms.count_drift(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_the_fake_checks_the_signature(ctx, world, texting, config: Config):
    wrong = SmsGateway(config.replace(sms={"secret_key": "not-the-key"}))
    result = await wrong.send(GRANNY_PHONE, "2000001", ["家电维修"])
    assert result.outcome == "failed" and result.code == "AuthFailure.SignatureFailure"
    right = await ctx.sms.send(GRANNY_PHONE, "2000001", ["家电维修"])
    assert right.outcome == "sent" and right.code == "Ok" and right.fee == 1
    assert texting.sent[0]["PhoneNumberSet"] == ["+8613600001234"]


@pytest.mark.gen_test(timeout=60)
async def test_no_phone_number_and_no_key_in_the_logs(ctx, world, texting):
    resident = await granny(ctx, "13622223333")
    await drive(world, resident, until="accepted")
    texting.faults[:] = ["error:InternalError.Timeout"]
    await sms.queue(ctx, [_text(world, "13622224444")])
    await sms.send_due_sms(ctx, ctx.sms)
    logs = LOG_STREAM.getvalue()
    assert "136****3333" in logs and "136****4444" in logs  # the lines exist, masked
    for secret in ("13622223333", "8613622223333", "13622224444", texting.secret_key):
        assert secret not in logs


@pytest.mark.gen_test(timeout=60)
async def test_counter_drift_is_found_and_repaired(ctx, world, texting):
    await sms.queue(ctx, [_text(world, "13688889999")])
    assert await sms.send_due_sms(ctx, ctx.sms) == {"sent": 1}
    await ctx.db.sms_daily_counts.update_many({}, {"$inc": {"count": 3}})
    outcomes = {o.check.name: o for o in await checks.run_checks(ctx, repair=True)}
    drift = outcomes["sms_daily_counts"]
    assert drift.problems and drift.problems[0]["count"] == 4 and drift.problems[0]["texts"] == 1
    assert drift.repaired == 1
    assert await sms.count_drift(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_texts_wait_while_the_gateway_is_not_configured(ctx, world, texting):
    await sms.queue(ctx, [_text(world, "13600001111")])
    unconfigured = SmsGateway(ctx.config.replace(sms={"secret_id": ""}))
    assert not unconfigured.configured
    assert await sms.send_due_sms(ctx, unconfigured) == {}
    assert (await ctx.db.sms_messages.find_one({}))["status"] == "queued"
    assert timedelta(days=90) == (
        (await ctx.db.sms_messages.find_one({}))["expires_at"]
        - (await ctx.db.sms_messages.find_one({}))["created_at"]
    )


def test_staff_see_the_deliveries_of_their_scope_masked(live, staff):
    """/admin/sms lists the texts of the staff's subtree, numbers masked, nothing else."""
    from tests.live import signed_in

    def text(branch: str, phone: str) -> sms.SmsText:
        return sms.SmsText(
            user_id=staff.id("other"),
            order_id=ObjectId(),
            step="completed",
            phone=phone,
            params=["家电维修", "010-65001234"],
            org_path=list(staff.orgs[branch]["path"]),
        )

    live.run(sms.queue(live.ctx, [text("A1", "13600007777"), text("B1", "13600008888")]))
    live.run(sms.queue(live.ctx, [text("A1", "12345")]))  # not a number: recorded, skipped
    sec = signed_in(live, "sec-a1")
    page = sec.get("/admin/sms")
    assert page.status_code == 200 and 'id="sms-table"' in page.text
    assert "136****7777" in page.text and "服务完成待确认" in page.text and "待发送" in page.text
    assert "号码格式无效" in page.text
    assert "136****8888" not in page.text  # community B is not sec-a1's
    assert "13600007777" not in page.text
    admin = signed_in(live, "street-admin")
    page = admin.get("/admin/sms")
    assert "136****7777" in page.text and "136****8888" in page.text
    assert admin.get(f"/admin/sms?org={staff.orgs['B1']['_id']}").text.count("136****") == 1


@pytest.mark.slow
@pytest.mark.gen_test(timeout=180)
async def test_demo_has_recorded_sms_deliveries(ctx):
    from server.demo import seed_demo

    assert await seed_demo(ctx)
    rows = await ctx.db.sms_messages.find({}).to_list(None)
    assert {r["status"] for r in rows} == {"sent", "failed", "skipped"}
    assert {r["step"] for r in rows} == {"accepted", "started", "completed"}
    assert all("phone" not in r for r in rows)  # finished: the full number is gone
    assert all("****" in r["phone_masked"] for r in rows if r["status"] != "skipped")
    assert await sms.count_drift(ctx) == []


@pytest.mark.gen_test(timeout=90)
async def test_an_order_placed_by_staff_for_a_resident_texts_her(api, ctx, world, texting):
    """代下单 over HTTP makes a placeholder resident (phone, no WeChat): she is texted."""
    from tests.orders.test_on_behalf import behalf, drive_to_completed

    sec = await api.login("openid-sec_a1")
    status, order = await api.post("/api/v1/orders", behalf(world, phone="13600005555"), token=sec)
    assert status == 201, order
    await drive_to_completed(api, world, order["id"], sec)
    await tasks.notifier(ctx, ctx.wechat)
    assert [m["TemplateId"] for m in texting.to("13600005555")] == ["2000001", "2000002", "2000003"]
