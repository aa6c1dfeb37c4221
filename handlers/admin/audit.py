"""操作日志: every admin action in the caller's subtree, filterable."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route
from models import audit, directory, stats
from server.errors import ValidationFailed

PAGE = 50


class AuditHandler(AdminHandler):
    nav = "audit"

    async def get(self) -> None:
        assert self.actor is not None
        org = await self.scoped_org(self.query("org"))
        action = self.query("action")
        if action and action not in audit.ACTION_NAMES:
            raise ValidationFailed(fields={"action": "操作类型无效"})
        first, last = self.date_range(default_days=30)
        since, _ = stats.day_bounds(first)
        _, until = stats.day_bounds(last)
        offset = self.int_query("offset")
        who = self.query("who")[:40]
        rows = await audit.search(
            self.ctx,
            self.actor,
            org_id=org["_id"],
            action=action or None,
            actor_name=who or None,
            since=since,
            until=until,
            offset=offset,
            limit=PAGE,
        )
        self.render(
            "audit.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.actor),
            items=rows[:PAGE],
            has_more=len(rows) > PAGE,
            offset=offset,
            page_size=PAGE,
            action=action,
            who=who,
            first=first,
            last=last,
            action_names=audit.ACTION_NAMES,
        )


default_handlers = [admin_route("/audit", AuditHandler)]
