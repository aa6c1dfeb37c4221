"""Admin pages of notifications: the SMS deliveries (短信发送记录) inside the staff's scope."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route
from models.notifications import sms
from models.people import directory

PAGE = 50


class SmsHandler(AdminHandler):
    nav = "sms"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        cursor = self.query("cursor")
        rows, next_cursor = await sms.recent(self.ctx, org["_id"], cursor=cursor, limit=PAGE)
        self.render(
            "sms.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            items=[sms.sms_json(r) for r in rows],
            next_cursor=next_cursor,
            cursor=cursor,
            configured=bool(getattr(self.ctx.sms, "configured", False)),
        )


default_handlers = [admin_route("/sms", SmsHandler)]
