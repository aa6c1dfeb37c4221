"""The media job: uploads nobody attached go after a day; images WeChat missed are resent."""

from __future__ import annotations

import pytest

from jobs.tasks import media_job
from models.media import service
from tests.media.conftest import fetch, upload
from tests.media.samples import photo


@pytest.mark.gen_test(timeout=60)
async def test_orphans_removed_after_a_day(api, world, ctx, clock):
    owner = await api.login("openid-owner")
    _, kept = await upload(api, owner, photo(size=(80, 60)))
    _, orphan = await upload(api, owner, photo(size=(60, 80)))
    status, _ = await api.post("/api/v1/orders", world.order_body(photos=[kept["id"]]), token=owner)
    assert status == 201
    clock.move(hours=23)
    assert (await media_job(ctx, ctx.wechat))["orphans_removed"] == 0
    clock.move(hours=2)
    assert (await media_job(ctx, ctx.wechat))["orphans_removed"] == 1
    ids = {str(d["_id"]) async for d in ctx.db.media.find({})}
    assert ids == {kept["id"]}
    files = {d["_id"] async for d in ctx.db["media_blobs.files"].find({})}
    assert files == {f"{kept['id']}/full", f"{kept['id']}/thumb"}
    assert (await fetch(api, orphan["url"])).code in (403, 404)
    # a removed id can no longer be attached
    status, err = await api.post(
        "/api/v1/orders", world.order_body(photos=[orphan["id"]]), token=owner
    )
    assert status == 400 and "photos" in err["error"]["fields"]


@pytest.mark.gen_test(timeout=60)
async def test_image_check_resent_when_wechat_was_down(api, world, ctx, fake_wechat, clock):
    owner = await api.login("openid-owner")
    fake_wechat.state.content_down = True
    try:
        status, up = await upload(api, owner, photo(size=(70, 70)))
        assert status == 201 and up["status"] == "unchecked"  # accepted, private for now
    finally:
        fake_wechat.state.content_down = False
    assert (await media_job(ctx, ctx.wechat))["images_submitted"] == 0  # backing off
    clock.move(minutes=5)
    assert (await media_job(ctx, ctx.wechat))["images_submitted"] == 1
    doc = await ctx.db.media.find_one({})
    assert doc["status"] == service.CHECKING and doc["trace_id"]
    assert any(up["id"] in c["media_url"] for c in fake_wechat.state.media_checks)
