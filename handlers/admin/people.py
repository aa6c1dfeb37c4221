"""Admin sign-in and the member directory: registrations, profiles, roster import and export,
and the org nodes' service phones."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers.admin.base import COOKIE_PATH, SESSION_COOKIE, AdminHandler, admin_route, oid
from models.core.clock import BEIJING
from models.core.forms import EmptyForm, ReasonForm
from models.people import (
    admin_auth,
    directory,
    orgs,
    registrations,
    roster,
    service_phone,
    users,
)
from models.people.forms import DutyForm, LoginForm, OrgPhoneForm
from models.people.users import PARTY_STATUSES
from models.points import adjustments
from models.points.forms import AdjustForm, ReverseForm
from server.errors import AppError, ValidationFailed


def _safe_next(value: str) -> str:
    """Only local admin paths: never an open redirect, never a control character."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/admin/"
    if value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin/"


class LoginHandler(AdminHandler):
    public = True

    async def get(self) -> None:
        if self.actor is not None:
            self.redirect(_safe_next(self.query("next", "/admin/")))
            return
        self.render("login.html", error=None, username="", next=self.query("next", "/admin/"))

    async def post(self) -> None:
        username = self.get_body_argument("username", "")[:64]
        next_url = self.get_body_argument("next", "/admin/")[:300]
        try:
            data = self.form(LoginForm)
            token, _ = await admin_auth.sign_in(
                self.ctx, data["username"], data["password"], ip=self.client_ip
            )
        except AppError as exc:
            message = exc.message
            if exc.fields and exc.code == "validation_failed":
                message = "请输入用户名和密码"
            if exc.status in (401, 429):
                # a refused sign-in answers after a pause (no CPU spent waiting): a flood's
                # clients spend their time waiting instead of costing the loop a request each
                await asyncio.sleep(float(self.ctx.config.admin.refusal_delay_seconds))
            self.set_status(exc.status)
            self.render("login.html", error=message, username=username, next=next_url)
            return
        self.set_signed_cookie(
            SESSION_COOKIE,
            token,
            expires_days=None,
            httponly=True,
            samesite="Strict",
            path=COOKIE_PATH,
        )
        self.redirect(_safe_next(data["next"]))


class LogoutHandler(AdminHandler):
    public = True

    async def post(self) -> None:
        if self.session_token:
            await admin_auth.sign_out(self.ctx, self.session_token, self.actor, ip=self.client_ip)
        self.clear_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        self.redirect("/admin/login?msg=logged_out")


PAGE = 50


class RegistrationsHandler(AdminHandler):
    nav = "registrations"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        rows = await directory.pending_registrations(self.ctx, org["_id"])
        self.render(
            "registrations.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            items=rows,
        )


class ApproveRegistrationHandler(AdminHandler):
    async def post(self, id: str) -> None:
        self.form(EmptyForm)
        reg = await registrations.approve(self.ctx, self.me, oid(id, "申请"))
        self.write_json({"ok": True, "message": f"已通过 {reg['name']} 的申请"})


class RejectRegistrationHandler(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(ReasonForm)
        reg = await registrations.reject(self.ctx, self.me, oid(id, "申请"), data["reason"])
        self.write_json({"ok": True, "message": f"已驳回 {reg['name']} 的申请"})


async def member_filters(h: AdminHandler) -> tuple[dict[str, Any], dict[str, str]]:
    org = await h.scoped_org(h.query("org"))
    party = h.query("party_status")
    if party and party not in PARTY_STATUSES:
        raise ValidationFailed(fields={"party_status": "政治面貌无效"})
    f = {"q": h.query("q")[:40], "party_status": party, "skill": h.query("skill")[:20]}
    return org, f


class MembersHandler(AdminHandler):
    nav = "members"

    async def get(self) -> None:
        org, f = await member_filters(self)
        page = await directory.member_page(
            self.ctx,
            org["_id"],
            cursor=self.query("cursor") or None,
            before=self.query("before") or None,
            limit=PAGE,
            **f,
        )
        # the whole subtree: its counter; a filtered list: exact when it fits on one page,
        # else "more than a page" (counting every match would read them all)
        filtered = any(f.values())
        total: int | None = None
        if not filtered:
            total = await directory.member_total(self.ctx, org["_id"])
        elif page.before is None and page.next_cursor is None:
            total = len(page.rows)
        self.render(
            "members.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            f=f,
            items=page.rows,
            total=total,
            filtered=filtered,
            before=page.before,
            next_cursor=page.next_cursor,
            page_size=PAGE,
            tree=await orgs.all_orgs(self.ctx),
            party_statuses=PARTY_STATUSES,
            skills=await directory.skills_in_use(self.ctx),
        )


class MembersExportHandler(AdminHandler):
    async def get(self) -> None:
        org, f = await member_filters(self)
        content, _ = await roster.export_members(self.ctx, self.me, org, f)
        stamp = self.ctx.now().astimezone(BEIJING).strftime("%Y%m%d")
        self.send_file(content, f"队员名单-{org['name']}-{stamp}.xlsx")


class ImportHandler(AdminHandler):
    nav = "members"
    accepts_upload = True

    async def get(self) -> None:
        self.render("import.html", result=None, error=None)

    async def post(self) -> None:
        files = self.request.files.get("file") or []
        if set(self.request.body_arguments) - {"_xsrf"}:
            self.set_status(400)
            self.render("import.html", result=None, error="不允许的字段")
            return
        if not files:
            self.set_status(400)
            self.render("import.html", result=None, error="请选择要导入的 Excel 文件")
            return
        upload = files[0]
        try:
            result = await roster.import_roster(
                self.ctx, self.me, upload["body"], upload.get("filename", ""), self.client_ip
            )
        except AppError as exc:  # a bad or hostile file: 400/422 with the reason
            if exc.status >= 500 or exc.status in (401, 403, 404):
                raise
            self.set_status(exc.status)
            self.render("import.html", result=None, error=exc.message)
            return
        if result.get("errors"):
            self.set_status(422)
        self.render("import.html", result=result, error=None)


class TemplateHandler(AdminHandler):
    async def get(self) -> None:
        self.send_file(roster.template_bytes(), "队员名册导入模板.xlsx")


class MemberHandler(AdminHandler):
    nav = "members"

    async def get(self, id: str) -> None:
        await self.show(id)

    async def show(
        self, id: str, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None
    ) -> None:
        member = await directory.get_member(self.ctx, self.me, oid(id, "队员"))
        if errors:
            self.set_status(400)
        count = member.get("rating_count", 0)
        self.render(
            "member.html",
            m=member,
            org_name=await orgs.org_name(self.ctx, member.get("org_id")),
            rating=(member.get("rating_sum", 0) / count) if count else None,
            orders=await directory.member_orders(self.ctx, member["_id"]),
            entries=await directory.member_entries(self.ctx, member["_id"]),
            pending=await adjustments.pending_for_member(self.ctx, member["_id"]),
            threshold=adjustments.threshold(self.ctx),
            errors=errors or {},
            form=form or {},
        )


class AdjustHandler(MemberHandler):
    """人工调整积分 (or reverse one entry): applied now, or queued for a second admin."""

    async def get(self, id: str, action: str) -> None:  # type: ignore[override]
        """The action URL opened directly (it used to answer 500): the member's page."""
        await self.show(id)

    async def post(self, id: str, action: str) -> None:
        member_id = oid(id, "队员")
        raw = {k: self.get_body_argument(k, "") for k in ("kind", "delta", "reason")}
        try:
            if action == "reverse":
                data = self.form(ReverseForm)
                adj = await adjustments.request_adjustment(
                    self.ctx,
                    self.me,
                    member_id,
                    kind="points",
                    delta=0,
                    reason=data["reason"],
                    reverses=data["entry_id"],
                    ip=self.client_ip,
                )
            else:
                data = self.form(AdjustForm)
                adj = await adjustments.request_adjustment(
                    self.ctx,
                    self.me,
                    member_id,
                    kind=data["kind"],
                    delta=data["delta"],
                    reason=data["reason"],
                    ip=self.client_ip,
                )
        except ValidationFailed as exc:
            await self.show(id, errors=exc.fields or {"body": exc.message}, form=raw)
            return
        if adj["status"] == adjustments.PENDING:
            msg = "adjust_pending"
        else:
            msg = "adjusted"
        self.redirect(f"/admin/members/{id}?msg={msg}")


class DutyHandler(AdminHandler):
    """网格员: a member in scope given the duty (places orders on residents' behalf) or not."""

    async def post(self, id: str) -> None:
        data = self.form(DutyForm)
        await users.set_duty(self.ctx, self.me, oid(id, "队员"), data["duty"], data["on"])
        self.redirect(f"/admin/members/{id}?msg={'duty_on' if data['on'] else 'duty_off'}")


async def _org_phone_page(
    handler: AdminHandler, org: dict[str, Any], error: str = "", value: str | None = None
) -> None:
    if error:
        handler.set_status(422)
    handler.render(
        "org_phone.html",
        org=org,
        nodes=await directory.subtree(handler.ctx, handler.me),
        phone=(org.get("phone") or "") if value is None else value,
        error=error,
    )


class OrgPhoneHandler(AdminHandler):
    """服务电话: the phone a node's residents dial from the mini-program's care mode."""

    nav = "org_phone"

    async def get(self) -> None:
        await _org_phone_page(self, await self.scoped_org(self.query("org")))


class OrgPhoneSaveHandler(AdminHandler):
    nav = "org_phone"

    async def post(self, id: str) -> None:
        org = await self.scoped_org(str(oid(id, "组织")))
        raw = self.get_body_argument("phone", "")
        try:
            data = self.form(OrgPhoneForm)
            await service_phone.set_phone(self.ctx, self.me, org["_id"], data.get("phone"))
        except ValidationFailed as exc:
            if self.wants_json:
                raise
            detail = "；".join(str(v) for v in exc.fields.values()) if exc.fields else exc.message
            await _org_phone_page(self, org, error=detail, value=raw)
            return
        if self.wants_json:
            self.write({"ok": True})
            return
        self.flash("服务电话已保存")
        self.redirect(f"/admin/orgs?org={org['_id']}")


default_handlers = [
    admin_route("/login", LoginHandler),
    admin_route("/logout", LogoutHandler),
    admin_route("/registrations", RegistrationsHandler),
    admin_route("/registrations/{id}/approve", ApproveRegistrationHandler),
    admin_route("/registrations/{id}/reject", RejectRegistrationHandler),
    admin_route("/members", MembersHandler),
    admin_route("/members/export", MembersExportHandler),
    admin_route("/members/import", ImportHandler),
    admin_route("/members/template", TemplateHandler),
    admin_route("/members/{id}", MemberHandler),
    admin_route("/members/{id}/(?P<action>adjust|reverse)", AdjustHandler),
    admin_route("/members/{id}/duty", DutyHandler),
    admin_route("/orgs", OrgPhoneHandler),
    admin_route("/orgs/{id}/phone", OrgPhoneSaveHandler),
]
