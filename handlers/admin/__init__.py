"""Server-rendered admin pages for secretaries and committee admins (`/admin/…`)."""

from __future__ import annotations

from typing import Any

import tornado.web

from handlers.admin import (
    activities,
    certificates,
    honours,
    media,
    notifications,
    ops,
    orders,
    people,
    points,
    records,
    reports,
    rewards,
    transfers,
    voices,
    wishes,
)
from handlers.admin.base import STATIC, AdminNotFound


class StaticHandler(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "public, max-age=86400")


def admin_routes() -> list[Any]:
    return [
        tornado.web.url(r"/admin/static/(.*)", StaticHandler, {"path": str(STATIC)}),
        *people.default_handlers,
        *ops.default_handlers,
        *orders.default_handlers,
        *points.default_handlers,
        *media.default_handlers,
        *transfers.default_handlers,
        *reports.default_handlers,
        *records.default_handlers,
        *certificates.default_handlers,
        *honours.default_handlers,
        *activities.default_handlers,
        *rewards.default_handlers,
        *wishes.default_handlers,
        *voices.default_handlers,
        *notifications.default_handlers,
        tornado.web.url(r"/admin/.*", AdminNotFound),
    ]


ADMIN_SETTINGS: dict[str, Any] = {
    # The JSON API uses bearer tokens; only AdminHandler checks xsrf (in its prepare).
    "xsrf_cookie_kwargs": {"httponly": True, "samesite": "Strict", "path": "/admin"},
}
