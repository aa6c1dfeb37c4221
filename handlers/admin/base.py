"""What every admin page shares: the cookie session, xsrf, scope checks, form parsing,
templates, and error pages in Chinese (or JSON for the pages' own fetch calls).

The admin pages never read an `Authorization` header: an API bearer token opens nothing
here, and an admin session cookie opens nothing in the JSON API (tokens carry a kind).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import tornado.web
from bson import ObjectId
from marshmallow import Schema

from handlers.base import app_error_for, dumps, log_unexpected, parse_json, schema_instance
from models.core.clock import BEIJING
from models.core.context import Context
from models.core.validation import load, parse_id
from models.orders.states import STATUS_NAMES
from models.people import admin_auth, orgs
from models.people.users import Actor
from server.errors import NotFound, PayloadTooLarge, Unauthenticated
from server.logging import client_ip as request_ip
from server.logging import mask_phone, request_id

log = logging.getLogger("tongxin.admin")
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SESSION_COOKIE = "tx_admin"
FLASH_COOKIE = "tx_flash"  # the next page's banner, written by the server (signed, 1 use)
COOKIE_PATH = "/admin"
UPLOAD_LIMIT = 4 * 1024 * 1024

# ?msg= and ?err= carry a code from these fixed sets, never text: a link cannot put
# words of its own into the page's banner. Text made by the server (a validation detail,
# "已办结") goes through `flash()`: a signed cookie the next page reads once.
FLASH_MESSAGES = {
    "logged_out": "已退出登录",
    "adjusted": "积分调整已生效",
    "adjust_pending": "调整数额超过审批阈值，已提交，等待另一位管理员审批",
    "approved": "已审批通过，积分已入账",
    "rejected": "已驳回该调整申请",
    "category_added": "已新增服务项目",
    "category_saved": "已保存服务项目",
    "reward_added": "已新增商品",
    "reward_saved": "已保存",
    "picked_up": "核销成功",
    "hold_released": "已放行，积分已入账",
    "hold_refused": "已驳回，积分不予发放",
    "activity_created": "已创建活动",
    "activity_saved": "已保存活动",
    "activity_cancelled": "已取消活动，已通知报名者",
    "activity_settled": "已结算，积分与时长已发放给出席者",
    "attendance_saved": "考勤已更新（已记入操作日志）",
    "order_placed": "已代群众下单，请在派单台派单；派单后可打印服务单",
    "duty_on": "已设为网格员：可为本社区群众代下单",
    "duty_off": "已取消网格员职责",
    "confirmed_on_behalf": "已代群众确认，积分与时长已发放给服务队员（已记入操作日志）",
}
ERROR_MESSAGES = {
    "adjustment_decided": "该调整申请已处理",
    "same_approver": "不能审批自己提交的调整，请由另一位管理员审批",
    "already_reversed": "该记录已冲正过",
    "validation_failed": "请填写原因后再提交",
    "redemption_state": "该兑换已领取、已取消或已过期，不能核销",
    "hold_decided": "该积分已处理",
    "stock_too_low": "库存不足，无法减少这么多",
    "activity_refused": "该活动当前状态不能执行此操作，请刷新后重试",
    "attendance_refused": "考勤更正未通过校验：请填写原因和正确的时间",
}
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2099, 12, 31)  # admin date filters
ROLE_NAMES = {"secretary": "支部书记", "admin": "党委管理员", "member": "队员", "resident": "群众"}


def script_json(data: Any) -> str:
    """JSON to place inside <script type="application/json">: no character of any string
    can end the element or switch the parser's state (`</`, `<!--`, `<script`, U+2028)."""
    text = dumps(data)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return "—"
    return value.astimezone(BEIJING).strftime(fmt)


# tornado's own HTTPErrors here: a 403 is only ever the xsrf check (our refusals are AppErrors)
ADMIN_HTTP_MESSAGES = {
    403: ("xsrf", "页面已过期或请求来源不可信，请刷新页面后重试"),
    404: ("not_found", "找不到该页面"),
    405: ("method_not_allowed", "不支持该请求方法"),
}


class AdminHandler(tornado.web.RequestHandler):
    """Base of every admin page and action. Subclasses set `public = True` to skip sign-in."""

    public = False
    staff_roles: tuple[str, ...] = ("secretary", "admin")
    actor: Actor | None = None
    session_token: str | None = None
    nav = ""

    @property
    def ctx(self) -> Context:
        return self.settings["ctx"]

    def get_template_path(self) -> str:
        return str(TEMPLATES)

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        hsts = int(self.ctx.config.http.hsts_seconds) if self.ctx is not None else 0
        if hsts > 0 and self.over_https:
            self.set_header("Strict-Transport-Security", f"max-age={hsts}")

    @property
    def over_https(self) -> bool:
        """Behind the proxy (`http.xheaders`) tornado reads the scheme from X-Forwarded-Proto."""
        return self.request.protocol == "https"

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every admin cookie (session, xsrf) is Secure over HTTPS or when configured so."""
        if self.over_https or bool(self.ctx.config.http.secure_cookies):
            kwargs["secure"] = True
        super().set_cookie(name, value, *args, **kwargs)

    def flash(self, text: str, *, error: bool = False) -> None:
        """The banner of the page this request redirects to (server text, never from a link)."""
        value = dumps({"kind": "err" if error else "ok", "text": text[:300]})
        self.set_signed_cookie(FLASH_COOKIE, value, path=COOKIE_PATH, httponly=True)

    def _flash(self) -> dict[str, str]:
        """This page's one-use banner from the signed cookie (read once, then cleared)."""
        if not hasattr(self, "_flash_read"):
            self._flash_read: dict[str, str] = {}
            raw = self.get_signed_cookie(FLASH_COOKIE, max_age_days=1)
            if raw:
                self.clear_cookie(FLASH_COOKIE, path=COOKIE_PATH)
                try:
                    self._flash_read = dict(json.loads(raw))
                except ValueError:  # a cookie of an older format: no banner
                    self._flash_read = {}
        return self._flash_read

    @property
    def flash_error(self) -> str:
        """The error banner: a fixed ?err= code's message, or the server's flashed text."""
        code = self.get_query_argument("err", "")
        if code in ERROR_MESSAGES:
            return ERROR_MESSAGES[code]
        pending = self._flash()
        return pending.get("text", "") if pending.get("kind") == "err" else ""

    @property
    def flash_ok(self) -> str:
        code = self.get_query_argument("msg", "")
        if code in FLASH_MESSAGES:
            return FLASH_MESSAGES[code]
        pending = self._flash()
        return pending.get("text", "") if pending.get("kind") == "ok" else ""

    @property
    def wants_json(self) -> bool:
        accept = self.request.headers.get("Accept", "")
        return "application/json" in accept or self.request.headers.get("X-Requested-With") == (
            "fetch"
        )

    @property
    def client_ip(self) -> str:
        return self.request.remote_ip or ""

    @property
    def me(self) -> Actor:
        """The signed-in staff member; every non-public page runs only with one."""
        if self.actor is None:
            raise Unauthenticated("请先登录管理后台")
        return self.actor

    async def prepare(self) -> None:
        rid = self.request.headers.get("X-Request-Id", "")
        self.request_id = rid if re.fullmatch(r"[\w\-]{8,64}", rid) else uuid.uuid4().hex
        request_id.set(self.request_id)
        request_ip.set(self.client_ip)
        self.started = time.monotonic()
        limit = UPLOAD_LIMIT if self.accepts_upload else int(self.ctx.config.http.max_body_bytes)
        if len(self.request.body) > limit:
            raise PayloadTooLarge(f"提交的内容超过 {limit // 1024} KB")
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_xsrf_cookie()
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=2)
        if token:
            try:
                self.actor = await admin_auth.session_actor(self.ctx, token.decode())
                self.session_token = token.decode()
            except Unauthenticated:
                self.clear_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        if self.public:
            return
        if self.actor is None:
            if self.request.method == "GET" and not self.wants_json:
                self.redirect("/admin/login?next=" + quote(self.request.uri or "/admin/"))
                return
            raise Unauthenticated("请先登录管理后台")
        if self.actor.role not in self.staff_roles:
            raise NotFound("找不到该页面")

    accepts_upload = False

    # ---------------------------------------------------------- scope

    async def scoped_org(self, value: str | ObjectId | None) -> dict[str, Any]:
        """The node named in a filter if the actor manages it (default: their own node)."""
        me = self.me
        if me.org_id is None:
            raise NotFound("找不到该组织", code="org_not_found")
        org_id = me.org_id if not value else parse_id(str(value), "组织")
        org = await orgs.get_org(self.ctx, org_id)
        if not me.manages(org["path"]):
            raise NotFound("找不到该组织", code="org_not_found")
        return org

    # ---------------------------------------------------------- input

    def query(self, name: str, default: str = "") -> str:
        value = self.get_query_argument(name, default) or default
        return value.strip()[:200]

    def int_query(self, name: str, default: int = 0, maximum: int = 100_000) -> int:
        text = self.query(name)
        return max(0, min(int(text), maximum)) if text.isdigit() else default

    def form(self, schema: type[Schema], multi: tuple[str, ...] = ()) -> dict[str, Any]:
        """The posted form (or JSON) through a strict schema; empty optional fields dropped."""
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            data: Any = parse_json(self.request.body or b"{}")
        else:
            data = {}
            for key, values in self.request.body_arguments.items():
                if key == "_xsrf":
                    continue
                texts = [v.decode("utf-8", "replace").strip() for v in values]
                if key in multi:
                    data[key] = [t for t in texts if t]
                elif texts and texts[-1] != "":
                    data[key] = texts[-1]
        if isinstance(data, dict):
            data.pop("_xsrf", None)
        return load(schema_instance(schema), data)

    def date_range(self, default_days: int = 30) -> tuple[date, date]:
        from server.errors import ValidationFailed

        today = (
            datetime.now(BEIJING).date()
            if self.ctx is None
            else (self.ctx.now().astimezone(BEIJING).date())
        )

        def parse(name: str) -> date | None:
            text = self.query(name)
            if not text:
                return None
            try:
                value = date.fromisoformat(text)
            except ValueError:
                raise ValidationFailed(fields={name: "日期格式应为 YYYY-MM-DD"}) from None
            if not MIN_DATE <= value <= MAX_DATE:  # far dates overflow the day arithmetic
                raise ValidationFailed(
                    fields={name: f"日期应在 {MIN_DATE.year} 到 {MAX_DATE.year} 年之间"}
                )
            return value

        last = parse("to") or today
        first = parse("from") or last - timedelta(days=default_days - 1)
        if first > last:
            raise ValidationFailed(fields={"from": "开始日期不能晚于结束日期"})
        if (last - first).days > 366:
            raise ValidationFailed(fields={"from": "时间范围不能超过一年"})
        return first, last

    # ---------------------------------------------------------- output

    def get_template_namespace(self) -> dict[str, Any]:
        ns = super().get_template_namespace()
        ns.update(
            actor=self.actor,
            nav=self.nav,
            local=local,
            mask_phone=mask_phone,
            role_names=ROLE_NAMES,
            flash=self.flash_ok,
            xsrf=self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else "",
            dumps=dumps,
            script_json=script_json,
            qs=self.qs,
            status_names=STATUS_NAMES,
        )
        return ns

    def qs(self, **changes: Any) -> str:
        """The current query string with some arguments replaced (for filters and pages)."""
        from urllib.parse import urlencode

        args = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        args.pop("msg", None)
        for k, v in changes.items():
            if v is None or v == "":
                args.pop(k, None)
            else:
                args[k] = str(v)
        return "?" + urlencode(args) if args else "?"

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(dumps(data))

    def send_file(self, content: bytes, filename: str) -> None:
        self.set_header(
            "Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(filename)}")
        self.finish(content)

    def finish(self, chunk: Any = None) -> Any:
        started = getattr(self, "started", None)
        if started is not None and not self._headers_written:
            ms = (time.monotonic() - started) * 1000
            self.set_header("Server-Timing", f"app;dur={ms:.1f}")
        return super().finish(chunk)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = app_error_for(kwargs.get("exc_info", (None, None, None))[1], ADMIN_HTTP_MESSAGES)
        self.clear()
        self.set_default_headers()
        self.set_status(error.status)
        if self.wants_json:
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(dumps(error.to_json()))
            return
        self.render("error.html", error=error, status=error.status)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log_unexpected(typ, value, tb)


class AdminNotFound(AdminHandler):
    public = True

    async def prepare(self) -> None:
        await super().prepare()
        raise NotFound("找不到该页面")


def admin_route(path: str, handler: type[tornado.web.RequestHandler], **kw: Any) -> Any:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[0-9a-fA-F]{24}|[^/]+)", "/admin" + path)
    return tornado.web.url(pattern + "$", handler, kw or None)


def oid(value: str, what: str = "记录") -> ObjectId:
    return parse_id(value, what)
