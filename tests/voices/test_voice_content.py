"""民意 and content safety: risky text refused with nothing written, photos attached by id
(someone else's id refused), a held reply masked for the submitter, rating comments checked."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.media.conftest import upload
from tests.media.samples import photo
from tests.voices.test_voices import body, tokens


@pytest.mark.gen_test(timeout=90)
async def test_submit_refuses_risky_text_and_foreign_photos(api, world, ctx):
    owner, other = await tokens(api, "owner", "other")
    status, err = await api.post(
        "/api/v1/voices", body(world, text="楼下有人卖违禁品"), token=owner
    )
    assert status == 400 and err["error"]["code"] == "content_risky"
    assert "「民意内容」" in err["error"]["message"] and "text" in err["error"]["fields"]
    status, theirs = await upload(api, other, photo(size=(60, 40)))
    assert status == 201
    status, err = await api.post("/api/v1/voices", body(world, photos=[theirs["id"]]), token=owner)
    assert status == 400 and "photos" in err["error"]["fields"]
    assert await ctx.db.voices.count_documents({}) == 0
    assert await ctx.db.voice_monthly.count_documents({}) == 0

    status, mine = await upload(api, owner, photo(size=(60, 40)))
    status, voice = await api.post("/api/v1/voices", body(world, photos=[mine["id"]]), token=owner)
    assert status == 201, voice
    assert [p["id"] for p in voice["photos"]] == [mine["id"]]
    attached = await ctx.db.media.find_one({"_id": ObjectId(mine["id"])})
    assert attached["owner_type"] == "voice" and str(attached["owner_id"]) == voice["id"]


@pytest.mark.gen_test(timeout=90)
async def test_reply_held_for_review_and_risky_comment_refused(api, world, ctx):
    owner, m1, sec_a1 = await tokens(api, "owner", "m1", "sec_a1")
    status, voice = await api.post("/api/v1/voices", body(world), token=owner)
    vid = voice["id"]
    status, _ = await api.post(
        f"/api/v1/voices/{vid}/assign", {"handler_id": str(world.id("m1"))}, token=sec_a1
    )
    assert status == 200
    status, err = await api.post(f"/api/v1/voices/{vid}/reply", {"text": "违禁 答复"}, token=m1)
    assert status == 400 and "reply" in err["error"]["fields"]
    assert (await ctx.db.voices.find_one({"_id": ObjectId(vid)}))["replies"] == []
    text = "REVIEW 已联系物业更换灯泡"
    status, replied = await api.post(f"/api/v1/voices/{vid}/reply", {"text": text}, token=m1)
    assert status == 200, replied
    status, seen = await api.get(f"/api/v1/voices/{vid}", token=owner)
    assert seen["replies"][0]["text"] == "（内容审核中）"
    assert all(text not in (e["note"] or "") for e in seen["timeline"])
    status, staff = await api.get(f"/api/v1/voices/{vid}", token=sec_a1)
    assert staff["replies"][0]["text"] == text
    flag = await ctx.db.content_flags.find_one({"owner_type": "voice"})
    assert flag["field"] == "reply_0" and flag["status"] == "review"
    status, err = await api.post(
        f"/api/v1/voices/{vid}/rate", {"rating": "满意", "comment": "违禁"}, token=owner
    )
    assert status == 400 and "rating_comment" in err["error"]["fields"]
    assert (await ctx.db.voices.find_one({"_id": ObjectId(vid)}))["status"] == "replied"
