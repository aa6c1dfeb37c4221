"""Wishes and content safety: risky text refused with nothing written, photos attached by id
(someone else's id refused), held text shown to its author and staff only."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.media.conftest import upload
from tests.media.samples import photo
from tests.wishes.test_wishes import approved_wish, body


@pytest.mark.gen_test(timeout=90)
async def test_post_refuses_risky_text_and_foreign_photos(api, world, ctx):
    owner = await api.login("openid-owner")
    other = await api.login("openid-other")
    status, err = await api.post(
        "/api/v1/wishes", body(world, description="想要 违禁 物品"), token=owner
    )
    assert status == 400 and err["error"]["code"] == "content_risky", err
    assert "description" in err["error"]["fields"] and "「内容」" not in err["error"]["message"]
    status, theirs = await upload(api, other, photo(size=(60, 40)))
    assert status == 201
    status, err = await api.post("/api/v1/wishes", body(world, photos=[theirs["id"]]), token=owner)
    assert status == 400 and err["error"]["code"] == "media_not_attachable", err
    assert await ctx.db.wishes.count_documents({}) == 0
    assert (await ctx.db.media.find_one({}))["owner_id"] is None

    status, mine = await upload(api, owner, photo(size=(60, 40)))
    status, wish = await api.post("/api/v1/wishes", body(world, photos=[mine["id"]]), token=owner)
    assert status == 201, wish
    assert [p["id"] for p in wish["photos"]] == [mine["id"]]
    assert f"/media/{mine['id']}/full?" in wish["photos"][0]["url"]
    attached = await ctx.db.media.find_one({"_id": ObjectId(mine["id"])})
    assert attached["owner_type"] == "wish" and str(attached["owner_id"]) == wish["id"]


@pytest.mark.gen_test(timeout=90)
async def test_fulfil_thanks_and_release_are_checked(api, world, ctx):
    wid = await approved_wish(api, world)
    m1, owner, other = [await api.login(f"openid-{k}") for k in ("m1", "owner", "other")]
    status, _ = await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m1)
    assert status == 200
    status, err = await api.post(f"/api/v1/wishes/{wid}/release", {"reason": "违禁 原因"}, token=m1)
    assert status == 400 and "reason" in err["error"]["fields"]
    status, theirs = await upload(api, owner, photo(size=(60, 40)))
    status, err = await api.post(
        f"/api/v1/wishes/{wid}/fulfil", {"note": "送到了", "photos": [theirs["id"]]}, token=m1
    )
    assert status == 400 and "photos" in err["error"]["fields"]
    status, err = await api.post(f"/api/v1/wishes/{wid}/fulfil", {"note": "违禁 送到"}, token=m1)
    assert status == 400 and "fulfil_note" in err["error"]["fields"]
    wish = await ctx.db.wishes.find_one({"_id": ObjectId(wid)})
    assert wish["status"] == "claimed" and "fulfil_note" not in wish
    status, done = await api.post(
        f"/api/v1/wishes/{wid}/fulfil", {"note": "REVIEW 书包已送到"}, token=m1
    )
    assert status == 200 and done["fulfil_note"].startswith("REVIEW")
    status, seen = await api.get(f"/api/v1/wishes/{wid}", token=other)
    assert seen["fulfil_note"] == "（内容审核中）"
    flag = await ctx.db.content_flags.find_one({"owner_type": "wish", "field": "fulfil_note"})
    assert flag is not None and flag["status"] == "review"
    status, err = await api.post(
        f"/api/v1/wishes/{wid}/confirm", {"thanks": "违禁 谢谢"}, token=owner
    )
    assert status == 400 and "thanks" in err["error"]["fields"]
    assert await ctx.db.ledger_entries.count_documents({}) == 0
