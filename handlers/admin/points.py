"""积分: the approval queue of adjustments and the ledger export of a period."""

from __future__ import annotations

from urllib.parse import quote

from handlers.admin.base import ERROR_MESSAGES, AdminHandler, admin_route, oid
from models.core.clock import BEIJING
from models.core.forms import NoteForm, ReasonForm
from models.people import directory
from models.points import adjustments, export
from server.errors import AppError


class PointsHandler(AdminHandler):
    nav = "points"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        today = self.ctx.now().astimezone(BEIJING).date()
        self.render(
            "points.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            pending=await adjustments.queue(self.ctx, org["_id"]),
            applied=await adjustments.queue(self.ctx, org["_id"], adjustments.APPLIED, 20),
            rejected=await adjustments.queue(self.ctx, org["_id"], adjustments.REJECTED, 10),
            threshold=adjustments.threshold(self.ctx),
            kind_names=adjustments.KIND_NAMES,
            month_first=today.replace(day=1),
            today=today,
            error=ERROR_MESSAGES.get(self.get_query_argument("err", ""), "操作未完成，请刷新后重试")
            if self.get_query_argument("err", "")
            else "",
        )


class DecideHandler(AdminHandler):
    async def post(self, id: str, decision: str) -> None:
        try:
            if decision == "approve":
                note = self.form(NoteForm)["note"]
                await adjustments.approve(
                    self.ctx, self.me, oid(id, "调整申请"), note, ip=self.client_ip
                )
                msg = "approved"
            else:
                data = self.form(ReasonForm)
                await adjustments.reject(
                    self.ctx, self.me, oid(id, "调整申请"), data["reason"], ip=self.client_ip
                )
                msg = "rejected"
        except AppError as exc:
            if exc.status == 404:
                raise
            self.redirect("/admin/points?err=" + quote(exc.code))
            return
        self.redirect("/admin/points?msg=" + msg)


class LedgerExportHandler(AdminHandler):
    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        first, last = self.date_range()
        content, _ = await export.ledger_workbook(self.ctx, self.me, org, first, last)
        self.send_file(content, f"积分台账-{org['name']}-{first}-{last}.xlsx")


default_handlers = [
    admin_route("/points", PointsHandler),
    admin_route("/points/export", LedgerExportHandler),
    admin_route("/adjustments/{id}/(?P<decision>approve|reject)", DecideHandler),
]
