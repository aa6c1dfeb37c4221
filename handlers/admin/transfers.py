"""组织关系转接: the transfers in and out of a node, with their transitions."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route, oid
from handlers.admin.service_common import act
from models import transfers
from models.core.forms import EmptyForm, ReasonForm
from models.people import directory


class TransfersHandler(AdminHandler):
    nav = "transfers"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        actor = self.me
        rows, _ = await transfers.list_transfers(
            self.ctx, actor, status=None, cursor=None, limit=100
        )
        rows = [t for t in rows if org["_id"] in t["scope_paths"]]
        self.render(
            "transfers.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=[transfers.transfer_json(t, actor) for t in rows],
            error=self.flash_error,
        )


class TransferActionHandler(AdminHandler):
    async def post(self, id: str, action: str) -> None:
        tid = oid(id, "转接记录")
        ctx, me = self.ctx, self.me
        if action == "return":
            reason = self.form(ReasonForm)["reason"]
            work = lambda: transfers.return_transfer(ctx, me, tid, reason)  # noqa: E731
        elif action == "cancel":
            work = lambda: transfers.cancel(ctx, me, tid, "")  # noqa: E731
        else:
            self.form(EmptyForm)
            fn = transfers.approve if action == "approve" else transfers.accept
            work = lambda: fn(ctx, me, tid)  # noqa: E731
        names = {"approve": "已审批，介绍信已开具", "accept": "已接收，组织关系已转入"}
        await act(self, "/admin/transfers", work, names.get(action, "已处理"))


default_handlers = [
    admin_route("/transfers", TransfersHandler),
    admin_route("/transfers/{id}/(?P<action>approve|accept|return|cancel)", TransferActionHandler),
]
