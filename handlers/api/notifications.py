"""消息: the in-app inbox and the WeChat subscribe-message quotas."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import notifications
from models.core.validation import page
from models.notifications.schemas import (
    InboxQuery,
    NotificationList,
    QuotaList,
    ReadOut,
    ReadRequest,
    SubscriptionsRequest,
    UnreadCountOut,
)


class InboxHandler(BaseHandler):
    @endpoint(
        summary="我的消息（未读在前）",
        query=InboxQuery,
        response=NotificationList,
        tag="notifications",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await notifications.list_inbox(
            self.ctx, self.me.id, unread_only=a["unread"], cursor=a.get("cursor"), limit=a["limit"]
        )
        self.write_json(page([notifications.notification_json(n) for n in rows], next_cursor))


class UnreadCountHandler(BaseHandler):
    @endpoint(summary="未读消息数", response=UnreadCountOut, tag="notifications")
    async def get(self) -> None:
        self.write_json({"count": await notifications.unread_count(self.ctx, self.me.id)})


class ReadHandler(BaseHandler):
    @endpoint(
        summary="标记消息为已读（ids 或 all）",
        body=ReadRequest,
        response=ReadOut,
        tag="notifications",
    )
    async def post(self) -> None:
        updated = await notifications.mark_read(
            self.ctx, self.me.id, self.data.get("ids"), bool(self.data.get("all"))
        )
        unread = await notifications.unread_count(self.ctx, self.me.id)
        self.write_json({"updated": updated, "unread": unread})


class SubscriptionsHandler(BaseHandler):
    @endpoint(
        summary="可订阅的消息模板及剩余可发送次数",
        response=QuotaList,
        tag="notifications",
    )
    async def get(self) -> None:
        self.write_json({"items": await notifications.quotas(self.ctx, self.me.id)})

    @endpoint(
        summary="上报用户同意的订阅消息模板（每次同意可发送一条）",
        body=SubscriptionsRequest,
        response=QuotaList,
        idempotency_key=True,
        tag="notifications",
    )
    async def post(self) -> None:
        items = await notifications.report_subscriptions(
            self.ctx, self.me.id, self.data["template_ids"], self.idempotency_key()
        )
        self.write_json({"items": items})


default_handlers = [
    route("/notifications", InboxHandler),
    route("/notifications/unread-count", UnreadCountHandler),
    route("/notifications/read", ReadHandler),
    route("/subscriptions", SubscriptionsHandler),
]
