"""志愿服务活动与组织生活: list and calendar, create/edit, the full-screen check-in QR,
attendance with corrections, settle, Excel export, and the quarterly 三会一课 counts."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import segno

from handlers.admin.base import ERROR_MESSAGES, AdminHandler, admin_route, oid
from models import activities
from models.activities import export, stats
from models.activities.forms import ActivityForm, CorrectionForm, MinutesForm, NewActivityForm
from models.activities.states import (
    ATTENDANCE_MARKS,
    KIND_NAMES,
    ORG_LIFE,
    POINTS_MODES,
    SIGNUP_NAMES,
    STATUS_NAMES,
)
from models.core.clock import BEIJING
from models.core.forms import ReasonForm
from models.people import directory
from server.errors import AppError, ValidationFailed

LABELS = {
    "title": "标题",
    "description": "说明",
    "address": "地址",
    "lng": "经度",
    "lat": "纬度",
    "radius_m": "签到半径",
    "start_at": "开始时间",
    "end_at": "结束时间",
    "signup_opens_at": "报名开始",
    "signup_closes_at": "报名截止",
    "capacity": "名额",
    "points_mode": "积分规则",
    "points_value": "积分",
    "org_id": "组织",
    "kind": "类型",
    "member_id": "成员",
    "hours": "时长",
    "attendance": "出勤",
    "reason": "原因",
    "at": "时间",
    "body": "",
}


def _local_input(value: datetime | None) -> str:
    """A moment as the value of an <input type="datetime-local"> (Beijing time)."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M") if value else ""


def _errors(exc: AppError) -> dict[str, str]:
    return {k: str(v) for k, v in exc.fields.items()} if exc.fields else {"body": exc.message}


class ActivityPage(AdminHandler):
    nav = "activities"

    def get_template_namespace(self) -> dict[str, Any]:
        ns = super().get_template_namespace()
        ns.update(
            kind_names=KIND_NAMES,
            activity_status_names=STATUS_NAMES,
            signup_names=SIGNUP_NAMES,
            points_modes=POINTS_MODES,
            marks=ATTENDANCE_MARKS,
            labels=LABELS,
            local_input=_local_input,
        )
        return ns


class ActivitiesHandler(ActivityPage):
    """List (by day, newest first) with the node's counts for the month; create (POST)."""

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        kind = self.query("kind")
        status = self.query("status")
        today = self.ctx.now().astimezone(BEIJING)
        month = self.query("month") or today.strftime("%Y-%m")
        try:
            first = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=BEIJING)
        except ValueError:
            raise ValidationFailed(fields={"month": "月份格式应为 YYYY-MM"}) from None
        last = (first + timedelta(days=32)).replace(day=1)
        rows, _ = await activities.list_activities(
            self.ctx,
            self.me,
            org_id=org["_id"],
            kind=kind if kind in KIND_NAMES else None,
            near=None,
            status=status if status in STATUS_NAMES else None,
            cursor=None,
            limit=100,
        )
        days: dict[str, list[dict[str, Any]]] = {}
        for a in rows:
            days.setdefault(a["start_at"].astimezone(BEIJING).strftime("%Y-%m-%d"), []).append(a)
        self.render(
            "activities.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            days=days,
            f={"kind": kind, "status": status, "month": month},
            counts=await stats.summary(self.ctx, org["_id"], first, last),
            month=month,
        )

    async def post(self) -> None:
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        try:
            data = self.form(NewActivityForm)
            created = await activities.create_activity(self.ctx, self.me, data)
        except AppError as exc:
            if exc.status == 404:
                raise
            await show_new(self, _errors(exc), raw)
            return
        self.redirect(f"/admin/activities/{created['_id']}?msg=activity_created")


class NewActivityHandler(ActivityPage):
    async def get(self) -> None:
        await show_new(self, {}, {})


async def show_new(self: ActivityPage, errors: dict[str, str], form: dict[str, Any]) -> None:
    """The create form, blank or again with what was typed and what was wrong."""
    if errors:
        self.set_status(400)
    start = (self.ctx.now() + timedelta(days=3)).astimezone(BEIJING)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0)
    defaults = {
        "start_at": _local_input(start),
        "end_at": _local_input(start + timedelta(hours=3)),
        "radius_m": str(self.ctx.config.activities.default_radius_m),
        "points_mode": "per_hour",
        "points_value": "2",
        "award_hours": "true",
    }
    self.render(
        "activity_form.html",
        activity=None,
        nodes=await directory.subtree(self.ctx, self.me),
        org_id=self.query("org") or str(self.me.org_id),
        form={**defaults, **form},
        errors=errors,
    )


class ActivityHandler(ActivityPage):
    """One activity: details, edit form, attendance with times and places, actions."""

    async def get(self, id: str) -> None:
        await self.show(id)

    async def show(
        self, id: str, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None
    ) -> None:
        if errors:
            self.set_status(400)
        activity = await activities.get_organised(self.ctx, self.me, oid(id, "活动"))
        rows = await activities.attendance(self.ctx, self.me, activity["_id"])
        full = await activities.get_visible(self.ctx, self.me, activity["_id"], timeline=True)
        loc = (activity.get("location") or {}).get("coordinates") or ["", ""]
        current = {
            "title": activity["title"],
            "description": activity.get("description", ""),
            "address": activity.get("address", ""),
            "lng": loc[0],
            "lat": loc[1],
            "radius_m": activity.get("radius_m"),
            "start_at": _local_input(activity["start_at"]),
            "end_at": _local_input(activity["end_at"]),
            "signup_opens_at": _local_input(activity.get("signup_opens_at")),
            "signup_closes_at": _local_input(activity.get("signup_closes_at")),
            "capacity": activity.get("capacity") or "",
            "points_mode": activity.get("points_mode", "none"),
            "points_value": activity.get("points_value", 0),
            "award_hours": "true" if activity.get("award_hours") else "",
            "open_to_residents": "true" if activity.get("open_to_residents") else "",
        }
        self.render(
            "activity.html",
            activity=full,
            rows=rows,
            actions=activities.activity_json(self.ctx, activity, self.me)["actions"],
            org_life=activity["kind"] in ORG_LIFE,
            form={**current, **(form or {})},
            errors=errors or {},
            nodes=[],
            org_id=str(activity["org_id"]),
            error=ERROR_MESSAGES.get(self.get_query_argument("err", ""), ""),
        )

    async def post(self, id: str) -> None:
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        activity_id = oid(id, "活动")
        try:
            if "minutes" in raw and len(raw) <= 2:
                data = self.form(MinutesForm)
            else:
                data = self.form(ActivityForm)
            activity = await activities.get_organised(self.ctx, self.me, activity_id)
            changes = {k: v for k, v in data.items() if activity.get(k) != v}
            if changes:
                await activities.edit_activity(self.ctx, self.me, activity_id, changes)
        except AppError as exc:
            if exc.status in (403, 404):
                raise
            await self.show(id, _errors(exc), raw)
            return
        self.redirect(f"/admin/activities/{id}?msg=activity_saved")


class TransitionHandler(ActivityPage):
    async def post(self, id: str, action: str) -> None:
        activity_id = oid(id, "活动")
        try:
            if action == "publish":
                done = await activities.publish_activity(self.ctx, self.me, activity_id)
                msg = "已发布，成员可以报名了"
            elif action == "cancel":
                reason = self.form(ReasonForm)["reason"]
                done = await activities.cancel_activity(self.ctx, self.me, activity_id, reason)
                msg = "activity_cancelled"
            else:
                done = await activities.settle(self.ctx, self.me, activity_id)
                msg = "activity_settled"
        except AppError as exc:
            if exc.status in (403, 404):
                raise
            if self.wants_json:
                raise
            self.redirect(f"/admin/activities/{id}?err=activity_refused")
            return
        if self.wants_json:
            self.write_json({"ok": True, "status": done["status"]})
            return
        self.redirect(f"/admin/activities/{id}?msg={msg}")


class CorrectionHandler(ActivityPage):
    async def post(self, id: str) -> None:
        activity_id = oid(id, "活动")
        try:
            data = self.form(CorrectionForm)
            await activities.correct(self.ctx, self.me, activity_id, data, ip=self.client_ip)
        except AppError as exc:
            if exc.status in (403, 404) or self.wants_json:
                raise
            self.redirect(f"/admin/activities/{id}?err=attendance_refused")
            return
        if self.wants_json:
            self.write_json({"ok": True})
            return
        self.redirect(f"/admin/activities/{id}?msg=attendance_saved")


class QrPageHandler(ActivityPage):
    """The full-screen rotating code for a screen or projector (refreshes itself)."""

    async def get(self, id: str) -> None:
        activity = await activities.get_organised(self.ctx, self.me, oid(id, "活动"))
        direction = "out" if self.query("direction") == "out" else "in"
        self.render(
            "activity_qr.html",
            activity=activity,
            direction=direction,
            seconds=int(self.ctx.config.activities.qr_window_seconds),
        )


class QrImageHandler(ActivityPage):
    """The current code as SVG: the QR page reloads it every few seconds."""

    async def get(self, id: str) -> None:
        direction = "out" if self.query("direction") == "out" else "in"
        token, _ = await activities.current_qr(self.ctx, self.me, oid(id, "活动"), direction)
        buf = io.BytesIO()
        segno.make(token, error="m").save(buf, kind="svg", scale=10, border=4, xmldecl=False)
        self.set_header("Content-Type", "image/svg+xml")
        self.finish(buf.getvalue())


class ExportHandler(ActivityPage):
    async def get(self, id: str) -> None:
        activity = await activities.get_organised(self.ctx, self.me, oid(id, "活动"))
        content, name = await export.export_attendance(self.ctx, self.me, activity)
        self.send_file(content, name)


class OrgLifeHandler(ActivityPage):
    """组织生活: per quarter the 三会一课 / 主题党日 held, per member who attended."""

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        this_year = self.ctx.now().astimezone(BEIJING).year
        year = self.int_query("year", this_year, 2100) or this_year
        if year < 2000:
            year = this_year
        self.render(
            "orglife.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            report=await activities.quarterly(self.ctx, org["_id"], year),
            year=year,
        )


default_handlers = [
    admin_route("/activities", ActivitiesHandler),
    admin_route("/activities/new", NewActivityHandler),
    admin_route("/activities/orglife", OrgLifeHandler),
    admin_route("/activities/{id}", ActivityHandler),
    admin_route("/activities/{id}/(?P<action>publish|cancel|settle)", TransitionHandler),
    admin_route("/activities/{id}/attendance", CorrectionHandler),
    admin_route("/activities/{id}/qr", QrPageHandler),
    admin_route("/activities/{id}/qr.svg", QrImageHandler),
    admin_route("/activities/{id}/export", ExportHandler),
]
