"""Admin pages over HTTP: sign-in, lock-out, scope between branches, xsrf, strict forms."""

from __future__ import annotations

from datetime import timedelta

from models.people import registrations
from models.points import adjustments
from tests.live import PASSWORD, AdminClient, signed_in


def test_secretary_of_b_cannot_see_or_change_anything_of_a(live, staff):
    w = staff
    order_a = live.run(w.order_in("submitted"))
    reg_a = live.run(
        registrations.register(
            live.ctx,
            w.actor("other"),
            {"org_id": w.orgs["A1"]["_id"], "name": "郑大爷", "party_status": "积极分子"},
        )
    )
    pending_a = live.run(
        adjustments.request_adjustment(
            live.ctx, w.actor("sec_a1"), w.id("m1"), kind="points", delta=500, reason="表彰"
        )
    )
    b = signed_in(live, "sec-b1")
    a1 = str(w.orgs["A1"]["_id"])
    m1 = str(w.id("m1"))

    for path in [
        f"/admin/orders/{order_a}",
        f"/admin/orders/{order_a}/recommend",
        f"/admin/members/{m1}",
        f"/admin/?org={a1}",
        f"/admin/dispatch?org={a1}",
        f"/admin/members?org={a1}",
        f"/admin/members/export?org={a1}",
        f"/admin/registrations?org={a1}",
        f"/admin/points?org={a1}",
        f"/admin/points/export?org={a1}",
        f"/admin/audit?org={a1}",
        "/admin/catalogue",
    ]:
        resp = b.get(path)
        assert resp.status_code == 404, (path, resp.status_code)
        assert "找不到" in resp.text and "队员1" not in resp.text

    b.get("/admin/dispatch")  # fresh xsrf token from a page B may see
    crafted = [
        (f"/admin/orders/{order_a}/dispatch", {"volunteer_ids": [m1], "note": "x"}),
        (f"/admin/orders/{order_a}/reject", {"reason": "越权"}),
        (f"/admin/registrations/{reg_a['_id']}/approve", {}),
        (f"/admin/registrations/{reg_a['_id']}/reject", {"reason": "越权"}),
        (f"/admin/adjustments/{pending_a['_id']}/approve", {}),
        (f"/admin/adjustments/{pending_a['_id']}/reject", {"reason": "越权"}),
    ]
    for path, body in crafted:
        resp = b.post(path, json=body)
        assert resp.status_code == 404, (path, resp.status_code, resp.text[:300])
        assert resp.json()["error"]["message"].startswith("找不到")
    resp = b.post(f"/admin/members/{m1}/adjust", {"kind": "points", "delta": "5", "reason": "x"})
    assert resp.status_code == 404

    # nothing moved
    order = live.run(live.ctx.db.orders.find_one({"_id": order_a}))
    assert order["status"] == "submitted"
    reg = live.run(live.ctx.db.member_registrations.find_one({"_id": reg_a["_id"]}))
    assert reg["status"] == "pending"
    adj = live.run(live.ctx.db.point_adjustments.find_one({"_id": pending_a["_id"]}))
    assert adj["status"] == "pending"
    assert live.run(live.ctx.db.ledger_entries.count_documents({})) == 0

    # B's own lists show only B
    page = b.get("/admin/members").text
    assert "春风队员" in page and "队员1" not in page
    assert "家电维修" not in b.get("/admin/dispatch").text


def test_post_without_xsrf_is_refused(live, staff):
    order = live.run(staff.order_in("submitted"))
    a = signed_in(live, "sec-a1")
    body = {"volunteer_ids": [str(staff.id("m1"))]}
    resp = a.post(
        f"/admin/orders/{order}/dispatch",
        json=body,
        xsrf=False,
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 403
    assert "刷新页面" in resp.json()["error"]["message"]
    resp = a.post(
        f"/admin/orders/{order}/dispatch",
        json=body,
        headers={"X-XSRFToken": "2|00000000|" + "0" * 32 + "|1"},
    )
    assert resp.status_code == 403
    form = a.post(
        f"/admin/members/{staff.id('m1')}/adjust", {"delta": "5", "reason": "x"}, xsrf=False
    )
    assert form.status_code == 403 and "请求来源不可信" in form.text
    login = AdminClient(live.base).post(
        "/admin/login", {"username": "sec-a1", "password": PASSWORD}, xsrf=False
    )
    assert login.status_code == 403
    assert live.run(live.ctx.db.orders.find_one({"_id": order}))["status"] == "submitted"
    # with the token the same request works
    resp = a.post(f"/admin/orders/{order}/dispatch", json=body)
    assert resp.status_code == 200, resp.text
    assert live.run(live.ctx.db.orders.find_one({"_id": order}))["status"] == "dispatched"


def test_api_tokens_open_no_admin_page(live, staff):
    from models.people.auth import issue_token

    anon = AdminClient(live.base)
    for who in ("owner", "m1", "sec_a1"):
        token, _ = live.run(issue_token(live.ctx, staff.id(who)))
        resp = anon.http.get(
            live.base + "/admin/members",
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
        )
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/admin/login")
        resp = anon.http.get(
            live.base + "/admin/members",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            allow_redirects=False,
        )
        assert resp.status_code == 401
        # even a cookie carrying an API token (signed with our secret) is refused
        import tornado.web

        forged = tornado.web.create_signed_value(
            str(live.config.auth.cookie_secret), "tx_admin", token
        ).decode()
        resp = anon.http.get(
            live.base + "/admin/members", cookies={"tx_admin": forged}, allow_redirects=False
        )
        assert resp.status_code == 302, who
    # and an admin session never opens the JSON API
    a = signed_in(live, "sec-a1")
    resp = a.http.get(live.base + "/api/v1/orders?scope=org")
    assert resp.status_code == 401


def test_members_and_residents_cannot_sign_in(live, staff):
    from argon2 import PasswordHasher

    live.run(
        live.ctx.db.users.update_one(
            {"_id": staff.id("m1")},
            {"$set": {"username": "member1", "password_hash": PasswordHasher().hash(PASSWORD)}},
        )
    )
    client = AdminClient(live.base)
    resp = client.sign_in("member1")
    assert resp.status_code == 403 and "没有管理后台权限" in resp.text
    assert "tx_admin" not in client.http.cookies


def test_lockout_sign_out_and_expiry(live, staff):
    client = AdminClient(live.base)
    for _ in range(5):
        resp = client.sign_in("sec-a1", "wrong-password")
        assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    resp = client.sign_in("sec-a1")  # right password, but locked now
    assert resp.status_code == 429 and "锁定" in resp.text
    unknown = client.sign_in("nobody", "x")
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text

    b = signed_in(live, "sec-b1")
    cookie = b.http.cookies.get("tx_admin")
    b.get("/admin/")
    assert b.post("/admin/logout").status_code == 302
    stale = AdminClient(live.base)
    stale.http.cookies.set("tx_admin", cookie)
    assert stale.get("/admin/").status_code == 302  # revoked server-side

    # sessions expire after admin.session_ttl_hours
    c = signed_in(live, "street-admin")
    real = live.ctx.clock
    live.ctx.clock = lambda: real() + timedelta(hours=13)
    try:
        assert c.get("/admin/").status_code == 302
    finally:
        live.ctx.clock = real
    entries = live.run(live.ctx.db.audit_log.find({}).to_list(None))
    actions = [e["action"] for e in entries]
    assert actions.count("login_failed") >= 4 and "login_locked" in actions
    assert "logout" in actions


def test_forms_validate_strictly_in_chinese(live, staff):
    a = signed_in(live, "sec-a1")
    m1 = staff.id("m1")
    a.get(f"/admin/members/{m1}")
    resp = a.post(f"/admin/members/{m1}/adjust", {"delta": "abc", "reason": ""})
    assert resp.status_code == 400
    assert "应为数字" in resp.text and "必填" in resp.text
    resp = a.post(f"/admin/members/{m1}/adjust", {"delta": "5", "reason": "x", "$where": "1"})
    assert resp.status_code == 400 and "字段名不能以 $ 开头" in resp.text
    resp = a.post(f"/admin/members/{m1}/adjust", {"delta": "5", "reason": "x", "role": "admin"})
    assert resp.status_code == 400 and "不允许的字段" in resp.text
    order = live.run(staff.order_in("submitted"))
    resp = a.post(f"/admin/orders/{order}/dispatch", json={"volunteer_ids": []})
    assert resp.status_code == 400
    assert "请至少选择一名队员" in resp.json()["error"]["fields"]["volunteer_ids"]
    resp = a.post(f"/admin/orders/{order}/dispatch", json={"to_hall": True, "due_at": "昨天"})
    assert resp.status_code == 400 and "ISO 8601" in resp.json()["error"]["fields"]["due_at"]
    assert live.run(live.ctx.db.ledger_entries.count_documents({})) == 0
