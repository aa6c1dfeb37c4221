"""The handler chain every JSON endpoint shares: request id, body limits, bearer auth,
strict parsing, and the one `write_error` that turns every failure into JSON.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import tornado.web
from bson import ObjectId
from marshmallow import Schema

from models.core.clock import iso
from models.core.context import Context
from models.core.validation import ValidationFailed, load
from models.people.auth import authenticate
from models.people.users import Actor
from server.db import is_unavailable
from server.errors import (
    AppError,
    Forbidden,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthenticated,
)
from server.logging import client_ip, request_id

log = logging.getLogger("tongxin.http")
access_log = logging.getLogger("tongxin.access")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_HTTP_MESSAGES = {
    404: ("not_found", "找不到该接口"),
    405: ("method_not_allowed", "不支持该请求方法"),
    400: ("bad_request", "请求格式有误"),
}


MAX_JSON_DEPTH = 32
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,128}$"


def parse_json(raw: bytes | str) -> Any:
    """A request body as JSON, or 400: bad JSON, and nesting deeper than MAX_JSON_DEPTH
    (`[` × 1000 would otherwise exhaust the recursion of the parser or the validators)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:  # cannot nest too deep: skip
        text = ""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise ValidationFailed(
                    "请求体嵌套层级过深", fields={"body": f"嵌套不能超过 {MAX_JSON_DEPTH} 层"}
                )
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationFailed(
            "请求体不是有效的 JSON", fields={"body": "不是有效的 JSON"}
        ) from None


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, ObjectId):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=json_default, allow_nan=False)


def app_error_for(
    exc: BaseException | None, messages: dict[int, tuple[str, str]] = _HTTP_MESSAGES
) -> AppError:
    """Any failure as the AppError the client sees; the one mapping for API and admin."""
    if isinstance(exc, AppError):
        return exc
    if exc is not None and is_unavailable(exc):
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        return ServiceUnavailable()
    if isinstance(exc, tornado.web.HTTPError) and exc.status_code < 500:
        code, message = messages.get(exc.status_code, ("bad_request", "请求有误"))
        error = AppError(message, code=code)
        error.status = exc.status_code
        return error
    error = AppError("服务器内部错误，请稍后再试", code="internal_error")
    error.status = 500
    return error


def log_unexpected(typ: Any, value: Any, tb: Any) -> None:
    """Log only what is a bug: client errors and DB outages are answers, not incidents."""
    if isinstance(value, AppError) or (value is not None and is_unavailable(value)):
        return
    if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
        return
    log.error("unhandled error", exc_info=(typ, value, tb))


_SCHEMAS: dict[type[Schema], Schema] = {}


def schema_instance(schema: type[Schema]) -> Schema:
    """One instance per schema class, reused: building one per request cost 4× the load."""
    instance = _SCHEMAS.get(schema)
    if instance is None:
        instance = _SCHEMAS[schema] = schema()
    return instance


@dataclass(frozen=True)
class Endpoint:
    """What one handler method takes and answers; also the source of the OpenAPI document."""

    summary: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    auth: bool = True
    roles: tuple[str, ...] = ()  # enforced: any other role gets 403 before the service runs
    idempotency_key: bool = False
    tag: str = ""
    upload: str = ""  # a multipart/form-data file field (the body is not JSON)


def endpoint(**meta: Any) -> Callable[[F], F]:
    spec = Endpoint(**meta)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(self: BaseHandler, *args: Any, **kwargs: Any) -> Any:
            if spec.auth and self.actor is None:
                raise Unauthenticated()
            if spec.roles and (self.actor is None or self.actor.role not in spec.roles):
                raise Forbidden("您的身份不能执行此操作", code="role_not_allowed")
            if spec.query is not None:
                self.args = self.load_query(spec.query)
            if spec.body is not None:
                self.data = self.load_body(spec.body)
            return await fn(self, *args, **kwargs)

        wrapper.__endpoint__ = spec  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


class BaseHandler(tornado.web.RequestHandler):
    actor: Actor | None = None
    token: str | None = None
    data: dict[str, Any]
    args: dict[str, Any]

    @property
    def ctx(self) -> Context:
        return self.settings["ctx"]

    @property
    def me(self) -> Actor:
        """The signed-in caller; endpoints with `auth=True` never run without one."""
        if self.actor is None:
            raise Unauthenticated()
        return self.actor

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    async def prepare(self) -> None:
        lifecycle = self.settings["lifecycle"]
        if lifecycle.draining:
            self.set_header("Connection", "close")
            raise ServiceUnavailable("服务正在重启，请稍后重试", code="shutting_down")
        lifecycle.enter()
        self._counted = True
        rid = self.request.headers.get("X-Request-Id", "")
        self.request_id = rid if re.fullmatch(r"[\w\-]{8,64}", rid) else uuid.uuid4().hex
        request_id.set(self.request_id)
        client_ip.set(self.request.remote_ip)
        self.set_header("X-Request-Id", self.request_id)
        self.started = time.monotonic()
        if len(self.request.body) > self.max_body_bytes():
            limit_kb = self.max_body_bytes() // 1024
            raise PayloadTooLarge(
                f"提交的内容超过 {limit_kb} KB", fields={"body": f"不能超过 {limit_kb} KB"}
            )
        header = self.request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("登录凭证格式不正确", code="invalid_token")
            self.token = token.strip()
            self.actor = await authenticate(self.ctx, self.token)

    def max_body_bytes(self) -> int:
        """Larger bodies answer 413 before anything else runs (uploads raise their own)."""
        return int(self.ctx.config.http.max_body_bytes)

    def on_finish(self) -> None:
        if getattr(self, "_counted", False):
            self.settings["lifecycle"].leave()
            self._counted = False

    # ---------------------------------------------------------- input

    def load_body(self, schema: type[Schema]) -> dict[str, Any]:
        raw = self.request.body
        if not raw.strip():
            data: Any = {}
        else:
            data = parse_json(raw)
        return load(schema_instance(schema), data)

    def load_query(self, schema: type[Schema]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, values in self.request.query_arguments.items():
            if len(values) > 1:
                raise ValidationFailed(fields={name: "参数只能出现一次"})
            try:
                data[name] = values[0].decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationFailed(fields={name: "不是有效的文本"}) from None
        for key in ("limit",):
            if key in data and re.fullmatch(r"-?\d{1,12}", data[key]):
                data[key] = int(data[key])
        return load(schema_instance(schema), data)

    def idempotency_key(self) -> str | None:
        key = self.request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
            raise ValidationFailed(fields={"Idempotency-Key": "应为 8 到 128 位字母、数字或 -_:."})
        return key

    # ---------------------------------------------------------- output

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = app_error_for(kwargs.get("exc_info", (None, None, None))[1])
        self.clear()
        self.set_default_headers()
        if error.status == 503:
            self.set_header("Retry-After", "2")
        if error.status == 405:  # say which methods this path has (RFC 9110)
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        if self.settings["lifecycle"].draining:
            self.set_header("Connection", "close")
        self.set_status(error.status)
        self.finish(dumps(error.to_json()))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log_unexpected(typ, value, tb)

    def allowed_methods(self) -> list[str]:
        return [
            m
            for m in self.SUPPORTED_METHODS
            if hasattr(getattr(type(self), m.lower(), None), "__endpoint__")
        ]


class NotFoundHandler(BaseHandler):
    async def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


def log_request(handler: tornado.web.RequestHandler) -> None:
    started = getattr(handler, "started", None)
    elapsed = (time.monotonic() - started) * 1000 if started else handler.request.request_time()
    access_log.info(
        "request",
        extra={
            "method": handler.request.method,
            "path": handler.request.path,
            "status": handler.get_status(),
            "ms": round(elapsed, 1),
            "request_id": getattr(handler, "request_id", "-"),
        },
    )


def route(path: str, handler: type[tornado.web.RequestHandler], prefix: str = "/api/v1") -> Any:
    """`/orders/{id}` → a tornado URLSpec whose template the OpenAPI builder reads back."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", prefix + path)
    spec = tornado.web.url(pattern + "$", handler)
    spec.template = prefix + path  # type: ignore[attr-defined]
    return spec
