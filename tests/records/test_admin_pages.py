"""The member-service admin pages over real HTTP with a signed-in session: each page shows
its objects in scope, the actions work through the forms, out of scope answers 404."""

from __future__ import annotations

import pytest

from models import honours, orders
from tests.live import signed_in
from tests.trust import service_targets


@pytest.mark.slow  # a live server with signed-in sessions
def test_member_service_pages_and_actions(live, staff):
    w, run = staff, live.run
    transfer_in, _, _ = run(service_targets.make(w, "transfer pending_in"))
    report, _, _ = run(service_targets.make(w, "report pending"))
    cert, _, _ = run(service_targets.make(w, "certificate requested"))
    oid = run(w.order_in("completed"))
    run(orders.confirm_order(live.ctx, w.actor("owner"), oid, {"rating": 5}))

    sec = signed_in(live, "sec-a1")
    page = sec.get("/admin/transfers")
    assert page.status_code == 200 and f"transfer-{transfer_in}" in page.text
    resp = sec.post(f"/admin/transfers/{transfer_in}/accept", {})
    assert sec.banner(resp)[0] == "ok", resp.text[:300]
    assert "已完成" in sec.get("/admin/transfers").text

    page = sec.get(f"/admin/members/{w.id('m1')}/record")
    assert page.status_code == 200 and "志愿服务记录" in page.text and "家电维修" in page.text
    pdf = sec.get(f"/admin/members/{w.id('m1')}/dossier?stage=积极分子&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = sec.get(f"/admin/members/{w.id('m1')}/dossier?stage=积极分子&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    page = sec.get("/admin/certificates")
    assert f"cert-{cert}" in page.text
    resp = sec.post(f"/admin/certificates/{cert}/issue", {})
    assert sec.banner(resp) == ("ok", "已处理")
    assert sec.get(f"/admin/certificates/{cert}/pdf").content.startswith(b"%PDF")

    # the community's page is the street admin's (sec_a1 does not manage community A)
    admin = signed_in(live, "street-admin")
    page = admin.get(f"/admin/community-reports?org={w.orgs['A']['_id']}")
    assert page.status_code == 200 and f"report-{report}" in page.text
    assert sec.post(f"/admin/community-reports/{report}/confirm", {}).status_code == 404
    resp = admin.post(f"/admin/community-reports/{report}/confirm", {})
    assert admin.banner(resp) == ("ok", "已处理")
    page = admin.get(f"/admin/community-reports?org={w.orgs['A']['_id']}")
    assert '<b id="pool-members">1</b>' in page.text
    export = admin.get(f"/admin/community-reports/export?org={w.orgs['A']['_id']}")
    assert export.status_code == 200 and export.content[:2] == b"PK"

    run(honours.propose_month(live.ctx))
    roll = run(live.ctx.db.honours.find_one({"org_id": w.orgs["A1"]["_id"], "kind": "service"}))
    assert "荣誉" in sec.get("/admin/honours").text
    resp = sec.post(f"/admin/honours/{roll['_id']}/confirm", {"member_ids": str(w.id("m2"))})
    assert sec.banner(resp)[0] == "ok", resp.headers
    assert "已公布" in sec.get("/admin/honours").text

    other = signed_in(live, "sec-b1")
    assert other.get(f"/admin/members/{w.id('m1')}/record").status_code == 404
    assert other.get(f"/admin/transfers?org={w.orgs['A1']['_id']}").status_code == 404
