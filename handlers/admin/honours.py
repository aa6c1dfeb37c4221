"""服务标兵/党员之星: the month's proposals of a node, confirmed as proposed or edited."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route, oid
from handlers.admin.service_common import act
from models import honours
from models.core.validation import List, ObjectIdField, StrictSchema
from models.people import directory


class ConfirmForm(StrictSchema):
    member_ids = List(ObjectIdField(required=True), load_default=list)


class HonoursHandler(AdminHandler):
    nav = "honours"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        rows = await honours.list_for_node(self.ctx, org["_id"])
        self.render(
            "honours.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=rows,
            error=self.flash_error,
        )


class ConfirmHandler(AdminHandler):
    async def post(self, id: str) -> None:
        hid = oid(id, "荣誉名单")
        ids = self.form(ConfirmForm, multi=("member_ids",))["member_ids"]
        ctx, me = self.ctx, self.me
        await act(
            self, "/admin/honours", lambda: honours.confirm(ctx, me, hid, ids), "名单已确认并发布"
        )


default_handlers = [
    admin_route("/honours", HonoursHandler),
    admin_route("/honours/{id}/confirm", ConfirmHandler),
]
