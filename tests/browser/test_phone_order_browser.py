"""电话点单 in headless Chromium: the phone brings the name and earlier addresses along, the
order is placed on the resident's behalf and shows its channel on the order page, the
dispatch board and the dashboard. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_admin_browser import browser, page, shot, sign_in  # noqa: F401


def test_phone_order_form(page, live, staff):  # noqa: F811
    w, ctx = staff, live.ctx
    live.run(w.order_in("submitted"))  # 林阿姨 ordered once before, from her own WeChat
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.click("nav >> text=派单台")
    page.click("#phone-order-link")
    expect(page.locator("h1")).to_have_text("电话点单")

    # her phone typed in: name and address come from her earlier order
    page.fill("#po-phone", "13912340000")
    expect(page.locator("#po-hint")).to_contain_text("已带出该电话以往工单的姓名与地址")
    expect(page.locator("#po-name")).to_have_value("林阿姨")
    expect(page.locator("#po-address")).to_have_value("阳光社区 3 号楼 2 单元 501")
    page.select_option("select[name=channel]", "visit")
    page.fill("textarea[name=description]", "洗衣机不脱水，老人行动不便")
    shot(page, "40-phone-order-form")
    page.click("#phone-order button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text(
        "已代群众下单，请在派单台派单；派单后可打印服务单"
    )
    expect(page.locator("#channel")).to_have_text("上门（一支部书记 代下单）")
    expect(page.locator("#phone")).to_have_text("139****0000")
    placed = live.run(ctx.db.orders.find_one({"channel": "visit"}))
    assert placed["resident_id"] == w.id("owner") and placed["placer_id"] == w.id("sec_a1")
    assert placed["description"] == "洗衣机不脱水，老人行动不便"
    shot(page, "41-phone-order-placed")

    # a caller with no account and no earlier order; a bad phone first: a Chinese error
    page.goto(live.base + "/admin/orders/new")
    page.fill("#po-phone", "打电话")
    page.fill("#po-name", "王奶奶")
    page.fill("#po-address", "阳光社区 5 号楼 101")
    page.fill("textarea[name=description]", "独居老人，需要每周上门探访")
    page.click("#phone-order button[type=submit]")
    expect(page.locator("#form-errors")).to_contain_text("联系电话：电话号码格式不正确")
    expect(page.locator("#po-name")).to_have_value("王奶奶")  # nothing typed is lost
    page.fill("#po-phone", "13600005555")
    page.locator("#po-phone").blur()
    expect(page.locator("#po-hint")).to_have_text("该电话在本组织范围内没有以往工单")
    page.select_option("select[name=channel]", "phone")
    page.click("#phone-order button[type=submit]")
    expect(page.locator("#channel")).to_have_text("电话（一支部书记 代下单）")
    holder = live.run(ctx.db.users.find_one({"phone": "13600005555"}))
    assert holder["placeholder"] and holder["name"] == "王奶奶" and "openid" not in holder

    # the board marks both; the dashboard counts orders by channel
    page.click("nav >> text=派单台")
    expect(page.locator("article.order .badge.channel")).to_have_count(2)
    page.goto(live.base + "/admin/")
    expect(page.locator("#by-channel tr[data-channel=visit]")).to_contain_text("33.3%")
    expect(page.locator("#by-channel tr[data-channel=self]")).to_contain_text("1")
    shot(page, "42-dashboard-by-channel")


def test_grid_worker_duty_on_the_member_page(page, live, staff):  # noqa: F811
    w, ctx = staff, live.ctx
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.goto(f"{live.base}/admin/members/{w.id('m2')}")
    page.click("#duty-form button")
    expect(page.locator(".flash.ok")).to_have_text("已设为网格员：可为本社区群众代下单")
    expect(page.locator("#duty-grid")).to_have_text("网格员")
    assert live.run(ctx.db.users.find_one({"_id": w.id("m2")}))["duties"] == ["grid_worker"]
    audit = live.run(ctx.db.audit_log.find_one({"action": "member.duty_on"}))
    assert audit["actor_id"] == w.id("sec_a1") and audit["target"]["id"] == w.id("m2")
    page.click("#duty-form button")
    expect(page.locator(".flash.ok")).to_have_text("已取消网格员职责")
    expect(page.locator("#duty-grid")).to_have_count(0)
    assert live.run(ctx.db.users.find_one({"_id": w.id("m2")}))["duties"] == []


def test_confirm_on_behalf_on_the_order_page(page, live, staff):  # noqa: F811
    from tests.trust.test_access_matrix import on_behalf_completed

    w, ctx = staff, live.ctx
    oid = live.run(on_behalf_completed(w, "13600006666"))
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.goto(f"{live.base}/admin/orders/{oid}")
    form = page.locator("#confirm-form")
    form.locator("select[name=rating]").select_option("4")
    form.locator("button[type=submit]").click()  # no call noted: refused, nothing awarded
    expect(page.locator("#confirm-errors")).to_contain_text("回访记录：代群众确认时必须填写")
    assert live.run(ctx.db.ledger_entries.count_documents({})) == 0
    form.locator("input[name=on_behalf_note]").fill("已电话回访王奶奶，修好了，满意")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已代群众确认")
    expect(page.locator("#on-behalf-note")).to_have_text("已电话回访王奶奶，修好了，满意")
    expect(page.locator("#confirm-form")).to_have_count(0)
    order = live.run(ctx.db.orders.find_one({"_id": oid}))
    assert order["status"] == "closed" and order["rating"] == 4
    assert live.run(ctx.db.ledger_entries.count_documents({"source.id": oid})) == 2
    shot(page, "43-confirmed-on-behalf")
