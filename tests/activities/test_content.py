"""Activities and content safety: risky text refused with nothing written, photos attached by
media id (someone else's id refused), URLs only in the activity's answer."""

from __future__ import annotations

import pytest
from bson import ObjectId

from server.errors import ValidationFailed
from tests.activities.helpers import make_activity
from tests.media.conftest import upload
from tests.media.samples import photo


@pytest.mark.gen_test(timeout=90)
async def test_create_and_minutes_refuse_risky_text_and_foreign_photos(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    with pytest.raises(ValidationFailed) as refused:
        await make_activity(world, description="现场出售 违禁 物品")
    assert refused.value.code == "content_risky" and "description" in refused.value.fields
    status, theirs = await upload(api, m1, photo(size=(60, 40)))
    assert status == 201
    with pytest.raises(ValidationFailed) as refused:
        await make_activity(world, photos=[ObjectId(theirs["id"])])
    assert refused.value.code == "media_not_attachable"
    assert await ctx.db.activities.count_documents({}) == 0

    status, mine = await upload(api, sec, photo(size=(60, 40)))
    act = await make_activity(world, photos=[ObjectId(mine["id"])])
    attached = await ctx.db.media.find_one({"_id": ObjectId(mine["id"])})
    assert attached["owner_type"] == "activity" and attached["owner_id"] == act["_id"]
    status, shown = await api.get(f"/api/v1/activities/{act['_id']}", token=sec)
    assert status == 200 and [p["id"] for p in shown["photos"]] == [mine["id"]]

    url = f"/api/v1/activities/{act['_id']}"
    status, err = await api.call("PATCH", url, {"description": "违禁 说明"}, token=sec)
    assert status == 400 and "description" in err["error"]["fields"], err
    status, err = await api.call("PATCH", url, {"photos": [theirs["id"]]}, token=sec)
    assert status == 400 and "photos" in err["error"]["fields"], err
    stored = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert stored["description"] == "清理楼道和绿化带" and stored["photos"] == [
        ObjectId(mine["id"])
    ]
