"""The admin pages of wishes and voices over real HTTP with a signed-in secretary: review a
wish, handle a voice through its forms, the analysis page (its figures and links), the
Excel export and the printable poster."""

from __future__ import annotations

import io
import re

from models import voices, wishes
from tests.live import signed_in


def test_wish_review_voice_handling_analysis_export_and_poster(live, staff):
    w, ctx, run = staff, live.ctx, live.run
    a1 = w.orgs["A1"]["_id"]
    wish = run(
        wishes.post_wish(
            ctx,
            w.actor("owner"),
            {
                "org_id": a1,
                "category": "学习用品",
                "title": "新书包",
                "description": "想要书包",
                "value": 100.0,
            },
        )
    )
    voice = run(
        voices.submit_voice(
            ctx,
            w.actor("owner"),
            {
                "kind": "complaint",
                "category": "环境卫生",
                "text": "垃圾清运不及时，楼道很臭",
                "org_id": a1,
            },
        )
    )
    c = signed_in(live, "sec-a1")
    page = c.get(f"/admin/wishes?org={a1}")
    assert page.status_code == 200 and "新书包" in page.text and "13912340000" not in page.text
    resp = c.post(f"/admin/wishes/{wish['_id']}/approve", {})
    assert c.banner(resp) == ("ok", "已审核通过，心愿已上墙")
    assert run(ctx.db.wishes.find_one({"_id": wish["_id"]}))["status"] == "approved"

    board = c.get(f"/admin/voices?org={a1}&kind=complaint")
    assert board.status_code == 200 and "垃圾清运不及时" in board.text
    detail = c.get(f"/admin/voices/{voice['_id']}")
    assert detail.status_code == 200 and "系统推荐" in detail.text and "林阿姨" in detail.text
    resp = c.post(f"/admin/voices/{voice['_id']}/assign", {"handler_id": str(w.id("m1"))})
    assert resp.status_code == 302, resp.text[:300]
    c.get(f"/admin/voices/{voice['_id']}")
    resp = c.post(f"/admin/voices/{voice['_id']}/reply", {"text": "已增加清运", "public": "on"})
    assert resp.status_code == 302
    doc = run(ctx.db.voices.find_one({"_id": voice["_id"]}))
    assert doc["status"] == "replied" and doc["reply_public"] is True
    # bad input on a form: a clear error, nothing written
    c.get(f"/admin/voices/{voice['_id']}")
    resp = c.post(f"/admin/voices/{voice['_id']}/close", {"reason": "长" * 300})
    assert resp.status_code == 400 and "200" in resp.text

    month = voice["month"]
    page = c.get(f"/admin/voices/analysis?org={a1}&month={month}")
    assert page.status_code == 200
    total = re.search(r'id="fig-total"[^>]*>.*?<b>(\d+)</b>', page.text, re.S)
    assert total and int(total.group(1)) == 1
    link = f"/admin/voices?org={a1}&amp;month={month}&amp;kind=complaint"
    assert link in page.text
    assert "垃圾" in page.text
    as_json = c.get(
        f"/admin/voices/analysis?org={a1}&month={month}", headers={"Accept": "application/json"}
    ).json()
    assert as_json["by_kind"]["complaint"] == 1 and as_json["replied"] == 1
    xlsx = c.get(f"/admin/voices/analysis/export?org={a1}&month={month}")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book["民情分析"]["B3"].value == 1 and book["明细"].max_row == 2
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
        poster = c.get(f"/admin/voices/poster?org={a1}&format={fmt}")
        assert poster.status_code == 200 and poster.content.startswith(magic)
    # another branch's secretary sees none of it
    other = signed_in(live, "sec-b1")
    assert other.get(f"/admin/voices/{voice['_id']}").status_code == 404
    assert other.get(f"/admin/voices/analysis?org={a1}").status_code == 404
