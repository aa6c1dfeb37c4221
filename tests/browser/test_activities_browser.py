"""Activity admin pages in headless Chromium: a secretary publishes an activity, opens the
full-screen check-in code (big, and it refreshes itself), corrects attendance and sees it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from models import activities
from tests.browser.test_admin_browser import PASSWORD, browser, page, shot, sign_in  # noqa: F401


def test_publish_show_the_code_and_correct_attendance(page, live, staff):  # noqa: F811
    w = staff
    sign_in(page, live.base, "sec-a1", PASSWORD)
    expect(page.locator("h1")).to_have_text("数据看板")
    page.click("nav >> text=志愿活动")
    expect(page.locator("h1")).to_have_text("志愿活动与组织生活")
    page.click("text=发布活动")
    page.fill("input[name=title]", "重阳节敬老活动")
    page.fill("input[name=address]", "幸福敬老院")
    page.fill("input[name=lng]", "116.40")
    page.fill("input[name=lat]", "39.90")
    page.fill("input[name=capacity]", "8")
    page.check("input[name=publish]")
    page.click("#activity-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("已创建活动")
    shot(page, "activity-01-detail")
    act = live.run(live.ctx.db.activities.find_one({"title": "重阳节敬老活动"}))
    assert act["status"] == "published" and act["capacity"] == 8
    live.run(activities.sign_up(live.ctx, w.actor("m1"), act["_id"]))

    # the full-screen code: most of the screen's height, and it reloads itself
    page.goto(f"{live.base}/admin/activities/{act['_id']}/qr")
    img = page.locator("#qr")
    expect(img).to_be_visible()
    for _ in range(50):  # the SVG decoded (no eval: the page's CSP forbids it)
        if img.evaluate("e => e.naturalWidth") > 0:
            break
        page.wait_for_timeout(100)
    assert img.evaluate("e => e.naturalWidth") > 0
    box = img.bounding_box()
    assert box and box["height"] >= 0.7 * 900 and box["width"] >= 600, box
    expect(img).to_have_attribute("src", re.compile(r"&t=\d+"), timeout=12_000)
    shot(page, "activity-02-qr")

    # under way: a check-in by hand with a reason, shown in the attendance table
    began = live.ctx.now() - timedelta(minutes=20)
    times = {"start_at": began, "end_at": began + timedelta(hours=3)}
    live.run(live.ctx.db.activities.update_one({"_id": act["_id"]}, {"$set": times}))
    page.goto(f"{live.base}/admin/activities/{act['_id']}")
    form = page.locator("#correction-form")
    form.locator("select[name=action]").select_option("checkin")
    form.locator("input[name=reason]").fill("手机没电，现场确认")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("考勤已更新")
    row = page.locator("#attendance-table tr", has_text="队员1")
    expect(row).to_contain_text("补签")
    expect(page.locator("#checked-in")).to_have_text("1")
    shot(page, "activity-03-attendance")
