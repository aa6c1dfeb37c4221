"""内容审核 and order photos in headless Chromium: a secretary sees the photos of an order,
finds flagged text and images of the branch, approves one and hides another (audited)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from models.media import image_checks, safety
from models.media import service as media
from models.people.users import Actor
from tests.browser.test_admin_browser import browser, page, shot, sign_in  # noqa: F401
from tests.media.samples import photo


def _upload(live: Any, user: dict[str, Any], size: tuple[int, int]) -> Any:
    return live.run(media.upload(live.ctx, Actor.from_user(user), photo(size=size)))


def test_order_photos_and_moderation(page, live, staff):  # noqa: F811
    w, ctx = staff, live.ctx
    ctx.wechat = None  # uploads from the model directly: no WeChat check in this test
    oid = live.run(w.order_in("submitted"))
    pics = [
        _upload(live, w.users["owner"], (400, 300)),
        _upload(live, w.users["owner"], (300, 400)),
    ]
    live.run(
        media.attach(
            ctx, w.actor("owner"), [p["_id"] for p in pics], owner_type="order", owner_id=oid
        )
    )
    live.run(ctx.db.orders.update_one({"_id": oid}, {"$set": {"photos": [p["_id"] for p in pics]}}))
    # a flagged text and a risky image in A1, a flagged text in B1 (out of sec_a1's scope)
    path = w.orgs["A1"]["path"]
    held = safety.Verdict(
        fields={"description": "review"}, texts={"description": "REVIEW 可疑文字"}
    )
    live.run(safety.record(ctx, held, owner_type="order", owner_id=oid, org_path=path))
    other = safety.Verdict(fields={"description": "review"}, texts={"description": "春风的内容"})
    live.run(
        safety.record(ctx, other, owner_type="order", owner_id=oid, org_path=w.orgs["B1"]["path"])
    )
    live.run(
        ctx.db.media.update_one(
            {"_id": pics[1]["_id"]}, {"$set": {"status": "checking", "trace_id": "T1"}}
        )
    )
    live.run(
        image_checks.on_image_verdict(
            ctx, {"Event": "wxa_media_check", "trace_id": "T1", "result": {"suggest": "risky"}}
        )
    )

    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.goto(f"{live.base}/admin/orders/{oid}")
    imgs = page.locator("#photos img")
    expect(imgs).to_have_count(1)  # the risky one is hidden even here
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photos img')].every(i => i.naturalWidth > 0)"
    )
    shot(page, "20-order-photos")

    page.click("nav >> text=内容审核")
    expect(page.locator("h1")).to_have_text("内容审核")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)  # the B1 flag is not in scope
    expect(page.locator("tbody")).to_contain_text("REVIEW 可疑文字")
    expect(page.locator("tbody")).not_to_contain_text("春风的内容")
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.flag-thumb')].every(i => i.naturalWidth > 0)"
    )
    shot(page, "21-moderation")
    text_row = rows.filter(has_text="REVIEW 可疑文字")
    text_row.locator("button", has_text="通过").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.locator("tbody tr").locator("button", has_text="隐藏").click()
    expect(page.locator(".empty")).to_have_text("没有需要处理的内容")
    assert live.run(ctx.db.media.find_one({"_id": pics[1]["_id"]}))["status"] == "hidden"
    order = live.run(ctx.db.orders.find_one({"_id": oid}))
    assert "description" not in (order.get("moderation") or {})
    logged = live.run(ctx.db.audit_log.find({"action": {"$regex": "^moderation"}}).to_list(None))
    assert sorted(e["action"] for e in logged) == ["moderation.approve", "moderation.hide"]
