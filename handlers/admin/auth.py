"""登录 / 退出."""

from __future__ import annotations

from handlers.admin.base import COOKIE_PATH, SESSION_COOKIE, AdminHandler, admin_route
from models import admin_auth
from models.admin_schemas import LoginForm
from server.errors import AppError


def _safe_next(value: str) -> str:
    """Only local admin paths: never an open redirect."""
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
        self.redirect("/admin/login?msg=已退出登录")


default_handlers = [
    admin_route("/login", LoginHandler),
    admin_route("/logout", LogoutHandler),
]
