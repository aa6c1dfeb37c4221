"""组织设置 in headless Chromium: a secretary opens it from 双报到, sets the branch's kind and
a dossier threshold, and the street admin adds a service post to the community."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_admin_browser import browser, page, shot, sign_in  # noqa: F401


def test_org_settings_form(page, live, staff):  # noqa: F811
    w, ctx = staff, live.ctx
    a1, community = w.orgs["A1"]["_id"], w.orgs["A"]["_id"]
    sign_in(page, live.base, "sec-a1")
    expect(page.locator("h1")).to_have_text("数据看板")
    page.goto(f"{live.base}/admin/community-reports")
    page.click("#org-settings-link")
    expect(page.locator("h1")).to_contain_text("组织设置")
    page.select_option("#branch-kind", "unit")
    page.fill("input[name=t1_hours]", "12")
    page.click("#settings-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text("设置已保存")
    expect(page.locator("input[name=t1_hours]")).to_have_value("12")
    shot(page, "org-settings")
    org = live.run(ctx.db.orgs.find_one({"_id": a1}))
    assert org["branch_kind"] == "unit" and org["dossier_thresholds"] == {
        "积极分子": {"hours": 12.0}
    }

    page.context.clear_cookies()
    sign_in(page, live.base, "street-admin")
    page.goto(f"{live.base}/admin/orgs/{community}/settings")
    page.fill("#post-form input[name=name]", "文明劝导")
    page.fill("#post-form input[name=description]", "周末路口劝导")
    page.click("#post-form button[type=submit]")
    expect(page.locator("#posts")).to_contain_text("文明劝导")
    expect(page.locator(".flash.ok")).to_have_text("服务岗位已保存")
