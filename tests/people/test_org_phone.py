"""服务电话: the admin form sets an org node's `phone` (what care mode dials as
「打电话给社区」), refuses a malformed number with a Chinese message, and audits the change."""

from __future__ import annotations

import requests

from tests.live import signed_in


def test_admin_sets_a_community_phone_audited(live, staff):
    w, db = staff, live.ctx.db
    community = w.orgs["A"]["_id"]
    admin = signed_in(live, "street-admin")
    page = admin.get(f"/admin/orgs?org={community}")
    assert page.status_code == 200 and "服务电话" in page.text and w.orgs["A"]["name"] in page.text

    # a malformed number: the form again, with the Chinese message and what was typed
    bad = admin.post(f"/admin/orgs/{community}/phone", {"phone": "12abc"})
    assert bad.status_code == 422 and "请输入正确的服务电话" in bad.text and "12abc" in bad.text
    assert "phone" not in live.run(db.orgs.find_one({"_id": community}))
    assert live.run(db.audit_log.count_documents({"action": "org.phone"})) == 0

    ok = admin.post(f"/admin/orgs/{community}/phone", {"phone": "010-6612 3456"})
    assert admin.banner(ok) == ("ok", "服务电话已保存")
    assert live.run(db.orgs.find_one({"_id": community}))["phone"] == "010-66123456"
    entry = live.run(db.audit_log.find_one({"action": "org.phone"}))
    assert entry["actor_id"] == w.id("admin") and entry["after"] == {"phone": "010-66123456"}
    assert entry["before"] == {"phone": None} and community in entry["org_path"]
    # the mini-program reads it from the public org tree (the per-process cache was dropped)
    parent = w.orgs["A"]["parent_id"]
    tree = requests.get(f"{live.base}/api/v1/orgs?parent={parent}", timeout=10)
    assert tree.status_code == 200, tree.text
    (shown,) = [o for o in tree.json()["items"] if o["id"] == str(community)]
    assert shown["phone"] == "010-66123456"

    # emptying the field clears it (no 打电话 button any more)
    cleared = admin.post(f"/admin/orgs/{community}/phone", {"phone": ""})
    assert cleared.status_code == 302
    assert live.run(db.orgs.find_one({"_id": community}))["phone"] is None


def test_branch_secretary_cannot_set_the_community_phone(live, staff):
    community = staff.orgs["A"]["_id"]
    sec = signed_in(live, "sec-a1")
    assert sec.get(f"/admin/orgs?org={community}").status_code == 404
    sec.get("/admin/orgs")  # a page of their own: fresh xsrf token
    resp = sec.post(f"/admin/orgs/{community}/phone", {"phone": "13800000000"})
    assert resp.status_code == 404
    assert "phone" not in live.run(live.ctx.db.orgs.find_one({"_id": community}))
    # their own branch they may set
    own = staff.orgs["A1"]["_id"]
    assert sec.post(f"/admin/orgs/{own}/phone", {"phone": "13800000000"}).status_code == 302
    assert live.run(live.ctx.db.orgs.find_one({"_id": own}))["phone"] == "13800000000"
