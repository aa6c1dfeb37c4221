"""Admin pages of micro-wishes: the review list of a node, approve and reject."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route, oid
from models import wishes
from models.core.forms import EmptyForm, ReasonForm
from models.people import directory

PAGE = 30


class WishesPage(AdminHandler):
    nav = "wishes"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        status = self.query("status", "submitted")
        if status not in wishes.STATUSES:
            status = "submitted"
        cursor = self.query("cursor") or None
        rows, next_cursor = await wishes.list_wishes(
            self.ctx,
            self.me,
            scope="org",
            org_id=org["_id"],
            status=status,
            cursor=cursor,
            limit=PAGE,
        )
        self.render(
            "wishes.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            status=status,
            statuses=wishes.STATUS_NAMES,
            items=[wishes.wish_json(self.ctx, w, self.me) for w in rows],
            next_cursor=next_cursor,
        )


class ApproveWish(AdminHandler):
    async def post(self, id: str) -> None:
        self.form(EmptyForm)
        wish = await wishes.approve_wish(self.ctx, self.me, oid(id, "心愿"))
        self.flash("已审核通过，心愿已上墙")
        self.redirect(f"/admin/wishes?org={wish['org_id']}")


class RejectWish(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(ReasonForm)
        wish = await wishes.reject_wish(self.ctx, self.me, oid(id, "心愿"), data["reason"])
        self.flash("已退回该心愿")
        self.redirect(f"/admin/wishes?org={wish['org_id']}")


default_handlers = [
    admin_route("/wishes", WishesPage),
    admin_route("/wishes/{id}/approve", ApproveWish),
    admin_route("/wishes/{id}/reject", RejectWish),
]
