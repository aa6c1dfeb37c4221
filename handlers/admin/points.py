"""积分: the approval queue of adjustments and the ledger export of a period."""

from __future__ import annotations

from urllib.parse import quote

from handlers.admin.base import AdminHandler, admin_route, oid
from models.core import clock
from models.core.clock import BEIJING
from models.core.forms import NoteForm, ReasonForm
from models.ops import audit
from models.people import directory, orgs, roster
from models.points import adjustments
from server.errors import AppError

SOURCE_NAMES = {"order": "服务工单", "adjustment": "人工调整", "activity": "志愿活动"}


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
            error=self.get_query_argument("err", ""),
        )


class DecideHandler(AdminHandler):
    async def post(self, id: str, decision: str) -> None:
        try:
            if decision == "approve":
                note = self.form(NoteForm)["note"]
                await adjustments.approve(
                    self.ctx, self.me, oid(id, "调整申请"), note, ip=self.client_ip
                )
                msg = "已审批通过，积分已入账"
            else:
                data = self.form(ReasonForm)
                await adjustments.reject(
                    self.ctx, self.me, oid(id, "调整申请"), data["reason"], ip=self.client_ip
                )
                msg = "已驳回该调整申请"
        except AppError as exc:
            if exc.status == 404:
                raise
            detail = "；".join(exc.fields.values()) if exc.fields else exc.message
            self.redirect("/admin/points?err=" + quote(detail))
            return
        self.redirect("/admin/points?msg=" + quote(msg))


class LedgerExportHandler(AdminHandler):
    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        first, last = self.date_range()
        since, _ = clock.day_bounds(first)
        _, until = clock.day_bounds(last)
        rows = await adjustments.ledger_rows(self.ctx, org["_id"], since, until)
        tree = await orgs.all_orgs(self.ctx)
        ids = list(
            {r["member_id"] for r in rows} | {r["actor_id"] for r in rows if r.get("actor_id")}
        )
        names = {
            u["_id"]: u.get("name") or ""
            async for u in self.ctx.db.users.find({"_id": {"$in": ids}}, {"name": 1})
        }
        table = [
            [
                roster.local_time(r["created_at"]),
                names.get(r["member_id"], ""),
                tree.get(r["org_path"][-1], {}).get("name", "") if r.get("org_path") else "",
                adjustments.KIND_NAMES.get(r["kind"], r["kind"]),
                r["delta"],
                r["reason"],
                SOURCE_NAMES.get(r["source"]["type"], r["source"]["type"]),
                str(r["source"]["id"]),
                names.get(r.get("actor_id"), "系统") if r.get("actor_id") else "系统",
            ]
            for r in rows
        ]
        content = roster.workbook_bytes("积分台账", roster.LEDGER_HEADERS, table)
        await audit.record(
            self.ctx,
            self.me,
            "points.export",
            org_path=org["path"],
            target_type="org",
            target_id=org["_id"],
            target_label=org["name"],
            reason=f"{first} 至 {last}，{len(rows)} 条",
            ip=self.client_ip,
        )
        self.send_file(content, f"积分台账-{org['name']}-{first}-{last}.xlsx")


default_handlers = [
    admin_route("/points", PointsHandler),
    admin_route("/points/export", LedgerExportHandler),
    admin_route("/adjustments/{id}/(?P<decision>approve|reject)", DecideHandler),
]
