"""Uploads over real HTTP: what is taken, what is refused, what is stored and served."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.media.conftest import fetch, upload
from tests.media.samples import SVG, has_gps, photo, png_bomb, polyglot


@pytest.mark.gen_test(timeout=60)
async def test_good_images_are_reencoded_without_exif_and_served(api, world):
    token = await api.login("openid-owner")
    for fmt in ("JPEG", "PNG", "WEBP"):
        source = photo(fmt, (2400, 1200))
        assert has_gps(source)
        status, body = await upload(api, token, source)
        assert status == 201, body
        assert (body["width"], body["height"]) == (1600, 800)  # longest side capped
        assert body["status"] == "checking"  # sent to WeChat's image check
        resp = await fetch(api, body["url"])
        assert resp.code == 200, resp.body
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=" in resp.headers["Cache-Control"]
        assert not has_gps(resp.body)  # EXIF and GPS gone from the stored bytes
        assert Image.open(io.BytesIO(resp.body)).size == (1600, 800)
        thumb = await fetch(api, body["thumb_url"])
        assert thumb.code == 200 and max(Image.open(io.BytesIO(thumb.body)).size) == 360
        again = await fetch(api, body["url"], {"If-None-Match": resp.headers["ETag"]})
        assert again.code == 304 and not again.body


@pytest.mark.gen_test(timeout=60)
async def test_refused_uploads(api, world, ctx):
    token = await api.login("openid-owner")
    cases = [
        (b"just some text renamed to photo.jpg\n" * 20, 400, "image_type_not_allowed"),
        (SVG, 400, "image_type_not_allowed"),
        (png_bomb(), 413, "image_too_many_pixels"),
        (photo()[:4000], 400, "image_invalid"),
        (polyglot(), 400, "image_polyglot"),
        (photo(size=(64, 64)) + bytes(5 * 1024 * 1024), 413, "image_too_large"),
        (bytes(8 * 1024 * 1024), 413, "payload_too_large"),  # refused before it is parsed
    ]
    for data, code, error in cases:
        status, body = await upload(api, token, data)
        assert status == code, (error, body)
        assert body["error"]["code"] == error
        assert set(body["error"]["fields"]) <= {"file", "body"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    status, body = await upload(api, token, photo(), name="image")
    assert status == 400 and body["error"]["fields"] == {"file": "需要且只能上传一张图片"}
    status, body = await api.post("/api/v1/media", {"file": "wxfile://tmp.jpg"}, token=token)
    assert status == 400
    status, _ = await upload(api, None, photo())
    assert status == 401
    assert await ctx.db.media.count_documents({}) == 0  # nothing refused was stored
    assert await ctx.db["media_blobs.files"].count_documents({}) == 0


@pytest.mark.gen_test(timeout=60)
async def test_signed_urls_refuse_tampering_and_expiry(api, world, clock):
    token = await api.login("openid-owner")
    status, body = await upload(api, token, photo(size=(200, 100)))
    assert status == 201
    url = body["url"]
    assert (await fetch(api, url)).code == 200
    tampered = [
        url.replace("/full?", "/thumb?"),  # another variant
        url[:-2] + ("AA" if not url.endswith("AA") else "BB"),  # the signature
        url.replace("e=", "e=9"),  # the expiry
        url.replace(f"a={world.id('owner')}", f"a={world.id('other')}"),  # the audience
    ]
    for bad in tampered:
        resp = await fetch(api, bad)
        assert resp.code == 403, bad
    clock.move(hours=3)  # past 2 × url_ttl
    assert (await fetch(api, url)).code == 403


@pytest.mark.gen_test(timeout=60)
async def test_daily_quota(api, world, ctx):
    ctx.config = ctx.config.replace(media={"daily_quota": 2})
    token = await api.login("openid-owner")
    small = photo(size=(40, 40), gps=False)
    assert (await upload(api, token, small))[0] == 201
    assert (await upload(api, token, small))[0] == 201
    status, body = await upload(api, token, small)
    assert status == 429 and body["error"]["code"] == "media_quota_exceeded"
    other = await api.login("openid-other")
    assert (await upload(api, other, small))[0] == 201  # per user
