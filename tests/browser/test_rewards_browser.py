"""积分商城 admin pages in headless Chromium: items and restock, 核销 by typed code (once),
the farming review queue. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from models.core import uow
from models.orders.closing import award_entries
from models.people.users import Actor
from models.rewards import farming, redemptions
from tests.browser.test_admin_browser import browser, page, shot, sign_in  # noqa: F401
from tests.rewards.helpers import give_points


def held_award_of_m1(live: Any, w: Any) -> Any:
    order_id = live.run(w.order_in("completed"))
    order = live.run(live.ctx.db.orders.find_one({"_id": order_id}))

    async def work(session: Any) -> Any:
        reasons = [{"rule": "self_confirm", "text": farming.RULE_TEXT["self_confirm"]}]
        entries = award_entries(order, w.actor("owner"))
        path = list(w.users["m1"]["org_path"])
        return await farming.hold(ctx, session, order, entries, org_path=path, reasons=reasons)

    ctx = live.ctx
    return live.run(uow.in_transaction(ctx, work))


def test_items_pickup_and_review_queue(page, live, staff):  # noqa: F811
    w, ctx = staff, live.ctx
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.click("nav >> text=积分商城")
    expect(page.locator("h1")).to_have_text("积分商城")
    form = page.locator("#new-reward")
    form.locator("input[name=name]").fill("环保购物袋")
    form.locator("input[name=merchant]").fill("阳光超市")
    form.locator("input[name=price]").fill("10")
    form.locator("input[name=stock]").fill("0")
    form.locator("input[name=pickup_place]").fill("党群服务中心")
    form.locator("button[type=submit]").click()
    row = page.locator("#rewards-table tbody tr", has_text="环保购物袋")
    expect(row).to_contain_text("已兑完")
    row.locator("text=编辑 / 补货").click()
    page.locator("#restock input[name=add_stock]").fill("3")
    page.locator("#restock button[type=submit]").click()
    expect(page.locator(".sub")).to_contain_text("库存 3")
    shot(page, "20-reward-item")

    item = live.run(ctx.db.reward_items.find_one({"name": "环保购物袋"}))
    live.run(give_points(ctx, w.users["m1"], 30))
    m1 = Actor.from_user(live.run(ctx.db.users.find_one({"_id": w.id("m1")})))
    doc, _ = live.run(redemptions.redeem(ctx, m1, item["_id"], "browser-redeem-1"))
    page.goto(live.base + "/admin/redemptions")
    expect(page.locator("#redemptions-table")).to_contain_text("待领取")
    page.fill("#pickup-form input[name=code]", doc["code"].lower())
    page.click("#pickup-form button[type=submit]")
    expect(page.locator(".flash").first).to_contain_text("核销成功")
    expect(page.locator("#redemptions-table")).to_contain_text("已领取")
    page.fill("#pickup-form input[name=code]", doc["code"])
    page.click("#pickup-form button[type=submit]")
    expect(page.locator(".flash.err")).to_contain_text("已领取")
    shot(page, "21-redemptions")

    held = held_award_of_m1(live, w)
    page.goto(live.base + "/admin/holds")
    row = page.locator(f"#hold-{held['_id']}")
    expect(row).to_contain_text("队员确认了自己下的工单")
    shot(page, "22-holds")
    before = live.run(ctx.db.users.find_one({"_id": w.id("m1")}))["points_balance"]
    row.locator("input[name=note]").fill("核实为真实服务")
    row.locator("button", has_text="放行").click()
    expect(page.locator(".flash").first).to_contain_text("已放行")
    after = live.run(ctx.db.users.find_one({"_id": w.id("m1")}))["points_balance"]
    assert after == before + held["points"]
    expect(page.locator("body")).to_contain_text("核实为真实服务")
