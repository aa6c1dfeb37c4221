"""Admin pages of running the service: the dashboard (数据看板) and the audit log (操作日志)."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route
from models import orders
from models.core import clock
from models.ops import audit, stats
from models.people import directory
from server.errors import ValidationFailed


class DashboardHandler(AdminHandler):
    nav = "dashboard"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        first, last = self.date_range()
        data = await stats.dashboard(self.ctx, org, first, last)
        overdue = await stats.overdue_orders(self.ctx, data["overdue_ids"])
        self.render(
            "dashboard.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            first=first,
            last=last,
            d=data,
            overdue=overdue,
            fmt_minutes=stats.fmt_minutes,
            status_names=orders.STATUS_NAMES,
        )


class RootRedirect(AdminHandler):
    async def get(self) -> None:
        self.redirect("/admin/")


PAGE = 50


class AuditHandler(AdminHandler):
    nav = "audit"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        action = self.query("action")
        if action and action not in audit.ACTION_NAMES:
            raise ValidationFailed(fields={"action": "操作类型无效"})
        first, last = self.date_range(default_days=30)
        since, _ = clock.day_bounds(first)
        _, until = clock.day_bounds(last)
        cursor = self.query("cursor")
        who = self.query("who")[:40]
        rows, next_cursor = await audit.search(
            self.ctx,
            self.me,
            org_id=org["_id"],
            action=action or None,
            actor_name=who or None,
            since=since,
            until=until,
            cursor=cursor,
            limit=PAGE,
        )
        self.render(
            "audit.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            items=rows,
            next_cursor=next_cursor,
            cursor=cursor,
            action=action,
            who=who,
            first=first,
            last=last,
            action_names=audit.ACTION_NAMES,
        )


default_handlers = [
    admin_route("/", DashboardHandler),
    admin_route("", RootRedirect),
    admin_route("/audit", AuditHandler),
]
