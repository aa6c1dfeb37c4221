"""Errors the domain raises; `handlers.base` turns each into one JSON shape.

Services raise these, never tornado's HTTPError, so they can be driven without HTTP.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ):
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationFailed(AppError):
    status = 400
    code = "validation_failed"
    message = "提交的内容有误"


class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"
    message = "请先登录"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "没有权限执行此操作"


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "找不到该记录"


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "当前状态不允许此操作"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "提交的内容过大"


class Unprocessable(AppError):
    status = 422
    code = "unprocessable"
    message = "请求无法处理"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = "请求过于频繁，请稍后再试"


class UpstreamFailed(AppError):
    status = 502
    code = "wechat_unavailable"
    message = "微信服务暂时不可用，请稍后再试"


class ServiceUnavailable(AppError):
    status = 503
    code = "database_unavailable"
    message = "服务暂时不可用，请稍后再试"
