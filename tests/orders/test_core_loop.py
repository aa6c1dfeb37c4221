"""The whole loop over real HTTP: WeChat login → order → dispatch → accept → points."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import cli


@pytest.mark.gen_test(timeout=60)
async def test_login_to_points(api, world, config, mongo_uri, fake_wechat):
    # a brand-new resident logs in with WeChat and binds a phone
    status, login = await api.post("/api/v1/auth/wechat-login", {"code": "ok:new-resident"})
    assert status == 200, login
    assert login["user"]["role"] == "resident"
    resident = login["token"]
    status, me = await api.post("/api/v1/me/phone", {"code": "phone:13700001111"}, token=resident)
    assert status == 200 and me["phone"] == "13700001111" and me["has_phone"]

    status, cats = await api.get("/api/v1/service-categories")
    assert status == 200 and {c["name"] for c in cats["items"]} >= {"家电维修", "法律咨询"}
    status, tree = await api.get("/api/v1/orgs")
    assert status == 200 and tree["items"][0]["name"] == "同心市"

    # 群众点单, retried with the same Idempotency-Key: one order
    body = world.order_body(contact_phone=None)
    body.pop("contact_phone")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    status, order = await api.post("/api/v1/orders", body, token=resident, headers=key)
    assert status == 201, order
    assert order["status"] == "submitted" and order["contact_phone"] == "13700001111"
    status, again = await api.post("/api/v1/orders", body, token=resident, headers=key)
    assert status == 200 and again["id"] == order["id"]
    status, clash = await api.post(
        "/api/v1/orders", {**body, "description": "别的事"}, token=resident, headers=key
    )
    assert status == 422 and clash["error"]["code"] == "idempotency_key_reused"
    oid = order["id"]

    # 组织下单: the branch secretary sees it, gets recommendations with reasons, dispatches
    sec = await api.login("openid-sec_a1")
    status, listing = await api.get("/api/v1/orders?status=submitted", token=sec)
    assert status == 200 and [o["id"] for o in listing["items"]] == [oid]
    assert listing["items"][0]["contact_phone"] == "137****1111"
    status, recs = await api.get(f"/api/v1/orders/{oid}/recommendations", token=sec)
    assert status == 200
    names = [r["member"]["name"] for r in recs["items"]]
    assert set(names) == {"队员1", "队员2", "队员3"}  # A1 only: A2/B1 are outside the branch
    assert names[-1] == "队员2"  # no matching skill ranks last
    assert any(reason.startswith("技能匹配") for reason in recs["items"][0]["reasons"])
    m1_id = str(world.id("m1"))
    status, dispatched = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [m1_id], "note": "请尽快"}, token=sec
    )
    assert status == 200 and dispatched["status"] == "dispatched"

    # 队员接单 from the task hall; the phone is revealed to the volunteer only now
    m1 = await api.login("openid-m1")
    status, hall = await api.get("/api/v1/task-hall", token=m1)
    assert status == 200 and [o["id"] for o in hall["items"]] == [oid]
    assert hall["items"][0]["contact_phone"] == "137****1111"
    assert "accept" in hall["items"][0]["actions"]
    status, accepted = await api.post(f"/api/v1/orders/{oid}/accept", token=m1)
    assert status == 200 and accepted["status"] == "accepted"
    assert accepted["contact_phone"] == "13700001111"
    status, seen = await api.get(f"/api/v1/orders/{oid}", token=sec)
    assert seen["contact_phone"] == "137****1111"

    status, _ = await api.post(f"/api/v1/orders/{oid}/start", token=m1)
    assert status == 200
    status, done = await api.post(
        f"/api/v1/orders/{oid}/complete", {"note": "更换了电容，已恢复制冷"}, token=m1
    )
    assert status == 200 and done["status"] == "completed" and done["actions"] == []

    # the resident confirms and rates: points and hours go to the volunteer, once
    status, closed = await api.post(
        f"/api/v1/orders/{oid}/confirm", {"rating": 5, "comment": "师傅很专业"}, token=resident
    )
    assert status == 200 and closed["status"] == "closed" and closed["rating"] == 5
    assert [e["action"] for e in closed["timeline"]] == [
        "submit",
        "dispatch",
        "accept",
        "start",
        "complete",
        "confirm",
    ]
    status, pts = await api.get("/api/v1/me/points", token=m1)
    assert status == 200
    assert (pts["points_balance"], pts["hours_balance"], pts["rank"]) == (10, 2.0, 1)
    assert pts["rank_total"] == 3
    status, entries = await api.get("/api/v1/me/ledger", token=m1)
    assert sorted((e["kind"], e["delta"]) for e in entries["items"]) == [
        ("hours", 2.0),
        ("points", 10),
    ]
    status, board = await api.get(
        f"/api/v1/leaderboard?org_id={world.orgs['street']['_id']}&period=month", token=m1
    )
    assert status == 200 and board["items"][0]["name"] == "队员1"
    assert board["items"][0]["points"] == 10

    result = cli(config, mongo_uri, "check-ledger")
    assert result.returncode == 0, result.stdout + result.stderr

    # logout revokes the token at once
    status, _ = await api.post("/api/v1/auth/logout", token=resident)
    assert status == 200
    status, _ = await api.get("/api/v1/me", token=resident)
    assert status == 401


@pytest.mark.gen_test(timeout=30)
async def test_member_registration_and_approval(api, world):
    user = await api.login("someone-new")
    a1 = str(world.orgs["A1"]["_id"])
    body = {"org_id": a1, "name": "新队员", "party_status": "积极分子", "skills": ["助老"]}
    status, reg = await api.post("/api/v1/member-registrations", body, token=user)
    assert status == 201 and reg["status"] == "pending"
    status, dup = await api.post("/api/v1/member-registrations", body, token=user)
    assert status == 409 and dup["error"]["code"] == "registration_pending"

    other_sec = await api.login("openid-sec_b1")
    status, listing = await api.get("/api/v1/member-registrations", token=other_sec)
    assert status == 200 and listing["items"] == []
    status, _ = await api.post(f"/api/v1/member-registrations/{reg['id']}/approve", token=other_sec)
    assert status == 404

    status, own = await api.get("/api/v1/member-registrations", token=user)
    assert [r["id"] for r in own["items"]] == [reg["id"]]
    status, _ = await api.post(f"/api/v1/member-registrations/{reg['id']}/approve", token=user)
    assert status == 403

    sec = await api.login("openid-sec_a1")
    status, listing = await api.get("/api/v1/member-registrations?status=pending", token=sec)
    assert [r["id"] for r in listing["items"]] == [reg["id"]]
    status, approved = await api.post(
        f"/api/v1/member-registrations/{reg['id']}/approve", token=sec
    )
    assert status == 200 and approved["status"] == "approved"
    status, me = await api.get("/api/v1/me", token=user)
    assert me["role"] == "member" and me["org_id"] == a1 and me["party_status"] == "积极分子"
    status, again = await api.post(
        f"/api/v1/member-registrations/{reg['id']}/reject", {"reason": "重复"}, token=sec
    )
    assert status == 409 and again["error"]["code"] == "registration_decided"

    # a rejection needs a reason and is visible to the applicant
    second = await api.login("another-new")
    status, reg2 = await api.post(
        "/api/v1/member-registrations", {**body, "name": "另一人"}, token=second
    )
    status, bad = await api.post(f"/api/v1/member-registrations/{reg2['id']}/reject", token=sec)
    assert status == 400 and "reason" in bad["error"]["fields"]
    status, rejected = await api.post(
        f"/api/v1/member-registrations/{reg2['id']}/reject", {"reason": "不在本辖区居住"}, token=sec
    )
    assert status == 200 and rejected["status"] == "rejected"
    status, mine = await api.get("/api/v1/member-registrations", token=second)
    assert mine["items"][0]["reason"] == "不在本辖区居住"


@pytest.mark.gen_test(timeout=30)
async def test_wechat_login_errors(api, fake_wechat):
    status, body = await api.post("/api/v1/auth/wechat-login", {"code": "bad"})
    assert status == 401 and body["error"]["code"] == "wechat_code_invalid"
    status, body = await api.post("/api/v1/auth/wechat-login", {"code": "busy"})
    assert status == 429 and "频繁" in body["error"]["message"]
    status, body = await api.post("/api/v1/auth/wechat-login", {})
    assert status == 400 and body["error"]["fields"] == {"code": "必填"}
    status, body = await api.get("/api/v1/me", token="not-a-token")
    assert status == 401
    status, body = await api.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert status == 401


@pytest.mark.gen_test(timeout=30)
async def test_health_and_openapi(api):
    assert (await api.get("/healthz"))[0] == 200
    assert (await api.get("/readyz"))[0] == 200
    status, doc = await api.get("/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/api/v1/orders", "/api/v1/orders/{id}/accept", "/api/v1/leaderboard"):
        assert path in paths
    place = paths["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]
    schema = doc["components"]["schemas"][place["schema"]["$ref"].rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False
    status, body = await api.get("/api/v1/nowhere")
    assert status == 404 and body["error"]["message"] == "找不到该接口"


def test_create_user_command(config, mongo_uri, io_loop, service, world):
    org = str(world.orgs["A1"]["_id"])
    made = cli(
        config,
        mongo_uri,
        "create-user",
        "--role",
        "secretary",
        "--org",
        org,
        "--username",
        "sec-new",
        "--password",
        "s3cret-pass",
        "--name",
        "新书记",
    )
    assert made.returncode == 0, made.stderr
    again = cli(
        config,
        mongo_uri,
        "create-user",
        "--role",
        "secretary",
        "--org",
        org,
        "--username",
        "sec-new",
        "--password",
        "x",
    )
    assert again.returncode == 2 and "已被使用" in again.stderr
    by_name = cli(
        config,
        mongo_uri,
        "create-user",
        "--role",
        "member",
        "--org",
        "阳光社区第二党支部",
        "--openid",
        "wx-openid-9",
    )
    assert by_name.returncode == 0, by_name.stderr
    nowhere = cli(
        config,
        mongo_uri,
        "create-user",
        "--role",
        "member",
        "--org",
        "不存在的支部",
        "--openid",
        "wx-openid-10",
    )
    assert nowhere.returncode == 2

    async def check():
        user = await service.ctx.db.users.find_one({"username": "sec-new"})
        assert user["role"] == "secretary" and user["org_id"] == world.orgs["A1"]["_id"]
        assert user["password_hash"].startswith("$argon2")
        member = await service.ctx.db.users.find_one({"openid": "wx-openid-9"})
        assert member["org_id"] == world.orgs["A2"]["_id"]

    io_loop.run_sync(check)
