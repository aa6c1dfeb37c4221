"""数据看板."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route
from models import directory, orders, stats


class DashboardHandler(AdminHandler):
    nav = "dashboard"

    async def get(self) -> None:
        assert self.actor is not None
        org = await self.scoped_org(self.query("org"))
        first, last = self.date_range()
        data = await stats.dashboard(self.ctx, org, first, last)
        overdue = await stats.overdue_orders(self.ctx, data["overdue_ids"])
        self.render(
            "dashboard.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.actor),
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


default_handlers = [
    admin_route("/", DashboardHandler),
    admin_route("", RootRedirect),
]
