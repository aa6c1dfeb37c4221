"""组织设置 over real HTTP with signed-in sessions: a branch's kind (who may 双报到), the
node's dossier thresholds (the dossier follows them), a community's service posts; each
change audited; out of scope 404; bad numbers refused with nothing changed."""

from __future__ import annotations

import pytest

from models import records
from tests.live import signed_in


@pytest.mark.slow  # a live server with signed-in sessions
def test_branch_kind_thresholds_and_posts(live, staff):
    w, run, ctx = staff, live.run, live.ctx
    a1, community = w.orgs["A1"]["_id"], w.orgs["A"]["_id"]
    sec = signed_in(live, "sec-a1")
    page = sec.get(f"/admin/orgs/{a1}/settings")
    assert page.status_code == 200 and 'id="branch-kind"' in page.text
    assert sec.get(f"/admin/orgs/{community}/settings").status_code == 404  # above A1
    assert sec.get(f"/admin/orgs/{w.orgs['B1']['_id']}/settings").status_code == 404

    resp = sec.post(f"/admin/orgs/{a1}/settings", {"branch_kind": "unit", "t1_hours": "abc"})
    assert sec.banner(resp)[0] == "err"
    assert run(ctx.db.orgs.find_one({"_id": a1})).get("branch_kind") != "unit"

    form = {"branch_kind": "unit", "t1_hours": "8", "t1_activities": "1", "t1_rating": "3.5"}
    resp = sec.post(f"/admin/orgs/{a1}/settings", form)
    assert sec.banner(resp) == ("ok", "设置已保存"), resp.text[:300]
    org = run(ctx.db.orgs.find_one({"_id": a1}))
    assert org["branch_kind"] == "unit"
    assert org["dossier_thresholds"] == {
        "积极分子": {"hours": 8.0, "activities": 1.0, "rating": 3.5}
    }
    member = run(ctx.db.users.find_one({"_id": w.id("m1")}))
    ctx.forget("orgs")
    wanted = run(records.thresholds_for(ctx, member, "积极分子"))
    assert wanted["hours"] == 8.0 and wanted["orders"] == 4  # orders: the config's default
    audit = run(ctx.db.audit_log.find_one({"action": "org.settings"}))
    assert audit is not None and audit["target"]["id"] == a1
    page = sec.get(f"/admin/orgs/{a1}/settings")
    assert 'value="8"' in page.text and 'value="unit" selected' in page.text

    admin = signed_in(live, "street-admin")
    resp = admin.post(
        f"/admin/orgs/{community}/posts",
        {"name": "楼栋长", "description": "每栋一人", "active": "1"},
    )
    assert admin.banner(resp) == ("ok", "服务岗位已保存"), resp.text[:300]
    page = admin.get(f"/admin/orgs/{community}/settings")
    assert page.status_code == 200 and "楼栋长" in page.text and "每栋一人" in page.text
    assert 'id="branch-kind"' not in page.text  # a community has no branch kind
    resp = admin.post(f"/admin/orgs/{community}/posts", {"name": "楼栋长"})  # unchecked: stop it
    assert resp.status_code == 302
    post = run(ctx.db.service_posts.find_one({"org_id": community, "name": "楼栋长"}))
    assert post["active"] is False
    assert sec.post(f"/admin/orgs/{community}/posts", {"name": "冒名"}).status_code == 404
