"""民意 over real HTTP: QR scene binding, handling with transfer, 不满意 reopening once,
SLA reminders and escalation exactly once, "still solved?" follow-ups, privacy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import ObjectId

from models import voices
from models.core.context import FailpointTriggered
from models.voices import qr, rollup


def body(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "request",
        "category": "环境卫生",
        "text": "三号楼楼道的灯坏了好几天，晚上老人上下楼很危险",
        "org_id": str(world.orgs["A1"]["_id"]),
        **extra,
    }


async def tokens(api: Any, *names: str) -> list[str]:
    return [await api.login(f"openid-{n}") for n in names]


@pytest.mark.gen_test(timeout=60)
async def test_qr_scene_binds_the_node_and_a_forged_scene_is_refused(api, world, ctx, fake_wechat):
    owner, sec = await tokens(api, "owner", "sec_a")
    community = world.orgs["A"]["_id"]
    status, _ = await api.get(f"/api/v1/orgs/{community}/voice-qr", token=sec)
    assert status == 200 and api.last_bytes.startswith(b"\x89PNG")
    sent = fake_wechat.state.wxa_codes[-1]
    assert sent["page"] == "pkg-voice/pages/submit/submit" and len(sent["scene"]) <= 32
    assert qr.org_from_scene(ctx, sent["scene"]) == community
    # the scene from the code binds the submission to the community
    data = body(world, scene=sent["scene"])
    del data["org_id"]
    status, voice = await api.post("/api/v1/voices", data, token=owner)
    assert status == 201 and voice["org_id"] == str(community), voice
    assert (await ctx.db.voices.find_one({"_id": ObjectId(voice["id"])}))["via"] == "qr"
    # forged: another node's id with this signature, a flipped character, garbage
    other = qr.scene_for(ctx, world.orgs["B"]["_id"])
    forged = [
        other.split(".")[0] + "." + sent["scene"].split(".")[1],
        sent["scene"][:-1] + ("A" if sent["scene"][-1] != "A" else "B"),
        "not-a-scene",
        "",
    ]
    for scene in forged:
        data = {**body(world), "scene": scene}
        del data["org_id"]
        status, err = await api.post("/api/v1/voices", data, token=owner)
        assert status == 400, (scene, err)
        if scene:
            assert err["error"]["fields"] == {"scene": "二维码无效"}, err
    assert await ctx.db.voices.count_documents({}) == 1
    # a secretary outside the node cannot fetch its code
    (sec_b1,) = await tokens(api, "sec_b1")
    assert (await api.get(f"/api/v1/orgs/{community}/voice-qr", token=sec_b1))[0] == 404


def test_poster_renders_png_and_pdf():
    code = b"".join([])  # no WeChat: the placeholder frame is drawn
    png = qr.poster("阳光社区", code or None, "png")
    pdf = qr.poster("阳光社区", None, "pdf")
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(png)).size == (1240, 1754)  # A4 at 150 dpi


@pytest.mark.gen_test(timeout=90)
async def test_handling_transfer_and_unsatisfied_reopens_once(api, world, ctx):
    owner, other, m1, sec_a1, sec_a = await tokens(api, "owner", "other", "m1", "sec_a1", "sec_a")
    status, voice = await api.post("/api/v1/voices", body(world, anonymous=True), token=owner)
    assert status == 201 and voice["status"] == "received"
    vid = voice["id"]
    # recommendation with reasons; the secretary of the node comes with one
    status, recs = await api.get(f"/api/v1/voices/{vid}/recommendations", token=sec_a1)
    assert status == 200 and recs["items"] and all(r["reasons"] for r in recs["items"])
    assert {"cases_handled", "stars", "years_of_service"} <= set(recs["items"][0]["handler"])
    # transfer up: A1's secretary hands it to community A; then only A's staff act on it
    status, moved = await api.post(
        f"/api/v1/voices/{vid}/transfer", {"reason": "涉及物业"}, token=sec_a1
    )
    assert status == 200 and moved["charge_org_id"] == str(world.orgs["A"]["_id"])
    status, _ = await api.post(f"/api/v1/voices/{vid}/accept", {}, token=sec_a1)
    assert status == 403
    status, assigned = await api.post(
        f"/api/v1/voices/{vid}/assign", {"handler_id": str(world.id("m1"))}, token=sec_a
    )
    assert (
        status == 200 and assigned["status"] == "accepted" and assigned["handler_name"] == "队员1"
    )
    # two racing replies: exactly one wins
    results = await asyncio.gather(
        api.post(
            f"/api/v1/voices/{vid}/reply", {"text": "已联系物业维修", "public": True}, token=m1
        ),
        api.post(f"/api/v1/voices/{vid}/reply", {"text": "已处理", "public": True}, token=sec_a),
    )
    assert sorted(s for s, _ in results) == [200, 409]
    # anonymous to other residents, never to staff
    status, seen = await api.get(f"/api/v1/voices/{vid}", token=other)
    assert status == 200 and seen["submitter_name"] == "匿名群众" and seen["timeline"] == []
    assert "林阿姨" not in api.last_text
    status, staff_view = await api.get(f"/api/v1/voices/{vid}", token=sec_a)
    assert staff_view["submitter_name"] == "林阿姨"
    # 不满意 → back to the handler, once
    status, again = await api.post(
        f"/api/v1/voices/{vid}/rate", {"rating": "不满意", "comment": "灯还是不亮"}, token=owner
    )
    assert status == 200 and again["status"] == "accepted" and again["reopen_count"] == 1
    status, _ = await api.post(f"/api/v1/voices/{vid}/reply", {"text": "已更换灯泡"}, token=m1)
    assert status == 200
    status, final = await api.post(f"/api/v1/voices/{vid}/rate", {"rating": "不满意"}, token=owner)
    assert status == 200 and final["status"] == "closed" and final["rating"] == "不满意"
    status, err = await api.post(f"/api/v1/voices/{vid}/rate", {"rating": "满意"}, token=owner)
    assert status == 409 and err["error"]["code"] == "already_rated"
    doc = await ctx.db.voices.find_one({"_id": ObjectId(vid)})
    actions = [e["action"] for e in doc["timeline"]]
    assert actions == ["submit", "transfer", "assign", "reply", "reopen", "reply", "rate"]
    told = {(n["user_id"], n["kind"]) async for n in ctx.db.notifications.find({})}
    assert (world.id("owner"), "voice_reply") in told and (world.id("m1"), "voice_reopen") in told
    assert (world.id("sec_a"), "voice_transfer") in told


@pytest.mark.gen_test(timeout=60)
async def test_crash_between_the_reply_and_its_counters_leaves_neither(api, world, ctx):
    """The voice's move and its 民情分析 counters are one transaction: a crash between them
    leaves the voice as it was and the counters untouched; the retry moves both, once."""
    owner, sec_a1 = await tokens(api, "owner", "sec_a1")
    status, voice = await api.post("/api/v1/voices", body(world), token=owner)
    assert status == 201, voice
    vid = voice["id"]
    assert (await api.post(f"/api/v1/voices/{vid}/accept", {}, token=sec_a1))[0] == 200
    doc = await ctx.db.voices.find_one({"_id": ObjectId(vid)})
    branch, month = world.orgs["A1"]["_id"], doc["month"]
    before = await rollup.read(ctx, branch, month)
    assert "replied" not in before and before["total"] == 1, before
    ctx.failpoints.add("voices.before_rollup")
    with pytest.raises(FailpointTriggered):
        await voices.reply_voice(ctx, world.actor("sec_a1"), ObjectId(vid), {"text": "已处理"})
    ctx.failpoints.clear()
    doc = await ctx.db.voices.find_one({"_id": ObjectId(vid)})
    assert doc["status"] == "accepted" and doc["replies"] == [] and doc["version"] == 1, doc
    assert await rollup.read(ctx, branch, month) == before
    reply = f"/api/v1/voices/{vid}/reply"
    results = await asyncio.gather(
        *(api.post(reply, {"text": "已处理"}, token=sec_a1) for _ in range(3))
    )
    assert sorted(s for s, _ in results) == [200, 409, 409], results
    after = await rollup.read(ctx, branch, month)
    assert after["replied"] == 1 and after["total"] == 1, after
    assert await rollup.check(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_sla_reminds_and_escalates_exactly_once(api, world, ctx, clock):
    (owner,) = await tokens(api, "owner")
    status, voice = await api.post("/api/v1/voices", body(world), token=owner)
    assert status == 201
    vid = ObjectId(voice["id"])
    clock.move(hours=25)
    runs = [await voices.run_voice_sla(ctx) for _ in range(2)]
    assert [r["reminded"] for r in runs] == [1, 0]  # sec_a1, once
    clock.move(hours=48)
    runs = await asyncio.gather(voices.run_voice_sla(ctx), voices.run_voice_sla(ctx))
    assert sum(r["escalated"] for r in runs) == 1
    doc = await ctx.db.voices.find_one({"_id": vid})
    assert doc["charge_id"] == world.orgs["A"]["_id"]
    assert [e["action"] for e in doc["timeline"]].count("escalate") == 1
    # accepted past due: the handler once, then the staff once
    await voices.assign_voice(ctx, world.actor("sec_a"), vid, {"handler_id": world.id("m1")})
    clock.move(hours=121)
    assert (await voices.run_voice_sla(ctx))["overdue"] == 1
    assert (await voices.run_voice_sla(ctx))["overdue"] == 0
    clock.move(hours=48)
    assert (await voices.run_voice_sla(ctx))["overdue"] == 1  # sec_a: late
    assert await ctx.db.notifications.count_documents({"kind": "voice_reminder_due"}) == 1
    # replied, never rated → closed by the job
    await voices.reply_voice(ctx, world.actor("m1"), vid, {"text": "已处理"})
    clock.move(days=7, minutes=1)
    assert (await voices.run_voice_sla(ctx))["auto_closed"] == 1
    assert (await ctx.db.voices.find_one({"_id": vid}))["status"] == "closed"


@pytest.mark.gen_test(timeout=90)
async def test_still_solved_is_asked_once_and_no_reopens(api, world, ctx, clock):
    (owner,) = await tokens(api, "owner")
    status, voice = await api.post("/api/v1/voices", body(world), token=owner)
    assert status == 201
    vid = ObjectId(voice["id"])
    await voices.assign_voice(ctx, world.actor("sec_a1"), vid, {"handler_id": world.id("m1")})
    await voices.reply_voice(ctx, world.actor("m1"), vid, {"text": "已修好"})
    await voices.rate_voice(ctx, world.actor("owner"), vid, {"rating": "满意"})
    oid = await world.order_in("completed")
    await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=owner)
    clock.move(days=13)
    assert (await voices.run_followups(ctx))["followups"] == 0
    clock.move(days=1, minutes=5)
    first = await asyncio.gather(voices.run_followups(ctx), voices.run_followups(ctx))
    assert sum(r["followups"] for r in first) == 2  # the voice and the order, once each
    assert (await voices.run_followups(ctx))["followups"] == 0
    assert await ctx.db.notifications.count_documents({"kind": "followup"}) == 2
    fu = await ctx.db.followups.find_one({"source_type": "voice"})
    owner, other_token = await tokens(api, "owner", "other")  # two weeks on: sign in again
    assert (await api.post(f"/api/v1/followups/{fu['_id']}", {"solved": False}, token=other_token))[
        0
    ] == 404
    status, answer = await api.post(
        f"/api/v1/followups/{fu['_id']}", {"solved": False, "note": "又坏了"}, token=owner
    )
    assert status == 200 and answer["reopened_id"] == str(vid)
    status, _ = await api.post(f"/api/v1/followups/{fu['_id']}", {"solved": True}, token=owner)
    assert status == 409
    doc = await ctx.db.voices.find_one({"_id": vid})
    assert doc["status"] == "accepted" and doc["timeline"][-1]["action"] == "followup_reopen"
    assert [e["action"] for e in doc["timeline"]][:4] == ["submit", "assign", "reply", "rate"]
    # the order: "no" places a new order linked to the closed one, which keeps its award
    fu = await ctx.db.followups.find_one({"source_type": "order"})
    status, answer = await api.post(
        f"/api/v1/followups/{fu['_id']}", {"solved": False}, token=owner
    )
    assert status == 200 and answer["reopened_id"]
    new = await ctx.db.orders.find_one({"_id": ObjectId(answer["reopened_id"])})
    assert new["reopened_from"] == oid and new["status"] == "submitted"
    assert (await ctx.db.orders.find_one({"_id": oid}))["status"] == "closed"


@pytest.mark.gen_test(timeout=60)
async def test_bad_input_writes_nothing(api, world, ctx):
    (owner,) = await tokens(api, "owner")
    cases = [
        (body(world, kind="rant"), "kind"),
        (body(world, text=""), "text"),
        (body(world, text="长" * 1001), "text"),
        (body(world, photos=["x"]), "photos.0"),
        ({k: v for k, v in body(world).items() if k != "org_id"}, "org_id"),
        (body(world, scene="abc"), "org_id"),
    ]
    for data, field in cases:
        status, err = await api.post("/api/v1/voices", data, token=owner)
        assert status == 400 and field in err["error"]["fields"], (field, err)
    assert await ctx.db.voices.count_documents({}) == 0
    assert await ctx.db.voice_monthly.count_documents({}) == 0
