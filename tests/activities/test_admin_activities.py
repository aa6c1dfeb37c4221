"""Admin activity pages over HTTP: create with errors shown, attendance with a correction,
the QR image, the Excel export, settle, the quarterly counts; scope of another branch."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from models import activities
from models.core.clock import BEIJING
from tests.activities.helpers import NEAR_SITE
from tests.live import signed_in


def _local(moment):
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def test_create_correct_export_settle(live, staff):
    w, ctx = staff, live.ctx
    a = signed_in(live, "sec-a1")
    assert a.get("/admin/activities/new").status_code == 200
    start = ctx.now() + timedelta(days=2)
    form = {
        "org_id": str(w.orgs["A1"]["_id"]),
        "kind": "volunteer",
        "title": "敬老院包饺子",
        "address": "幸福敬老院",
        "lng": "116.40",
        "lat": "39.90",
        "radius_m": "300",
        "start_at": _local(start),
        "end_at": _local(start - timedelta(hours=1)),
        "capacity": "20",
        "points_mode": "per_hour",
        "points_value": "2",
        "award_hours": "true",
        "publish": "true",
    }
    bad = a.post("/admin/activities", form)
    assert bad.status_code == 400 and "结束时间必须晚于开始时间" in bad.text
    assert "敬老院包饺子" in bad.text  # what was typed is kept
    form["end_at"] = _local(start + timedelta(hours=3))
    resp = a.post("/admin/activities", form)
    assert resp.status_code == 302, resp.text[:500]
    act = live.run(ctx.db.activities.find_one({"title": "敬老院包饺子"}))
    assert act["status"] == "published" and act["capacity"] == 20
    assert act["location"]["coordinates"] == [116.40, 39.90]
    page = a.get(resp.headers["Location"]).text
    assert "全屏签到码" in page and "敬老院包饺子" in page
    listing = a.get("/admin/activities").text
    assert "敬老院包饺子" in listing and "报名中" in listing

    live.run(activities.sign_up(ctx, w.actor("m1"), act["_id"]))
    svg = a.get(f"/admin/activities/{act['_id']}/qr.svg?direction=in")
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    qr_page = a.get(f"/admin/activities/{act['_id']}/qr")
    assert qr_page.status_code == 200 and "qr.svg?direction=in" in qr_page.text

    # the activity under way: a scan by m1, a correction by hand for m2
    began = ctx.now() - timedelta(minutes=30)
    times = {"start_at": began, "end_at": began + timedelta(hours=3)}
    live.run(ctx.db.activities.update_one({"_id": act["_id"]}, {"$set": times}))
    live.run(ctx.db.activity_signups.update_many({"activity_id": act["_id"]}, {"$set": times}))
    token, _ = activities.issue_qr(ctx, act["_id"], "in")
    live.run(
        activities.scan(
            ctx, w.actor("m1"), act["_id"], "in", {"token": token, "location": NEAR_SITE}
        )
    )
    a.get(f"/admin/activities/{act['_id']}")
    resp = a.post(
        f"/admin/activities/{act['_id']}/attendance",
        {"member_id": str(w.id("m2")), "action": "checkin", "reason": "忘带手机"},
    )
    assert resp.status_code == 302 and "msg=" in resp.headers["Location"]
    missing = a.post(
        f"/admin/activities/{act['_id']}/attendance",
        {"member_id": str(w.id("m2")), "action": "checkout"},
    )
    assert missing.status_code == 302 and "err=" in missing.headers["Location"]
    page = a.get(f"/admin/activities/{act['_id']}").text
    assert "队员2" in page and "补签" in page and 'id="checked-in">2<' in page
    xlsx = a.get(f"/admin/activities/{act['_id']}/export")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and {r[0] for r in rows[1:]} == {"队员1", "队员2"}
    assert any(r[4] == "扫码" and r[5] is not None for r in rows[1:])

    # ended (a forgotten check-out for both), then settled from the page
    ahead = ctx.now() + timedelta(hours=4)
    ctx.clock = lambda: ahead  # four hours later
    doc = live.run(ctx.db.activities.find_one({"_id": act["_id"]}))
    live.run(activities.end_activity(ctx, doc))
    page = a.get(f"/admin/activities/{act['_id']}").text
    assert "未签退·按结束计" in page and "结算积分与时长" in page
    resp = a.post(f"/admin/activities/{act['_id']}/settle", {})
    assert resp.status_code == 302 and "msg=" in resp.headers["Location"], resp.text[:300]
    again = a.post(f"/admin/activities/{act['_id']}/settle", {})
    assert again.status_code == 302 and "err=" in again.headers["Location"]
    assert live.run(ctx.db.ledger_entries.count_documents({"source.id": act["_id"]})) == 4

    # another branch's secretary sees none of it
    b = signed_in(live, "sec-b1")
    for path in ("", "/qr", "/qr.svg", "/export"):
        assert b.get(f"/admin/activities/{act['_id']}{path}").status_code == 404
    assert "敬老院包饺子" not in b.get("/admin/activities").text
    assert a.get("/admin/activities/orglife").status_code == 200
