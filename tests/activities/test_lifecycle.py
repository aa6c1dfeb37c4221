"""The activity's life: create, publish, edit (those signed up told), cancel (told), reminders
24 h and 1 h before (once each), lists by org / kind / distance, my activities."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import activities
from tests.activities.helpers import make_activity


@pytest.mark.gen_test(timeout=60)
async def test_create_publish_edit_cancel_over_http(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    start = ctx.now() + timedelta(days=3)
    body = {
        "org_id": str(world.orgs["A1"]["_id"]),
        "kind": "volunteer",
        "title": "流感季探访独居老人",
        "address": "阳光社区 5 号楼",
        "location": {"type": "Point", "coordinates": [116.40, 39.90]},
        "radius_m": 300,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 5,
        "points_mode": "fixed",
        "points_value": 5,
    }
    status, act = await api.post("/api/v1/activities", body, token=sec)
    assert status == 201, act
    assert act["status"] == "draft" and act["places_left"] == 5
    assert set(act["actions"]) == {"edit", "publish", "cancel"}
    # drafts are the organisers' only
    m1 = await api.login("openid-m1")
    assert (await api.get(f"/api/v1/activities/{act['id']}", token=m1))[0] == 404
    status, act = await api.post(f"/api/v1/activities/{act['id']}/publish", {}, token=sec)
    assert status == 200 and act["status"] == "published"
    status, seen = await api.get(f"/api/v1/activities/{act['id']}", token=m1)
    assert status == 200 and seen["actions"] == ["signup"]
    assert (await api.post(f"/api/v1/activities/{act['id']}/signup", {}, token=m1))[0] == 200
    # a change of time after publishing is told to those signed up
    later = start + timedelta(hours=1)
    status, edited = await api.call(
        "PATCH",
        f"/api/v1/activities/{act['id']}",
        {"start_at": later.isoformat(), "end_at": (later + timedelta(hours=2)).isoformat()},
        token=sec,
    )
    assert status == 200, edited
    told = await ctx.db.notifications.find_one(
        {"user_id": world.id("m1"), "key": {"$regex": ":changed:"}}
    )
    assert told is not None and "时间" in told["body"]
    row = await ctx.db.activity_signups.find_one({"member_id": world.id("m1")})
    assert row["start_at"] == later.replace(microsecond=row["start_at"].microsecond)
    # bad edits: end before start, unknown fields, capacity below the signed up
    status, bad = await api.call(
        "PATCH", f"/api/v1/activities/{act['id']}", {"end_at": start.isoformat()}, token=sec
    )
    assert status == 400 and "end_at" in bad["error"]["fields"]
    status, bad = await api.call(
        "PATCH", f"/api/v1/activities/{act['id']}", {"status": "settled"}, token=sec
    )
    assert status == 400
    status, _ = await api.call("PATCH", f"/api/v1/activities/{act['id']}", {"title": "x"}, token=m1)
    assert status == 403
    status, done = await api.post(
        f"/api/v1/activities/{act['id']}/cancel", {"reason": "暴雨预警"}, token=sec
    )
    assert status == 200 and done["status"] == "cancelled"
    told = await ctx.db.notifications.find_one(
        {"user_id": world.id("m1"), "key": {"$regex": ":cancelled:"}}
    )
    assert told is not None and "暴雨预警" in told["body"]
    status, _again = await api.post(f"/api/v1/activities/{act['id']}/cancel", {}, token=sec)
    assert status == 409


@pytest.mark.gen_test(timeout=60)
async def test_bad_create_is_refused_with_fields(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    start = ctx.now() + timedelta(days=1)
    base = {
        "org_id": str(world.orgs["A1"]["_id"]),
        "kind": "volunteer",
        "title": "清洁日",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
    }
    cases = [
        ({"end_at": start.isoformat()}, "end_at"),
        ({"start_at": (ctx.now() - timedelta(hours=1)).isoformat()}, "start_at"),
        ({"kind": "party"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"photos": ["not-an-id"]}, "photos"),
        ({"photos": ["6650f0f0f0f0f0f0f0f0f0f0"] * 10}, "photos"),
        ({"points_mode": "fixed", "points_value": 0}, "points_value"),
    ]
    for change, field in cases:
        status, body = await api.post("/api/v1/activities", {**base, **change}, token=sec)
        assert status == 400 and field in str(body["error"]["fields"]), (change, body)
    # another branch's secretary cannot organise for A1
    status, body = await api.post(
        "/api/v1/activities", base, token=await api.login("openid-sec_b1")
    )
    assert status == 404
    assert await ctx.db.activities.count_documents({}) == 0


@pytest.mark.gen_test(timeout=60)
async def test_reminders_once_each(world, ctx, clock):
    act = await make_activity(world)  # starts in 2 days
    for who in ("m1", "m2"):
        await activities.sign_up(ctx, world.actor(who), act["_id"])
    assert (await activities.run_activities(ctx))["reminded"] == 0
    clock.now = act["start_at"] - timedelta(hours=23)
    assert (await activities.run_activities(ctx))["reminded"] == 2
    assert (await activities.run_activities(ctx))["reminded"] == 0
    clock.now = act["start_at"] - timedelta(minutes=50)
    assert (await activities.run_activities(ctx))["reminded"] == 2
    assert (await activities.run_activities(ctx))["reminded"] == 0
    keys = sorted(
        [
            n["key"].split(":")[3]
            async for n in ctx.db.notifications.find({"key": {"$regex": ":remind:"}})
        ]
    )
    assert keys == ["1h", "1h", "24h", "24h"]


@pytest.mark.gen_test(timeout=60)
async def test_lists_by_org_kind_and_distance(api, world, ctx):
    near = await make_activity(world, title="近处活动")
    far = await make_activity(
        world,
        title="远处活动",
        kind="party_day",
        location={"type": "Point", "coordinates": [116.50, 39.95]},
        start_at=near["end_at"] + timedelta(days=1),
        end_at=near["end_at"] + timedelta(days=1, hours=1),
    )
    other = await make_activity(world, org="B1", by="sec_b1", title="春风社区活动")
    m1 = await api.login("openid-m1")
    status, body = await api.get("/api/v1/activities?near=116.40,39.90", token=m1)
    assert status == 200
    titles = [a["title"] for a in body["items"]]
    assert titles == ["近处活动", "远处活动"] and body["items"][0]["distance_km"] < 0.1
    status, body = await api.get("/api/v1/activities?kind=party_day", token=m1)
    assert [a["title"] for a in body["items"]] == ["远处活动"]
    status, body = await api.get(f"/api/v1/activities?org_id={world.orgs['B1']['_id']}", token=m1)
    assert status == 200 and body["items"] == []
    status, body = await api.get("/api/v1/activities?near=abc", token=m1)
    assert status == 400
    sec_b1 = await api.login("openid-sec_b1")
    status, body = await api.get("/api/v1/activities", token=sec_b1)
    assert [a["id"] for a in body["items"]] == [str(other["_id"])]
    status, _ = await api.get(f"/api/v1/activities?org_id={world.orgs['A1']['_id']}", token=sec_b1)
    assert status == 404
    await activities.sign_up(ctx, world.actor("m1"), far["_id"])
    status, body = await api.get("/api/v1/me/activities?when=upcoming", token=m1)
    assert status == 200 and [i["activity"]["title"] for i in body["items"]] == ["远处活动"]
    assert body["items"][0]["signup"]["status"] == "confirmed"


@pytest.mark.gen_test(timeout=60)
async def test_clearing_the_sign_up_window_restores_its_defaults(api, world, ctx):
    act = await make_activity(world, open_to_residents=True)
    sec = await api.login("openid-sec_a1")
    status, body = await api.call(
        "PATCH",
        f"/api/v1/activities/{act['_id']}",
        {"signup_opens_at": None, "signup_closes_at": None},
        token=sec,
    )
    assert status == 200, body
    assert body["signup_closes_at"] == body["start_at"]
    status, body = await api.post(
        f"/api/v1/activities/{act['_id']}/signup", {}, token=await api.login("openid-owner")
    )
    assert status == 200, body
