"""Check-in and check-out over real HTTP: the rotating QR plus location, every refusal with
its own message, the organiser's audited hand, hours, and forgotten check-outs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import activities
from models.activities import hours as hours_rules
from models.activities import qr
from tests.activities.helpers import FAR_AWAY, NEAR_SITE, SITE, make_activity, move_to


async def signed_up(api, world, **over):
    act = await make_activity(world, **over)
    m1 = await api.login("openid-m1")
    status, _ = await api.post(f"/api/v1/activities/{act['_id']}/signup", {}, token=m1)
    assert status == 200
    return act, m1


async def current_token(api, act, direction="in"):
    sec = await api.login("openid-sec_a1")
    status, body = await api.get(
        f"/api/v1/activities/{act['_id']}/qr?direction={direction}", token=sec
    )
    assert status == 200, body
    assert body["image"].startswith("data:image/png;base64,")
    return body["token"]


@pytest.mark.gen_test(timeout=90)
async def test_checkin_refusals_each_say_what_is_wrong(api, world, ctx, clock):
    act, m1 = await signed_up(api, world)
    other, _ = await signed_up(
        api,
        world,
        title="另一场活动",
        start_at=act["end_at"] + timedelta(days=1),
        end_at=act["end_at"] + timedelta(days=1, hours=2),
    )
    url = f"/api/v1/activities/{act['_id']}/checkin"

    async def refused(body, code):
        status, answer = await api.post(url, body, token=m1)
        assert status in (400, 409) and answer["error"]["code"] == code, answer
        return answer["error"]["message"]

    messages = {}
    # before the margin (30 min before the start): not yet open
    await move_to(world, act["_id"], minutes_from_start=-31)
    token = await current_token(api, act)
    messages["early"] = await refused({"token": token, "location": NEAR_SITE}, "checkin_not_open")
    await move_to(world, act["_id"], minutes_from_start=5)
    token = await current_token(api, act)
    messages["no_location"] = await refused({"token": token}, "location_required")
    messages["far"] = await refused({"token": token, "location": FAR_AWAY}, "too_far")
    assert "米" in messages["far"]
    foreign = await current_token(api, other)
    messages["foreign"] = await refused(
        {"token": foreign, "location": NEAR_SITE}, "qr_wrong_activity"
    )
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    messages["forged"] = await refused({"token": forged, "location": NEAR_SITE}, "qr_invalid")
    out_token = await current_token(api, act, "out")
    messages["direction"] = await refused(
        {"token": out_token, "location": NEAR_SITE}, "qr_wrong_direction"
    )
    # a token older than its window (and the grace after it)
    clock.move(seconds=65)
    messages["expired"] = await refused({"token": token, "location": NEAR_SITE}, "qr_expired")
    # a fresh token inside the radius (accuracy counts): in
    token = await current_token(api, act)
    status, body = await api.post(
        url, {"token": token, "location": NEAR_SITE, "accuracy": 30}, token=m1
    )
    assert status == 200, body
    assert body["checkin_at"] and body["checkin_method"] == "qr"
    assert 20 < body["checkin_distance_m"] < 80
    # the same token again: replayed
    messages["replayed"] = await refused({"token": token, "location": NEAR_SITE}, "qr_replayed")
    # every refusal has a message of its own
    assert len(set(messages.values())) == len(messages), messages


@pytest.mark.gen_test(timeout=60)
async def test_accuracy_widens_the_radius_but_only_so_far(api, world, ctx):
    # 2 km away with a claimed accuracy of 5 km: the accuracy counts at most 100 m
    act, m1 = await signed_up(api, world, radius_m=200)
    await move_to(world, act["_id"], minutes_from_start=1)
    token = await current_token(api, act)
    url = f"/api/v1/activities/{act['_id']}/checkin"
    status, body = await api.post(
        url, {"token": token, "location": FAR_AWAY, "accuracy": 5000}, token=m1
    )
    assert status == 409 and body["error"]["code"] == "too_far"
    # 250 m away, radius 200 m, accuracy 60 m: accepted
    edge = {"type": "Point", "coordinates": [SITE["coordinates"][0] + 0.00293, 39.90]}
    status, body = await api.post(url, {"token": token, "location": edge, "accuracy": 60}, token=m1)
    assert status == 200, body


@pytest.mark.gen_test(timeout=60)
async def test_not_signed_up_and_other_branch(api, world, ctx):
    act, _ = await signed_up(api, world)
    await move_to(world, act["_id"], minutes_from_start=1)
    token = await current_token(api, act)
    url = f"/api/v1/activities/{act['_id']}/checkin"
    status, body = await api.post(
        url, {"token": token, "location": NEAR_SITE}, token=await api.login("openid-m2")
    )
    assert status == 403 and body["error"]["code"] == "not_signed_up"
    status, body = await api.post(
        url, {"token": token, "location": NEAR_SITE}, token=await api.login("openid-m_b1")
    )
    assert status == 404
    sec_b1 = await api.login("openid-sec_b1")
    for path in ("attendance", "qr"):
        status, _ = await api.get(f"/api/v1/activities/{act['_id']}/{path}", token=sec_b1)
        assert status == 404
    # members never read attendance: refused for the role before the activity is looked up
    status, body = await api.get(
        f"/api/v1/activities/{act['_id']}/attendance", token=await api.login("openid-m_b1")
    )
    assert status == 403 and body["error"]["code"] == "role_not_allowed"


@pytest.mark.gen_test(timeout=60)
async def test_hours_are_time_served_capped_and_rounded(api, world, ctx, clock):
    act, m1 = await signed_up(api, world)  # 3 h long
    await move_to(world, act["_id"], minutes_from_start=-20)  # 20 min early: check in
    token = await current_token(api, act)
    base = f"/api/v1/activities/{act['_id']}"
    status, _ = await api.post(f"{base}/checkin", {"token": token, "location": NEAR_SITE}, token=m1)
    assert status == 200
    clock.move(hours=2, minutes=10)  # 1 h 50 min after the start
    token = await current_token(api, act, "out")
    status, body = await api.post(
        f"{base}/checkout", {"token": token, "location": NEAR_SITE}, token=m1
    )
    assert status == 200, body
    assert body["hours"] == 1.5  # 1 h 50 min served since the start, floored to 0.5 h
    status, body = await api.post(
        f"{base}/checkout", {"token": token, "location": NEAR_SITE}, token=m1
    )
    assert status == 409 and body["error"]["code"] == "qr_replayed"


@pytest.mark.gen_test(timeout=60)
async def test_manual_corrections_are_audited(api, world, ctx):
    act, _ = await signed_up(api, world)
    await move_to(world, act["_id"], minutes_from_start=30)
    sec = await api.login("openid-sec_a1")
    url = f"/api/v1/activities/{act['_id']}/attendance"
    body = {"member_id": str(world.id("m2")), "action": "checkin", "reason": "手机没电"}
    status, answer = await api.post(url, body, token=sec)
    assert status == 200, answer
    assert answer["checkin_method"] == "manual" and answer["member_name"] == "队员2"
    status, answer = await api.post(url, {**body, "reason": ""}, token=sec)
    assert status == 400 and "reason" in answer["error"]["fields"]
    entry = await ctx.db.audit_log.find_one({"action": "activity.checkin"})
    assert entry["reason"] == "手机没电" and entry["actor_name"] == "一支部书记"
    assert entry["after"]["checkin_method"] == "manual"
    # hours corrected by hand, never beyond the span
    status, answer = await api.post(
        url,
        {"member_id": str(world.id("m2")), "action": "hours", "hours": 9, "reason": "补录"},
        token=sec,
    )
    assert status == 400 and "hours" in answer["error"]["fields"]
    status, answer = await api.post(
        url,
        {"member_id": str(world.id("m2")), "action": "hours", "hours": 2.5, "reason": "补录"},
        token=sec,
    )
    assert status == 200 and answer["hours"] == 2.5
    assert await ctx.db.audit_log.count_documents({"action": "activity.hours"}) == 1
    # members cannot correct
    status, _ = await api.post(url, body, token=await api.login("openid-m1"))
    assert status == 403
    status, listing = await api.get(url, token=sec)
    assert status == 200
    assert {r["member_name"] for r in listing["items"]} == {"队员1", "队员2"}


@pytest.mark.gen_test(timeout=60)
async def test_forgotten_checkout_is_closed_at_the_end_and_flagged(api, world, ctx, clock):
    act, m1 = await signed_up(api, world)
    await move_to(world, act["_id"], minutes_from_start=60)
    token = await current_token(api, act)
    base = f"/api/v1/activities/{act['_id']}"
    status, _ = await api.post(f"{base}/checkin", {"token": token, "location": NEAR_SITE}, token=m1)
    assert status == 200
    counts = await activities.run_activities(ctx)
    assert counts["started"] == 1
    clock.move(hours=2, minutes=29)  # inside the margin after the end: not ended yet
    assert (await activities.run_activities(ctx))["ended"] == 0
    clock.move(minutes=2)
    counts = await activities.run_activities(ctx)
    assert counts["ended"] == 1 and counts["forgotten_checkouts"] == 1
    row = await ctx.db.activity_signups.find_one({"activity_id": act["_id"]})
    assert row["forgot_checkout"] is True and row["checkout_method"] == "auto"
    assert row["hours"] == 2.0  # from check-in (1 h after the start) to the end
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert doc["status"] == "ended"


def test_hour_rules():
    from datetime import UTC, datetime

    t = datetime(2026, 5, 1, 9, tzinfo=UTC)
    h = timedelta(hours=1)
    assert hours_rules.served_hours(t - h, t + 5 * h, t, t + 3 * h) == 3.0
    assert hours_rules.served_hours(t + h, t + h / 2, t, t + 3 * h) == 0.0
    assert hours_rules.served_hours(None, t, t, t + h) == 0.0
    assert hours_rules.round_hours(1.74, 0.5) == 1.5
    assert hours_rules.round_hours(1.74, 0.5, "nearest") == 1.5
    assert hours_rules.round_hours(1.75, 0.5, "nearest") == 2.0
    assert hours_rules.round_hours(2.0, 0.5) == 2.0
    assert hours_rules.points_for("per_hour", 2, 1.5) == 3.0
    assert hours_rules.points_for("fixed", 5, 0.5) == 5.0
    assert hours_rules.points_for("fixed", 5, 0) == 0.0
    assert hours_rules.points_for("none", 5, 3) == 0.0


def test_token_shape_and_signature(ctx):
    from bson import ObjectId

    aid = ObjectId()
    token, _expires = qr.issue(ctx, aid, "in")
    assert token.startswith("txa1.") and token.count(".") == 4
    assert 0 < (_expires - ctx.now()).total_seconds() <= 30
    assert qr.verify(ctx, token, aid, "in").direction == "in"
    other_secret = ctx.config.replace(activities={"qr_secret": "another"})
    ctx.config, saved = other_secret, ctx.config
    try:
        with pytest.raises(Exception) as refused:
            qr.verify(ctx, token, aid, "in")
        assert getattr(refused.value, "code", "") == "qr_invalid"
    finally:
        ctx.config = saved
