"""Mall items and content safety: risky text refused with nothing written, photos attached by
media id (someone else's id refused), signed URLs in the member's answer."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.media.conftest import upload
from tests.media.samples import photo


def item_body(world, **extra):
    return {
        "org_id": str(world.orgs["A"]["_id"]),
        "name": "爱心理发券",
        "price": 20,
        "stock": 3,
        **extra,
    }


@pytest.mark.gen_test(timeout=90)
async def test_item_text_and_photos_are_checked(api, world, ctx):
    sec = await api.login("openid-sec_a")
    m1 = await api.login("openid-m1")
    status, err = await api.post(
        "/api/v1/rewards", item_body(world, description="违禁 商品"), token=sec
    )
    assert status == 400 and err["error"]["code"] == "content_risky"
    assert "description" in err["error"]["fields"]
    status, theirs = await upload(api, m1, photo(size=(60, 40)))
    assert status == 201
    status, err = await api.post(
        "/api/v1/rewards", item_body(world, photos=[theirs["id"]]), token=sec
    )
    assert status == 400 and "photos" in err["error"]["fields"]
    assert await ctx.db.reward_items.count_documents({}) == 0

    status, mine = await upload(api, sec, photo(size=(60, 40)))
    status, item = await api.post(
        "/api/v1/rewards", item_body(world, photos=[mine["id"]]), token=sec
    )
    assert status == 201, item
    attached = await ctx.db.media.find_one({"_id": ObjectId(mine["id"])})
    assert attached["owner_type"] == "reward_item" and str(attached["owner_id"]) == item["id"]
    assert item["photos"] and f"/media/{mine['id']}/full?" in item["photos"][0]
    url = f"/api/v1/rewards/{item['id']}"
    status, err = await api.call("PATCH", url, {"name": "违禁"}, token=sec)
    assert status == 400 and "name" in err["error"]["fields"], err
    assert (await ctx.db.reward_items.find_one({"_id": ObjectId(item["id"])}))[
        "name"
    ] == "爱心理发券"
