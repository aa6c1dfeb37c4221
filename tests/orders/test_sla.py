"""SLA reminders, escalation and auto-close under a controllable clock; notifications from
the order timeline; digests, statements and housekeeping. Each stage happens once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobs.scheduler import JobRunner
from models import orders
from models.notifications import digests
from models.ops import housekeeping
from models.orders import notices as order_notices
from models.orders import sla
from models.points import ledger
from tests.world import place


async def inbox(ctx: Any) -> Counter:
    """(kind, recipient key) of every notification written so far."""
    names = {u["_id"]: u.get("openid", "")[7:] async for u in ctx.db.users.find({})}
    rows = await ctx.db.notifications.find({}).to_list(None)
    return Counter((n["kind"], names.get(n["user_id"], "?")) for n in rows)


@pytest.mark.gen_test(timeout=60)
async def test_every_sla_stage_once(ctx, world, clock, service):
    runner = JobRunner(ctx, service.wechat)

    async def step(job: str) -> dict:
        """Run a job twice: the second run must add nothing."""
        first = await runner.run_job(job)
        assert first["outcome"] == "ok", first
        before = await inbox(ctx)
        again = await runner.run_job(job)
        assert again["outcome"] == "ok", again
        assert await inbox(ctx) == before
        return first["counts"]

    oid = await place(world)
    await step("notifier")
    assert await inbox(ctx) == Counter({("order_submitted", "sec_a1"): 1})

    # submitted, not dispatched: remind the branch secretary after 4 h (not before)
    clock.move(hours=3)
    assert await step("sla") == {}
    clock.move(hours=1, minutes=1)
    assert (await step("sla")) == {"dispatch_reminders": 1}
    clock.move(hours=1)
    assert (await step("sla")) == {}

    # dispatched, not accepted: remind the candidate after 4 h, the secretary after 12 h
    sec = world.actor("sec_a1")
    due = clock.now + timedelta(days=1)
    await orders.dispatch_order(ctx, sec, oid, {"volunteer_ids": [world.id("m1")], "due_at": due})
    await step("notifier")
    clock.move(hours=4, minutes=1)
    assert (await step("sla")) == {"accept_reminders": 1}
    clock.move(hours=8)
    assert (await step("sla")) == {"unaccepted_reminders": 1}

    # accepted, past the due time: remind the volunteer once (start does not re-remind)
    await orders.accept_order(ctx, await world.refresh("m1"), oid)
    await step("notifier")
    clock.move(hours=12)
    assert (await step("sla")) == {"due_reminders": 1}
    await orders.start_order(ctx, world.actor("m1"), oid)
    assert (await step("sla")) == {}
    await orders.complete_order(ctx, world.actor("m1"), oid, {"note": "已修好"})
    await step("notifier")

    # completed, not confirmed: remind the resident after 3 days, close after 7 with points
    clock.move(days=3, minutes=1)
    assert (await step("sla")) == {"confirm_reminders": 1}
    clock.move(days=4)
    assert (await step("sla")) == {"auto_closed": 1}
    await step("notifier")

    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["status"] == "closed" and order["auto_closed"] is True
    assert order["timeline"][-1]["action"] == "auto_confirm"
    assert order["notified_version"] == order["version"]
    entries = await ctx.db.ledger_entries.find({"source.id": oid}).to_list(None)
    assert sorted((e["kind"], e["delta"]) for e in entries) == [
        ("hours", 20),
        ("points", 10),
    ]  # 20 tenths
    assert entries[0]["actor_id"] == orders.SYSTEM.id
    m1 = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert (m1["points_balance"], m1["open_orders"]) == (10, 0)
    assert await ledger.check_ledger(ctx) == []

    assert await inbox(ctx) == Counter(
        {
            ("order_submitted", "sec_a1"): 1,
            ("reminder_dispatch", "sec_a1"): 1,
            ("order_dispatched", "m1"): 1,
            ("reminder_accept", "m1"): 1,
            ("reminder_unaccepted", "sec_a1"): 1,
            ("order_accepted", "owner"): 1,
            ("reminder_due", "m1"): 1,
            ("order_started", "owner"): 1,
            ("order_completed", "owner"): 1,
            ("reminder_confirm", "owner"): 1,
            ("points_awarded", "m1"): 1,
            ("order_closed", "owner"): 1,
        }
    )
    award = await ctx.db.notifications.find_one({"kind": "points_awarded"})
    assert award["title"] == "获得 10 积分" and award["order_id"] == oid

    # two overlapping schedulers: a second runner on the same DB adds nothing either
    other = JobRunner(ctx, service.wechat)
    before = await inbox(ctx)
    for job in ("sla", "notifier"):
        assert (await other.run_job(job))["outcome"] == "ok"
    assert await inbox(ctx) == before
    runs = await ctx.db.job_runs.count_documents({"outcome": "ok"})
    assert runs >= 20


@pytest.mark.gen_test(timeout=60)
async def test_escalation_goes_up_one_level_per_round(ctx, world, clock):
    oid = await place(world)
    await order_notices.run_notifier(ctx)
    clock.move(hours=24, minutes=1)
    assert await sla.run_sla(ctx) == {"escalated": 1}
    assert await sla.run_sla(ctx) == {}  # a new round starts at the escalation
    await order_notices.run_notifier(ctx)
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["escalated_to"] == world.orgs["A"]["_id"]
    assert order["timeline"][-1]["action"] == "escalate"
    # 阳光社区's own secretary is told (not the street above it)
    assert (await inbox(ctx))[("order_escalated", "sec_a")] == 1
    assert (await inbox(ctx))[("order_escalated", "admin")] == 0

    clock.move(hours=24, minutes=1)
    assert await sla.run_sla(ctx) == {"escalated": 1}  # to the street (2nd and last level)
    clock.move(hours=24, minutes=1)
    assert await sla.run_sla(ctx) == {"dispatch_reminders": 1}  # no 3rd level: a reminder
    assert await sla.run_sla(ctx) == {}
    await order_notices.run_notifier(ctx)
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["escalated_to"] == world.orgs["street"]["_id"]
    counts = await inbox(ctx)
    assert counts[("order_escalated", "sec_a")] == 1
    assert counts[("order_escalated", "admin")] == 1
    assert counts[("reminder_dispatch", "admin")] == 1
    assert counts[("reminder_dispatch", "sec_a1")] == 0

    # per-category SLA (the catalogue's own `sla` wins over config)
    await ctx.db.service_categories.update_one(
        {"_id": world.category["_id"]}, {"$set": {"sla": {"dispatch_remind_hours": 1}}}
    )
    second = await place(world)
    clock.move(hours=1, minutes=1)
    assert await sla.run_sla(ctx) == {"dispatch_reminders": 1}
    assert (await ctx.db.orders.find_one({"_id": second}))["sla_done"] == ["v0:dispatch"]


@pytest.mark.gen_test(timeout=60)
async def test_timeline_events_notify_the_right_people(ctx, world, clock):
    sec, owner = world.actor("sec_a1"), world.actor("owner")
    # hall dispatch: named candidate plus skill-matched members of the hall (m3 also repairs
    # appliances; m2 does not); rejected and cancelled orders tell the resident
    hall = await place(world)
    await orders.dispatch_order(
        ctx, sec, hall, {"volunteer_ids": [world.id("m2")], "to_hall": True}
    )
    rejected = await place(world)
    await orders.reject_order(ctx, sec, rejected, "不属于服务范围")
    cancelled = await place(world)
    await orders.cancel_order(ctx, owner, cancelled, "已自行解决")  # own action: no notice
    await order_notices.run_notifier(ctx)
    counts = await inbox(ctx)
    assert counts[("order_dispatched", "m1")] == 1
    assert counts[("order_dispatched", "m2")] == 1
    assert counts[("order_dispatched", "m3")] == 1
    assert counts[("order_dispatched", "m_a2")] == 0
    assert counts[("order_rejected", "owner")] == 1
    assert counts[("order_cancelled", "owner")] == 0
    assert counts[("order_submitted", "sec_a1")] == 3

    # declines: three returns escalate to the community and tell whoever is in charge there
    await orders.decline_order(ctx, world.actor("m2"), hall, "没空")  # a named candidate
    for member in ("m1", "m3"):  # hall members take it, then give it back
        await orders.accept_order(ctx, await world.refresh(member), hall)
        await orders.decline_order(ctx, world.actor(member), hall, "临时有事")
    await order_notices.run_notifier(ctx)
    order = await ctx.db.orders.find_one({"_id": hall})
    assert order["status"] == "submitted" and order["escalated_to"] == world.orgs["A"]["_id"]
    notice = await ctx.db.notifications.find_one({"kind": "order_returned"})
    assert notice["user_id"] == world.id("sec_a") and "上报" in notice["title"]
    before = await inbox(ctx)
    await order_notices.run_notifier(ctx)
    assert await inbox(ctx) == before


@pytest.mark.gen_test(timeout=60)
async def test_digest_statement_and_housekeeping(ctx, world, clock, service):
    beijing = datetime(2026, 3, 31, 8, 0, tzinfo=UTC) - timedelta(hours=8)  # 08:00 +08:00
    clock.now = beijing
    await place(world)
    completed = await world.order_in("completed")
    await orders.confirm_order(ctx, world.actor("owner"), completed, {"rating": 5})

    assert await digests.daily_digest(ctx) == {"due": 0}  # before 08:30
    clock.move(minutes=31)
    assert await digests.daily_digest(ctx) == {"due": 1, "digests": 3}
    assert await digests.daily_digest(ctx) == {"due": 0}
    digest = await ctx.db.notifications.find_one(
        {"kind": "daily_digest", "user_id": world.id("sec_a1")}
    )
    assert digest["title"] == "今日待办 1 项" and digest["body"] == "待派单 1"
    # + the community secretary and the street admin above it
    assert await ctx.db.notifications.count_documents({"kind": "daily_digest"}) == 3

    # February's statement was never sent: it goes out now (catch-up), once
    assert await digests.monthly_statement(ctx) == {"due": 1, "statements": 5}
    assert await digests.monthly_statement(ctx) == {"due": 0}
    clock.move(days=1)  # 1 April, 08:31 Beijing: March's statement waits for 09:00
    assert await digests.monthly_statement(ctx) == {"due": 0}
    clock.move(hours=1)
    result = await digests.monthly_statement(ctx)
    assert result == {"due": 1, "statements": 5}  # every member
    assert await digests.monthly_statement(ctx) == {"due": 0}
    mine = await ctx.db.notifications.find_one(
        {"kind": "points_statement", "user_id": world.id("m1")}
    )
    assert mine["title"] == "2026年3月积分月报"
    assert mine["body"].startswith("2026年3月获得 10 积分，使用 0 积分，服务 2 小时")

    # housekeeping: expired tokens and idempotency records go; old order keys are forgotten
    now = clock.now
    await ctx.db.auth_tokens.insert_one(
        {"_id": "old", "user_id": world.id("owner"), "expires_at": now - timedelta(hours=1)}
    )
    await ctx.db.idempotency_records.insert_one({"_id": "k", "expires_at": now - timedelta(1)})
    body = world.order_body()
    data = {**body, "category_id": world.category["_id"], "org_id": world.orgs["A1"]["_id"]}
    keyed, _ = await orders.place_order(ctx, world.actor("owner"), data, "retry-key-123")
    clock.move(hours=49)
    counts = await housekeeping.run_housekeeping(ctx)
    assert await ctx.db.auth_tokens.find_one({"_id": "old"}) is None
    assert await ctx.db.idempotency_records.find_one({"_id": "k"}) is None
    assert counts["order_keys_forgotten"] == 1
    assert "idempotency_key" not in await ctx.db.orders.find_one({"_id": keyed["_id"]})

    # the WeChat token is refreshed before it expires, once, and shared through the DB
    gateway = service.wechat
    await ctx.db.wechat_tokens.update_one(
        {"_id": gateway.appid},
        {"$set": {"access_token": "about-to-expire", "expires_at": int(time.time()) + 100}},
        upsert=True,
    )
    assert await gateway.refresh_access_token(900) is True
    stored = await ctx.db.wechat_tokens.find_one({"_id": gateway.appid})
    assert stored["access_token"].startswith("ACCESS-TOKEN-")
    assert stored["expires_at"] > time.time() + 7000
    assert await gateway.refresh_access_token(900) is False
