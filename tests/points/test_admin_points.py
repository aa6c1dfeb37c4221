"""Admin points over HTTP: the member page's figures and reversing an entry."""

from __future__ import annotations

from tests.live import signed_in


def test_member_page_shows_orders_ratings_points_and_hours(live, staff):
    from models import orders

    w = staff
    done = live.run(w.order_in("completed"))
    live.run(orders.confirm_order(live.ctx, w.actor("owner"), done, {"rating": 4}))
    live.run(w.order_in("accepted", member="m3"))
    a = signed_in(live, "sec-a1")
    page = a.get(f"/admin/members/{w.id('m1')}").text
    assert "已完成" in page and "家电维修" in page
    assert 'id="balance-points">10<' in page and 'id="balance-hours">2<' in page
    assert "4.0" in page and "1 条评价" in page
    assert "完成服务工单「家电维修」" in page
    listing = a.get("/admin/members?skill=电工").text
    assert "队员3" in listing and "队员1" not in listing
    assert "139****0000" not in listing


def test_reversing_an_entry_from_the_member_page(live, staff):
    from models import orders

    w = staff
    done = live.run(w.order_in("completed"))
    live.run(orders.confirm_order(live.ctx, w.actor("owner"), done, {"rating": 5}))
    entry = live.run(live.ctx.db.ledger_entries.find_one({"kind": "points"}))
    a = signed_in(live, "sec-a1")
    a.get(f"/admin/members/{w.id('m1')}")
    resp = a.post(
        f"/admin/members/{w.id('m1')}/reverse", {"entry_id": str(entry["_id"]), "reason": "误发"}
    )
    assert resp.status_code == 302 and "/admin/members/" in resp.headers["Location"]
    page = a.get(resp.headers["Location"]).text
    assert "冲正：误发" in page and 'id="balance-points">0<' in page
    again = a.post(
        f"/admin/members/{w.id('m1')}/reverse", {"entry_id": str(entry["_id"]), "reason": "再冲"}
    )
    assert again.status_code == 409 and "已冲正过" in again.text
    assert live.run(live.ctx.db.ledger_entries.count_documents({})) == 3
