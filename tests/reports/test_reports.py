"""双报到 over real HTTP: report, confirm → the community's pool (task hall, recommendations,
figures), feedback per quarter, end → out of the pool."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from models import orders, reports
from models.people import auth, orgs
from models.people.users import Actor, create_user


async def unit_member(world):
    ctx = world.ctx
    unit = await orgs.create_org(
        ctx, "和平区税务局机关党支部", "branch", world.orgs["district"]["_id"], branch_kind="unit"
    )
    member = await create_user(
        ctx,
        role="member",
        name="机关党员",
        openid="openid-unit-1",
        org_id=unit["_id"],
        party_status="正式党员",
        skills=["家电维修"],
    )
    sec = await create_user(
        ctx, role="secretary", name="机关书记", openid="openid-unit-sec", org_id=unit["_id"]
    )
    return unit, member, sec


@pytest.mark.gen_test(timeout=60)
async def test_confirmed_member_joins_the_pool_and_ending_removes_it(api, world, ctx):
    unit, member, unit_sec = await unit_member(world)
    tok = {
        "u": (await auth.issue_token(ctx, member["_id"]))[0],
        "unit_sec": (await auth.issue_token(ctx, unit_sec["_id"]))[0],
        "sec_a": (await auth.issue_token(ctx, world.id("sec_a")))[0],
        "sec_b1": (await auth.issue_token(ctx, world.id("sec_b1")))[0],
        "m1": (await auth.issue_token(ctx, world.id("m1")))[0],
    }
    community = str(world.orgs["A"]["_id"])
    status, post = await api.post(
        f"/api/v1/orgs/{community}/posts", {"name": "楼栋长"}, token=tok["sec_a"]
    )
    assert status == 200, post
    # another community's secretary cannot add posts here
    status, _ = await api.post(
        f"/api/v1/orgs/{community}/posts", {"name": "冒名"}, token=tok["sec_b1"]
    )
    assert status == 404
    status, listed = await api.get(f"/api/v1/orgs/{community}/posts", token=tok["u"])
    assert [p["name"] for p in listed["items"]] == ["楼栋长"]

    # a community-branch member does not 双报到
    status, err = await api.post(
        "/api/v1/community-reports",
        {"community_id": community, "post_ids": [post["id"]]},
        token=tok["m1"],
    )
    assert status == 409 and err["error"]["code"] == "not_unit_member"

    status, rep = await api.post(
        "/api/v1/community-reports",
        {"community_id": community, "post_ids": [post["id"]], "note": "住在 3 号楼"},
        token=tok["u"],
    )
    assert status == 201, rep
    assert rep["status"] == "pending" and rep["post_names"] == ["楼栋长"]

    # an order in community A published to A's task hall
    oid = await world.order_in("submitted")
    sec_a = world.actor("sec_a")
    await orders.dispatch_order(
        ctx,
        sec_a,
        oid,
        {
            "to_hall": True,
            "hall_org_id": world.orgs["A"]["_id"],
            "due_at": ctx.now() + timedelta(days=1),
        },
    )

    async def hall_ids():
        status, hall = await api.get("/api/v1/task-hall", token=tok["u"])
        assert status == 200
        return [o["id"] for o in hall["items"]]

    async def recommended():
        other = await world.order_in("submitted")
        ranked = await orders.recommend_volunteers(ctx, sec_a, other)
        return [r["member"]["id"] for r in ranked]

    assert await hall_ids() == []
    assert str(member["_id"]) not in await recommended()
    assert (await reports.community_figures(ctx, world.orgs["A"]["_id"]))["pool_members"] == 0

    # B1's secretary cannot confirm a report to community A
    status, _ = await api.post(
        f"/api/v1/community-reports/{rep['id']}/confirm", {}, token=tok["sec_b1"]
    )
    assert status == 404
    status, done = await api.post(
        f"/api/v1/community-reports/{rep['id']}/confirm", {}, token=tok["sec_a"]
    )
    assert status == 200 and done["status"] == "confirmed", done

    assert await hall_ids() == [str(oid)]
    assert str(member["_id"]) in await recommended()
    figures = await reports.community_figures(ctx, world.orgs["A"]["_id"])
    assert figures["pool_members"] == 1
    # the member stays in their own branch
    user = await ctx.db.users.find_one({"_id": member["_id"]})
    assert user["org_id"] == unit["_id"]

    # they take and serve the order; the unit's secretary sees it in the quarter's feedback
    actor = Actor.from_user(user)
    await orders.accept_order(ctx, actor, oid)
    await orders.start_order(ctx, actor, oid)
    await orders.complete_order(ctx, actor, oid, {"note": "已修好"})
    await orders.confirm_order(ctx, world.actor("owner"), oid, {"rating": 4})
    year, quarter = reports.current_quarter(ctx)
    rows = await reports.feedback(ctx, unit["_id"], year, quarter)
    assert [(r["member_name"], r["orders"], r["hours"], r["rating_avg"]) for r in rows] == [
        ("机关党员", 1, 2.0, 4.0)
    ]
    status, listed = await api.get("/api/v1/community-reports", token=tok["unit_sec"])
    assert [r["id"] for r in listed["items"]] == [rep["id"]]
    status, rec = await api.get("/api/v1/me/record", token=tok["u"])
    assert status == 200, rec
    assert rec["community_service"][0]["orders"] == 1

    # the member moves house: ends the report, leaves the pool
    status, done = await api.post(
        f"/api/v1/community-reports/{rep['id']}/end", {"reason": "搬家"}, token=tok["u"]
    )
    assert status == 200 and done["status"] == "ended"
    oid2 = await world.order_in("submitted")
    await orders.dispatch_order(
        ctx,
        sec_a,
        oid2,
        {
            "to_hall": True,
            "hall_org_id": world.orgs["A"]["_id"],
            "due_at": ctx.now() + timedelta(days=1),
        },
    )
    assert await hall_ids() == []
    assert str(member["_id"]) not in await recommended()
    assert (await reports.community_figures(ctx, world.orgs["A"]["_id"]))["pool_members"] == 0


@pytest.mark.gen_test(timeout=60)
async def test_decline_and_one_open_report(api, world, ctx):
    _, member, _ = await unit_member(world)
    tok = (await auth.issue_token(ctx, member["_id"]))[0]
    sec_a = (await auth.issue_token(ctx, world.id("sec_a")))[0]
    community = str(world.orgs["A"]["_id"])
    _, post = await api.post(f"/api/v1/orgs/{community}/posts", {"name": "环境整治"}, token=sec_a)
    body = {"community_id": community, "post_ids": [post["id"]]}
    status, rep = await api.post("/api/v1/community-reports", body, token=tok)
    assert status == 201
    status, err = await api.post("/api/v1/community-reports", body, token=tok)
    assert status == 409 and err["error"]["code"] == "report_open"
    status, done = await api.post(
        f"/api/v1/community-reports/{rep['id']}/decline", {"reason": "不在本社区居住"}, token=sec_a
    )
    assert status == 200 and done["status"] == "declined"
    status, _ = await api.post(f"/api/v1/community-reports/{rep['id']}/confirm", {}, token=sec_a)
    assert status == 409
    # a post of another community is refused
    _, other = await api.post(
        f"/api/v1/orgs/{world.orgs['B']['_id']}/posts",
        {"name": "助老"},
        token=(await auth.issue_token(ctx, world.id("admin")))[0],
    )
    status, err = await api.post(
        "/api/v1/community-reports",
        {"community_id": community, "post_ids": [other["id"]]},
        token=tok,
    )
    assert status == 400 and "post_ids" in err["error"]["fields"]


@pytest.mark.gen_test(timeout=60)
async def test_me_tells_a_work_unit_branch(api, world, ctx):
    _, member, _ = await unit_member(world)
    tok = (await auth.issue_token(ctx, member["_id"]))[0]
    status, me = await api.get("/api/v1/me", token=tok)
    assert status == 200 and me["org_kind"] == "unit", me
    status, me = await api.get("/api/v1/me", token=await api.login("openid-m1"))
    assert status == 200 and me["org_kind"] != "unit", me
    status, me = await api.get("/api/v1/me", token=await api.login("openid-owner"))
    assert status == 200 and me["org_kind"] is None, me


async def _pending_report(api, world, ctx):
    _, member, _ = await unit_member(world)
    tok = (await auth.issue_token(ctx, member["_id"]))[0]
    sec_a = (await auth.issue_token(ctx, world.id("sec_a")))[0]
    community = str(world.orgs["A"]["_id"])
    _, post = await api.post(f"/api/v1/orgs/{community}/posts", {"name": "助老"}, token=sec_a)
    body = {"community_id": community, "post_ids": [post["id"]]}
    status, rep = await api.post("/api/v1/community-reports", body, token=tok)
    assert status == 201
    return rep, sec_a


@pytest.mark.gen_test(timeout=60)
async def test_decisions_are_audited_with_the_actor(api, world, ctx):
    rep, sec_a = await _pending_report(api, world, ctx)
    status, _ = await api.post(f"/api/v1/community-reports/{rep['id']}/confirm", {}, token=sec_a)
    assert status == 200
    entry = await ctx.db.audit_log.find_one({"action": "report.confirm"})
    assert entry is not None and entry["actor_id"] == world.id("sec_a"), entry
    assert str(entry["target"]["id"]) == rep["id"] and world.orgs["A"]["_id"] in entry["org_path"]


@pytest.mark.gen_test(timeout=60)
async def test_decision_and_its_audit_entry_are_one_transaction(api, world, ctx, monkeypatch):
    from models.ops import audit

    rep, sec_a = await _pending_report(api, world, ctx)

    async def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record", broken)
    status, _ = await api.post(
        f"/api/v1/community-reports/{rep['id']}/decline", {"reason": "测试"}, token=sec_a
    )
    assert status == 500
    # the decision was rolled back with its audit entry: still pending, nothing in the log
    report = await ctx.db.community_reports.find_one({"_id": ObjectId(rep["id"])})
    assert report["status"] == "pending" and len(report["timeline"]) == 1
    assert await ctx.db.audit_log.count_documents({"action": {"$regex": "^report"}}) == 0
