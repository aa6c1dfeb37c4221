"""Settlement: every attendee awarded once through the ledger, whatever happens — settling
twice, settling concurrently, or a crash between batches (failpoint)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models import activities
from models.activities.states import CONFIRMED
from models.core.context import FailpointTriggered
from models.ops.checks import run_checks
from models.people.users import Actor
from tests.activities.helpers import make_activity, members, move_to


async def ended_with_attendees(world, n_attended: int, n_absent: int = 0, **over):
    """An ended activity: the first n checked in 1 h after the start and out at 2 h 40."""
    ctx = world.ctx
    act = await make_activity(world, **over)
    ids = await members(world, n_attended + n_absent, prefix=f"s{act['_id']}")
    for i in ids:
        user = await ctx.db.users.find_one({"_id": i})
        await activities.sign_up(ctx, Actor.from_user(user), act["_id"])
    await move_to(world, act["_id"], minutes_from_start=200)
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    start = doc["start_at"]
    await ctx.db.activity_signups.update_many(
        {"activity_id": act["_id"], "member_id": {"$in": ids[:n_attended]}},
        {
            "$set": {
                "checkin_at": start + timedelta(hours=1),
                "checkout_at": start + timedelta(hours=2, minutes=40),
                "hours": 1.5,
                "attendance": "出席",
            }
        },
    )
    await activities.end_activity(ctx, doc)
    return act, ids


async def entries_of(ctx, act_id):
    return await ctx.db.ledger_entries.find({"source.id": act_id}).to_list(None)


@pytest.mark.gen_test(timeout=60)
async def test_settle_awards_each_attendee_once_and_counts_no_shows(api, world, ctx):
    act, ids = await ended_with_attendees(world, 4, 2)
    sec = await api.login("openid-sec_a1")
    status, body = await api.post(f"/api/v1/activities/{act['_id']}/settle", {}, token=sec)
    assert status == 200, body
    assert body["status"] == "settled"
    status, again = await api.post(f"/api/v1/activities/{act['_id']}/settle", {}, token=sec)
    assert status == 409 and again["error"]["code"] == "invalid_transition"
    entries = await entries_of(ctx, act["_id"])
    keys = sorted(e["idempotency_key"] for e in entries)
    assert len(keys) == 8 and len(set(keys)) == 8
    assert all(k.startswith(f"activity:{act['_id']}:award:") for k in keys)
    for member in ids[:4]:
        user = await ctx.db.users.find_one({"_id": member})
        assert (user["points_balance"], user["hours_tenths"]) == (3, 15)
        assert user["activities_attended"] == 1
    for member in ids[4:]:
        user = await ctx.db.users.find_one({"_id": member})
        assert user["points_balance"] == 0 and user["activity_no_shows"] == 1
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert (doc["attended"], doc["no_shows"], doc["points"], doc["hours"]) == (4, 2, 12.0, 6.0)
    audited = await ctx.db.audit_log.find_one({"action": "activity.settle"})
    assert audited["actor_id"] == world.id("sec_a1") and "出席 4 人" in audited["reason"]
    assert all(not o.problems for o in await run_checks(ctx))


@pytest.mark.gen_test(timeout=90)
async def test_crash_between_batches_then_settle_again(world, ctx):
    ctx.config = ctx.config.replace(activities={"settle_batch": 3})
    act, ids = await ended_with_attendees(world, 10)
    sec = world.actor("sec_a1")
    ctx.failpoints.add("activities.settle.between_batches")
    with pytest.raises(FailpointTriggered):
        await activities.settle(ctx, sec, act["_id"])
    part = await entries_of(ctx, act["_id"])
    assert len(part) == 6  # one batch of 3 committed: points and hours each
    ctx.failpoints.clear()
    # a crash inside a batch (after the entries, before the sign-ups are marked) rolls back
    ctx.failpoints.add("activities.settle.in_batch")
    with pytest.raises(FailpointTriggered):
        await activities.settle(ctx, sec, act["_id"])
    assert len(await entries_of(ctx, act["_id"])) == 6
    ctx.failpoints.clear()
    settled = await activities.settle(ctx, sec, act["_id"])
    assert settled["status"] == "settled" and settled["attended"] == 10
    entries = await entries_of(ctx, act["_id"])
    assert len(entries) == 20
    assert len({e["idempotency_key"] for e in entries}) == 20
    for member in ids:
        user = await ctx.db.users.find_one({"_id": member})
        assert (user["points_balance"], user["hours_tenths"]) == (3, 15)
    assert all(not o.problems for o in await run_checks(ctx))


@pytest.mark.slow  # concurrent settles over HTTP
@pytest.mark.gen_test(timeout=90)
async def test_concurrent_settles_award_once(api, world, ctx):
    ctx.config = ctx.config.replace(activities={"settle_batch": 4})
    act, _ids = await ended_with_attendees(world, 12)
    tokens = [await api.login(o) for o in ("openid-sec_a1", "openid-sec_a", "openid-admin")]
    url = f"/api/v1/activities/{act['_id']}/settle"
    results = await asyncio.gather(*(api.post(url, {}, token=t) for t in tokens * 2))
    statuses = sorted(s for s, _ in results)
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409}, results
    entries = await entries_of(ctx, act["_id"])
    assert len(entries) == 24 and len({e["idempotency_key"] for e in entries}) == 24
    assert all(not o.problems for o in await run_checks(ctx))


@pytest.mark.gen_test(timeout=60)
async def test_org_life_records_attendance_without_points(api, world, ctx):
    act = await make_activity(
        world,
        kind="branch_assembly",
        title="第二季度支部党员大会",
        points_mode=None,
        points_value=None,
    )
    assert act["points_mode"] == "none" and act["award_hours"] is False
    await move_to(world, act["_id"], minutes_from_start=30)
    sec = await api.login("openid-sec_a1")
    url = f"/api/v1/activities/{act['_id']}/attendance"
    marks = {"m1": "出席", "m2": "请假", "m3": "缺席"}
    for who, mark in marks.items():
        status, body = await api.post(
            url,
            {
                "member_id": str(world.id(who)),
                "action": "mark",
                "attendance": mark,
                "reason": "登记",
            },
            token=sec,
        )
        assert status == 200, body
    status, body = await api.call(
        "PATCH",
        f"/api/v1/activities/{act['_id']}",
        {"minutes": "学习党章，讨论发展对象"},
        token=sec,
    )
    assert status == 200 and body["minutes"] == "学习党章，讨论发展对象"
    await move_to(world, act["_id"], minutes_from_start=24 * 60)
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    await activities.end_activity(ctx, doc)
    status, body = await api.post(f"/api/v1/activities/{act['_id']}/settle", {}, token=sec)
    assert status == 200, body
    assert await ctx.db.ledger_entries.count_documents({"source.id": act["_id"]}) == 0
    rows = {
        r["member_name"]: r
        async for r in ctx.db.activity_signups.find(
            {"activity_id": act["_id"], "status": CONFIRMED}
        )
    }
    assert rows["队员1"]["attended"] and not rows["队员1"]["no_show"]
    assert rows["队员2"]["no_show"] is False  # on leave is not a no-show
    assert rows["队员3"]["no_show"] is True
    year = doc["start_at"].year
    report = await activities.quarterly(ctx, world.orgs["A1"]["_id"], year)
    held = sum(q["branch_assembly"] for q in report["quarters"].values())
    assert held == 1
    by_name = {m["name"]: m for m in report["members"]}
    assert by_name["队员1"]["出席"] == 1 and by_name["队员2"]["请假"] == 1
    assert by_name["队员3"]["缺席"] == 1
