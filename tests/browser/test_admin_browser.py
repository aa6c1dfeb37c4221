"""The admin pages in headless Debian Chromium (Playwright), against the real app over
real HTTP: what a secretary sees and does. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect, sync_playwright

from models.people import registrations
from server.config import ROOT
from tests.live import PASSWORD

expect.set_options(timeout=15_000)
CHROMIUM = os.environ.get("TONGXIN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "admin"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium "
        "(make test does this)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="tx-chromium-") as profile:
        # a fresh, throw-away profile per run; nothing is fetched from the network
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1440, "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        try:
            yield ctx  # type: ignore[misc]
        finally:
            ctx.close()


@pytest.fixture
def page(browser: Any, live: Any) -> Iterator[Page]:
    browser.clear_cookies()
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    pg.close()
    assert not errors, errors  # no JavaScript error on any page


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/admin/")
    expect(page).to_have_url(base + "/admin/login?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def sign_out(page: Page) -> None:
    page.click("text=退出登录")
    expect(page.locator(".flash.ok")).to_have_text("已退出登录")


def roster_file(rows: list[list[Any]]) -> str:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "所属支部", "政治面貌", "技能"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="roster-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(buf.getvalue())
    return path


def test_sign_in_dashboard_dispatch_and_order_detail(page, live, staff):
    w = staff
    first = live.run(w.order_in("submitted"))
    second = live.run(w.order_in("submitted"))
    live.run(w.order_in("accepted"))

    sign_in(page, live.base, "sec-a1", "wrong")
    expect(page.locator(".flash.err")).to_have_text("用户名或密码错误")
    shot(page, "01-login")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("数据看板")
    expect(page.locator("#kpi-open")).to_have_text("3")
    expect(page.locator("canvas").first).to_be_visible()  # ECharts drew
    shot(page, "02-dashboard")

    page.click("nav >> text=派单台")
    cards = page.locator("article.order")
    expect(cards).to_have_count(2)
    assert cards.first.get_attribute("data-order") == str(first)  # oldest first
    expect(cards.first).to_contain_text("138****5678")  # resident's phone masked
    card = page.locator(f"#order-{first}")
    card.locator(".js-open").click()
    recs = card.locator(".rec")
    expect(recs.first).to_contain_text("技能匹配")
    expect(card.locator(".js-recs")).to_contain_text("队员1")
    expect(card.locator(".js-recs")).not_to_contain_text("春风队员")  # other branch
    shot(page, "03-dispatch-board")
    card.locator("input[name=volunteer_ids]").evaluate_all(
        "els => els.forEach(e => { e.checked = false; })"
    )
    card.locator(".rec", has_text="队员1").locator("input").check()
    card.locator("input[name=note]").fill("请尽快联系")
    card.locator(".js-dispatch button[type=submit]").click()
    expect(card).to_contain_text("已派单：指派给 队员1")
    order = live.run(live.ctx.db.orders.find_one({"_id": first}))
    assert order["status"] == "dispatched" and order["candidates"] == [w.id("m1")]

    other = page.locator(f"#order-{second}")
    other.locator(".js-reject-open").click()
    other.locator(".js-reject button[type=submit]").click()  # empty reason: browser blocks
    other.locator("input[name=reason]").fill("不属于本社区服务范围")
    other.locator(".js-reject button[type=submit]").click()
    expect(other).to_contain_text("已驳回该工单")
    assert live.run(live.ctx.db.orders.find_one({"_id": second}))["status"] == "rejected"

    page.goto(f"{live.base}/admin/orders/{first}")
    expect(page.locator(".timeline li")).to_have_count(2)
    expect(page.locator(".timeline")).to_contain_text("组织派单")
    expect(page.locator(".timeline")).to_contain_text("请尽快联系")
    expect(page.locator("#phone")).to_have_text("138****5678")
    shot(page, "04-order-detail")


def test_registration_approval_and_roster_import(page, live, staff):
    w = staff
    live.run(
        registrations.register(
            live.ctx,
            w.actor("other"),
            {
                "org_id": w.orgs["A1"]["_id"],
                "name": "郑建华",
                "party_status": "积极分子",
                "skills": ["助老"],
                "phone": "13700001111",
            },
        )
    )
    sign_in(page, live.base, "sec-a1")
    page.click("nav >> text=队员审核")
    row = page.locator("tr[data-reg]", has_text="郑建华")
    expect(row).to_contain_text("137****1111")
    shot(page, "05-registrations")
    row.locator(".js-approve").click()
    expect(row.locator(".js-result")).to_have_text("已通过 郑建华 的申请")
    user = live.run(live.ctx.db.users.find_one({"_id": w.id("other")}))
    assert user["role"] == "member" and user["org_id"] == w.orgs["A1"]["_id"]

    page.click("nav >> text=队员管理")
    page.click("text=导入名册")
    bad = roster_file(
        [
            ["王小明", "13900002222", "", "正式党员", "电工"],
            ["", "12345", "", "党员", ""],
            ["李四", "13900002222", "春风社区第一党支部", "预备党员", ""],
        ]
    )
    page.set_input_files("input[type=file]", bad)
    page.click("text=校验并导入")
    expect(page.locator("#import-failed")).to_contain_text("未导入任何数据")
    table = page.locator("#import-errors")
    expect(table).to_contain_text("姓名")
    expect(table.locator("tr", has_text="手机号").first).to_contain_text("应为 11 位手机号")
    expect(table).to_contain_text("取值必须是以下之一")
    expect(table).to_contain_text("不是您管理范围内的支部")
    rows = [r.inner_text().split("\t") for r in table.locator("tbody tr").all()]
    assert {r[0] for r in rows} == {"3", "4"}, rows
    shot(page, "06-import-errors")
    count = live.run(live.ctx.db.users.count_documents({"source": "roster"}))
    assert count == 0

    good = roster_file(
        [
            ["王小明", "13900002222", "", "正式党员", "电工、家电维修"],
            ["赵小红", 13900003333, "阳光社区第一党支部", "预备党员", "助老"],
        ]
    )
    page.set_input_files("input[type=file]", good)
    page.click("text=校验并导入")
    expect(page.locator("#import-ok")).to_contain_text("共导入 2 名队员")
    page.click("#import-ok >> text=查看队员列表")
    expect(page.locator("#member-table")).to_contain_text("王小明")
    page.fill("input[name=q]", "赵小红")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#member-table tbody tr")).to_have_count(1)
    page.select_option("select[name=party_status]", "正式党员")
    page.fill("input[name=q]", "")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#member-table")).to_contain_text("王小明")
    expect(page.locator("#member-table")).not_to_contain_text("赵小红")
    shot(page, "07-members")
    with page.expect_download() as dl:
        page.click("#export-link")
    path = dl.value.path()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(Path(path).read_bytes())).active
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "王小明" in names and "赵小红" not in names
    imported = live.run(live.ctx.db.users.find_one({"name": "王小明"}))
    assert imported["skills"] == ["电工", "家电维修"] and imported["role"] == "member"


def test_member_list_pages_by_cursor(page, live, staff):
    from models.people.users import create_user

    a1 = staff.orgs["A1"]["_id"]
    for i in range(51):
        name = f"翻页{i:02d}"
        live.run(create_user(live.ctx, role="member", name=name, org_id=a1, openid=name))
    sign_in(page, live.base, "sec-a1")
    page.goto(f"{live.base}/admin/members")
    expect(page.locator("#member-total")).to_contain_text("共 54 名队员")
    expect(page.locator("#member-table tbody tr")).to_have_count(50)
    expect(page.locator("#member-table tbody tr").first).to_contain_text("翻页50")
    page.click("nav.pager >> text=下一页")
    expect(page.locator("#member-table tbody tr")).to_have_count(4)
    expect(page.locator("#member-table")).to_contain_text("队员1")
    expect(page.locator("#member-total")).to_contain_text("共 54 名队员")
    page.click("nav.pager >> text=上一页")
    expect(page.locator("#member-table tbody tr")).to_have_count(50)
    expect(page.locator("nav.pager")).not_to_contain_text("上一页")
    page.click("nav.pager >> text=下一页")
    page.click("nav.pager >> text=回到第一页")
    expect(page.locator("#member-table tbody tr").first).to_contain_text("翻页50")
    page.fill("input[name=q]", "翻页0")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#member-table tbody tr")).to_have_count(10)
    expect(page.locator("#member-total")).to_contain_text("符合条件的共 10 名队员")


def test_adjustment_needs_a_second_admin_and_the_audit_log_shows_it(page, live, staff):
    w = staff
    m1 = w.id("m1")
    sign_in(page, live.base, "sec-a1")
    page.goto(f"{live.base}/admin/members/{m1}")
    page.fill("input[name=delta]", "5")
    page.fill("input[name=reason]", "参加社区清扫")
    page.click("#adjust-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text("积分调整已生效")
    expect(page.locator("#balance-points")).to_have_text("5")

    page.fill("input[name=delta]", "80")
    page.fill("input[name=reason]", "抗洪抢险突出表现")
    page.click("#adjust-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("等待另一位管理员审批")
    expect(page.locator("#balance-points")).to_have_text("5")
    page.click("nav >> text=积分管理")
    row = page.locator("#pending-table tr", has_text="抗洪抢险突出表现")
    expect(row).to_contain_text("等待其他管理员审批")
    expect(row.locator("button")).to_have_count(0)  # never the same person
    sign_out(page)

    sign_in(page, live.base, "street-admin")
    page.click("nav >> text=积分管理")
    row = page.locator("#pending-table tr", has_text="抗洪抢险突出表现")
    expect(row).to_contain_text("一支部书记")
    shot(page, "08-points-queue")
    row.locator("text=通过").click()
    expect(page.locator(".flash.ok")).to_have_text("已审批通过，积分已入账")
    expect(page.locator("#applied-table")).to_contain_text("一支部书记 / 街道管理员")
    member = live.run(live.ctx.db.users.find_one({"_id": m1}))
    assert member["points_balance"] == 85
    keys = {e["idempotency_key"] for e in live.run(live.ctx.db.ledger_entries.find().to_list(None))}
    assert len(keys) == 2 and all(k.startswith("adjustment:") for k in keys)

    page.click("nav >> text=操作日志")
    table = page.locator("#audit-table")
    expect(table).to_contain_text("提交积分调整（待审批）")
    expect(table).to_contain_text("审批通过积分调整")
    expect(table.locator("tr", has_text="审批通过积分调整")).to_contain_text("街道管理员")
    expect(table.locator("tr", has_text="提交积分调整")).to_contain_text("抗洪抢险突出表现")
    expect(table).to_contain_text("登录")
    shot(page, "09-audit")
    page.select_option("select[name=action]", "points.adjust")
    page.click("form.filters button[type=submit]")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("参加社区清扫")
    expect(table).to_contain_text('"points": 0')  # before
    expect(table).to_contain_text('"points": 5')  # after


def test_catalogue_for_committee_admins(page, live, staff):
    sign_in(page, live.base, "street-admin")
    page.click("nav >> text=服务项目库")
    row = page.locator("#cat-appliance")
    row.locator("input[name=base_points]").fill("15")
    row.locator("button").click()
    expect(page.locator(".flash.ok")).to_have_text("已保存服务项目")
    expect(page.locator("#cat-appliance input[name=base_points]")).to_have_value("15")
    page.locator("#cat-appliance input[name=sla_hours]").fill("0")
    page.locator("#cat-appliance button").click()
    expect(page.locator("#cat-appliance .form-error")).to_contain_text(
        "时限（小时）：应在 1 到 720 之间"
    )
    shot(page, "10-catalogue")
    cat = live.run(live.ctx.db.service_categories.find_one({"code": "appliance"}))
    assert cat["base_points"] == 15 and cat["sla_hours"] == 48
    sign_out(page)
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("nav")).not_to_contain_text("服务项目库")
    page.goto(live.base + "/admin/catalogue")
    expect(page.locator(".err-msg")).to_have_text("找不到该页面")
