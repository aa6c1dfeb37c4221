"""双报到: a member confirmed in a community's volunteer pool sees and signs up to that
community's activities (not its 三会一课); an ended report removes them at once."""

from __future__ import annotations

import pytest
from bson import ObjectId

from models import reports
from models.people import auth
from tests.activities.helpers import make_activity
from tests.reports.test_reports import unit_member


@pytest.mark.gen_test(timeout=90)
async def test_pool_member_sees_and_joins_until_the_report_ends(api, world, ctx):
    _unit, member, _sec = await unit_member(world)
    token = (await auth.issue_token(ctx, member["_id"]))[0]
    community = world.orgs["A"]
    act = await make_activity(world, org="A", by="sec_a", title="社区义诊")
    meeting = await make_activity(world, org="A", by="sec_a", kind="branch_assembly")

    async def listed():
        status, page = await api.get("/api/v1/activities", token=token)
        assert status == 200, page
        return [a["id"] for a in page["items"]]

    assert await listed() == []
    status, _ = await api.get(f"/api/v1/activities/{act['_id']}", token=token)
    assert status == 404

    sec_a = world.actor("sec_a")
    post = await reports.save_post(ctx, sec_a, community["_id"], {"name": "环境整治"})
    status, rep = await api.post(
        "/api/v1/community-reports",
        {"community_id": str(community["_id"]), "post_ids": [str(post["_id"])]},
        token=token,
    )
    assert status == 201, rep
    assert await listed() == []  # pending: not in the pool yet
    await reports.confirm(ctx, sec_a, ObjectId(rep["id"]))

    assert await listed() == [str(act["_id"])]  # the 三会一课 stays with the community's branch
    status, _ = await api.get(f"/api/v1/activities/{meeting['_id']}", token=token)
    assert status == 404
    status, signed = await api.post(f"/api/v1/activities/{act['_id']}/signup", {}, token=token)
    assert status == 200, signed

    status, _ = await api.post(
        f"/api/v1/community-reports/{rep['id']}/end", {"reason": "搬家"}, token=token
    )
    assert status == 200
    assert await listed() == []
    status, _ = await api.get(f"/api/v1/activities/{act['_id']}", token=token)
    assert status == 404
