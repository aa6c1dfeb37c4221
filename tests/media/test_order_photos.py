"""Photos on orders over real HTTP: attach by id, who gets URLs, WeChat's image verdict."""

from __future__ import annotations

import pytest

from tests.fakes.wechat import media_check_event, push_request
from tests.media.conftest import AES_KEY, PUSH_TOKEN, fetch, upload
from tests.media.samples import photo


async def push(api, fake_wechat, trace_id, suggest, **kw):
    query, body = push_request(media_check_event(trace_id, suggest), token=PUSH_TOKEN, **kw)
    resp = await api.client.fetch(
        f"{api.base_url}/wechat/push?{query}", method="POST", body=body, raise_error=False
    )
    return resp


def trace_of(fake_wechat, media_id):
    return next(c["trace_id"] for c in fake_wechat.state.media_checks if media_id in c["media_url"])


@pytest.mark.gen_test(timeout=90)
async def test_order_photo_access_and_verdicts(api, world, fake_wechat, ctx):
    owner = await api.login("openid-owner")
    other = await api.login("openid-other")
    m1 = await api.login("openid-m1")
    sec = await api.login("openid-sec_a1")
    ids = []
    for _ in range(2):
        status, up = await upload(api, owner, photo(size=(300, 200)))
        assert status == 201
        ids.append(up["id"])
    # someone else's id, and a path, cannot be attached
    status, theirs = await upload(api, other, photo(size=(50, 50)))
    body = world.order_body(photos=[theirs["id"]])
    status, err = await api.post("/api/v1/orders", body, token=owner)
    assert status == 400 and "photos" in err["error"]["fields"]
    status, err = await api.post(
        "/api/v1/orders", world.order_body(photos=["wxfile://a.jpg"]), token=owner
    )
    assert status == 400 and list(err["error"]["fields"]) == ["photos.0"]
    assert await ctx.db.orders.count_documents({}) == 0

    status, order = await api.post("/api/v1/orders", world.order_body(photos=ids), token=owner)
    assert status == 201, order
    assert [p["id"] for p in order["photos"]] == ids
    # the same ids cannot go on a second order
    status, err = await api.post("/api/v1/orders", world.order_body(photos=ids[:1]), token=owner)
    assert status == 400 and "photos" in err["error"]["fields"]

    oid = order["id"]
    status, _ = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [str(world.id("m1"))]}, token=sec
    )
    assert status == 200
    # still being checked: the resident and staff see them, the volunteer not yet
    for token, count in ((owner, 2), (sec, 2), (m1, 0)):
        status, seen = await api.get(f"/api/v1/orders/{oid}", token=token)
        assert status == 200 and len(seen["photos"]) == count
    status, _ = await api.get(f"/api/v1/orders/{oid}", token=other)
    assert status == 404  # another resident learns nothing
    # WeChat pushes its verdicts (encrypted mode): one passes, one is risky
    resp = await push(api, fake_wechat, trace_of(fake_wechat, ids[0]), "pass", aes_key=AES_KEY)
    assert resp.code == 200 and resp.body == b"success"
    resp = await push(api, fake_wechat, trace_of(fake_wechat, ids[1]), "risky", fmt="xml")
    assert resp.code == 200
    status, seen = await api.get(f"/api/v1/orders/{oid}", token=m1)
    assert [p["id"] for p in seen["photos"]] == [ids[0]]
    assert (await fetch(api, seen["photos"][0]["url"])).code == 200
    status, mine = await api.get(f"/api/v1/orders/{oid}", token=owner)
    assert [p["id"] for p in mine["photos"]] == [ids[0]]  # risky: hidden from its uploader too
    # a URL handed out before the verdict stops working
    assert (await fetch(api, order["photos"][1]["url"])).code == 404
    # staff were told, and the flag waits on the 内容审核 page
    flag = await ctx.db.content_flags.find_one({"kind": "image"})
    assert flag["status"] == "risky" and str(flag["media_id"]) == ids[1]
    assert await ctx.db.notifications.count_documents({"kind": "moderation"}) >= 1


@pytest.mark.gen_test(timeout=60)
async def test_push_signature_checked(api, world, fake_wechat, ctx):
    owner = await api.login("openid-owner")
    status, up = await upload(api, owner, photo(size=(60, 60)))
    assert status == 201
    trace = trace_of(fake_wechat, up["id"])
    for kw in ({"bad_signature": True}, {"bad_signature": True, "aes_key": AES_KEY}):
        resp = await push(api, fake_wechat, trace, "pass", **kw)
        assert resp.code == 403
    # a body encrypted with another key is refused too
    resp = await push(api, fake_wechat, trace, "pass", aes_key="Z" * 43)
    assert resp.code == 403
    assert (await ctx.db.media.find_one({"trace_id": trace}))["status"] == "checking"
    # WeChat's URL check (GET with echostr)
    query, _ = push_request(media_check_event(trace, "pass"), token=PUSH_TOKEN)
    resp = await api.client.fetch(
        f"{api.base_url}/wechat/push?{query}&echostr=hello", raise_error=False
    )
    assert resp.code == 200 and resp.body == b"hello"
    # the same verdict pushed twice changes it once
    assert (await push(api, fake_wechat, trace, "pass")).code == 200
    assert (await push(api, fake_wechat, trace, "risky")).code == 200
    assert (await ctx.db.media.find_one({"trace_id": trace}))["status"] == "pass"


@pytest.mark.gen_test(timeout=90)
async def test_completion_photos_only_for_resident_assignee_staff(api, world, fake_wechat, ctx):
    oid = await world.order_in("in_service")
    m1 = await api.login("openid-m1")
    status, up = await upload(api, m1, photo(size=(120, 90)))
    await push(api, fake_wechat, trace_of(fake_wechat, up["id"]), "pass")
    status, done = await api.post(
        f"/api/v1/orders/{oid}/complete", {"note": "已修好", "photos": [up["id"]]}, token=m1
    )
    assert status == 200 and [p["id"] for p in done["completion_photos"]] == [up["id"]]
    for name, count in (("owner", 1), ("sec_a1", 1), ("m1", 1)):
        token = await api.login(f"openid-{name}")
        status, seen = await api.get(f"/api/v1/orders/{oid}", token=token)
        assert status == 200 and len(seen["completion_photos"]) == count, name
        resp = await fetch(api, seen["completion_photos"][0]["thumb_url"])
        assert resp.code == 200
    other = await api.login("openid-other")
    assert (await api.get(f"/api/v1/orders/{oid}", token=other))[0] == 404


@pytest.mark.gen_test(timeout=60)
async def test_retried_order_with_photos_returns_the_first(api, world, ctx):
    owner = await api.login("openid-owner")
    status, up = await upload(api, owner, photo(size=(64, 48)))
    assert status == 201
    body = world.order_body(photos=[up["id"]])
    key = {"Idempotency-Key": "retry-with-photos-1"}
    status, first = await api.post("/api/v1/orders", body, token=owner, headers=key)
    assert status == 201
    status, again = await api.post("/api/v1/orders", body, token=owner, headers=key)
    assert status == 200 and again["id"] == first["id"]
    assert [p["id"] for p in again["photos"]] == [up["id"]]
    assert await ctx.db.orders.count_documents({}) == 1
