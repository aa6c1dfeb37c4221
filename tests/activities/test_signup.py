"""Sign-up over real HTTP: capacity under a race, the waiting list in order, promotion,
overlap refusal and the sign-up window's edges."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.ops.checks import run_checks
from models.people import auth
from tests.activities.helpers import make_activity, members


async def tokens(ctx, ids):
    return [(await auth.issue_token(ctx, i))[0] for i in ids]


@pytest.mark.slow  # 50 concurrent requests
@pytest.mark.gen_test(timeout=120)
async def test_fifty_sign_up_for_ten_places(api, world, ctx):
    act = await make_activity(world, capacity=10)
    ids = await members(world, 50)
    toks = await tokens(ctx, ids)
    url = f"/api/v1/activities/{act['_id']}/signup"
    results = await asyncio.gather(*(api.post(url, {}, token=t) for t in toks))
    assert all(status == 200 for status, _ in results), [r for r in results if r[0] != 200][:3]
    states = [body["signup"]["status"] for _, body in results]
    assert states.count("confirmed") == 10 and states.count("waiting") == 40

    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert (doc["signed_up"], doc["waiting"]) == (10, 40)
    rows = await ctx.db.activity_signups.find({"activity_id": act["_id"]}).to_list(None)
    assert sum(r["status"] == "confirmed" for r in rows) == 10
    queue = sorted((r for r in rows if r["status"] == "waiting"), key=lambda r: r["queued_at"])
    assert len(queue) == 40
    # the organiser was told once that the activity is full
    full = await ctx.db.notifications.count_documents({"key": {"$regex": ":full:"}})
    assert full == 1

    # a confirmed member cancels: the first on the list (in queue order) gets the place
    first = min(queue, key=lambda r: (r["queued_at"], r["_id"]))
    leaver = next(r for r in rows if r["status"] == "confirmed")
    leaver_token = toks[ids.index(leaver["member_id"])]
    status, body = await api.call("DELETE", url, token=leaver_token)
    assert status == 200, body
    assert body["signup"]["status"] == "withdrawn"
    promoted = await ctx.db.activity_signups.find_one({"_id": first["_id"]})
    assert promoted["status"] == "confirmed"
    told = await ctx.db.notifications.find_one(
        {"user_id": first["member_id"], "key": {"$regex": ":promoted:"}}
    )
    assert told is not None and "候补" in told["title"]
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert (doc["signed_up"], doc["waiting"]) == (10, 39)
    outcomes = {o.check.name: o.problems for o in await run_checks(ctx)}
    assert outcomes["activity_places"] == [] and outcomes["ledger"] == []


@pytest.mark.gen_test(timeout=60)
async def test_concurrent_cancels_promote_in_order(api, world, ctx):
    act = await make_activity(world, capacity=3)
    ids = await members(world, 8)
    toks = await tokens(ctx, ids)
    url = f"/api/v1/activities/{act['_id']}/signup"
    for t in toks:  # one by one: the list order is the sign-up order
        status, _ = await api.post(url, {}, token=t)
        assert status == 200
    results = await asyncio.gather(*(api.call("DELETE", url, token=t) for t in toks[:3]))
    assert [s for s, _ in results] == [200, 200, 200]
    rows = {
        r["member_id"]: r["status"]
        async for r in ctx.db.activity_signups.find({"activity_id": act["_id"]})
    }
    assert [rows[i] for i in ids] == ["withdrawn"] * 3 + ["confirmed"] * 3 + ["waiting"] * 2
    outcomes = {o.check.name: o.problems for o in await run_checks(ctx)}
    assert outcomes["activity_places"] == []


@pytest.mark.gen_test(timeout=60)
async def test_overlap_is_refused_with_409(api, world, ctx):
    first = await make_activity(world)
    start = first["start_at"] + timedelta(hours=1)
    clash = await make_activity(
        world, title="重阳节敬老", start_at=start, end_at=start + timedelta(hours=2)
    )
    later = await make_activity(
        world,
        title="义诊",
        start_at=first["end_at"],
        end_at=first["end_at"] + timedelta(hours=1),
    )
    m1 = await api.login("openid-m1")
    assert (await api.post(f"/api/v1/activities/{first['_id']}/signup", {}, token=m1))[0] == 200
    status, body = await api.post(f"/api/v1/activities/{clash['_id']}/signup", {}, token=m1)
    assert status == 409 and body["error"]["code"] == "activity_overlap", body
    assert "社区环境清洁日" in body["error"]["message"]
    # touching ends do not overlap
    assert (await api.post(f"/api/v1/activities/{later['_id']}/signup", {}, token=m1))[0] == 200
    # signing up twice for the same one is its own 409
    status, body = await api.post(f"/api/v1/activities/{first['_id']}/signup", {}, token=m1)
    assert status == 409 and body["error"]["code"] == "already_signed_up"
    # cancel, then the clashing one is free to take
    assert (await api.call("DELETE", f"/api/v1/activities/{first['_id']}/signup", token=m1))[
        0
    ] == 200
    assert (await api.post(f"/api/v1/activities/{clash['_id']}/signup", {}, token=m1))[0] == 200


@pytest.mark.gen_test(timeout=120)
async def test_racing_overlapping_sign_ups_keep_one(api, world, ctx):
    """Eight rounds, each five overlapping activities signed up for at once: one wins."""
    m1 = await api.login("openid-m1")
    for round_ in range(8):
        start = ctx.now() + timedelta(days=2 + round_)
        acts = [
            await make_activity(
                world,
                title=f"同时段活动{round_}-{i}",
                start_at=start,
                end_at=start + timedelta(hours=3),
            )
            for i in range(5)
        ]
        results = await asyncio.gather(
            *(api.post(f"/api/v1/activities/{a['_id']}/signup", {}, token=m1) for a in acts)
        )
        statuses = sorted(s for s, _ in results)
        assert statuses == [200] + [409] * 4, (round_, statuses)
        assert {b["error"]["code"] for s, b in results if s == 409} == {"activity_overlap"}
        held = await ctx.db.activity_signups.count_documents(
            {
                "member_id": world.id("m1"),
                "activity_id": {"$in": [a["_id"] for a in acts]},
                "status": {"$in": ["confirmed", "waiting", "pending"]},
            }
        )
        assert held == 1, round_
    outcomes = {o.check.name: o.problems for o in await run_checks(ctx)}
    assert outcomes["activity_places"] == []


@pytest.mark.gen_test(timeout=60)
async def test_sign_up_window_edges(api, world, ctx, clock):
    opens = clock.now + timedelta(hours=1)
    closes = clock.now + timedelta(hours=5)
    act = await make_activity(world, signup_opens_at=opens, signup_closes_at=closes)
    url = f"/api/v1/activities/{act['_id']}/signup"
    m1, m2, m3 = [await api.login(f"openid-m{i}") for i in (1, 2, 3)]
    clock.now = opens - timedelta(seconds=1)
    status, body = await api.post(url, {}, token=m1)
    assert status == 409 and body["error"]["code"] == "signup_not_open", body
    clock.now = opens
    assert (await api.post(url, {}, token=m1))[0] == 200
    clock.now = closes - timedelta(seconds=1)
    assert (await api.post(url, {}, token=m2))[0] == 200
    clock.now = closes
    status, body = await api.post(url, {}, token=m3)
    assert status == 409 and body["error"]["code"] == "signup_closed"
    assert body["error"]["message"] == "报名已截止"


@pytest.mark.gen_test(timeout=60)
async def test_who_may_sign_up(api, world, ctx):
    act = await make_activity(world)
    url = f"/api/v1/activities/{act['_id']}/signup"
    # a member of another branch does not even see it; a resident neither (branch only)
    for openid in ("openid-m_b1", "openid-owner"):
        status, body = await api.post(url, {}, token=await api.login(openid))
        assert status == 404 and body["error"]["code"] == "activity_not_found"
    # staff organise, they do not hold places
    status, body = await api.post(url, {}, token=await api.login("openid-sec_a1"))
    assert status == 403 and body["error"]["code"] == "not_eligible"
    # an activity of the community (parent node) is open to members of its branches
    comm = await make_activity(world, org="A", by="sec_a", title="社区志愿者大会")
    status, _ = await api.post(
        f"/api/v1/activities/{comm['_id']}/signup", {}, token=await api.login("openid-m_a2")
    )
    assert status == 200
    # residents join where the activity allows
    open_act = await make_activity(
        world,
        title="垃圾分类宣传",
        open_to_residents=True,
        start_at=act["end_at"] + timedelta(days=1),
        end_at=act["end_at"] + timedelta(days=1, hours=2),
    )
    status, _ = await api.post(
        f"/api/v1/activities/{open_act['_id']}/signup", {}, token=await api.login("openid-owner")
    )
    assert status == 200
