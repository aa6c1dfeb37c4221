"""The member's service record page, transfer history, and the dossier downloads."""

from __future__ import annotations

import asyncio
from datetime import date

from handlers.admin.base import AdminHandler, admin_route, oid
from models import records, transfers
from models.records import documents
from server.errors import ValidationFailed


class RecordMixin(AdminHandler):
    def period(self) -> tuple[date | None, date | None]:
        try:
            since = date.fromisoformat(self.query("from")) if self.query("from") else None
            until = date.fromisoformat(self.query("to")) if self.query("to") else None
        except ValueError:
            raise ValidationFailed(fields={"from": "日期格式应为 YYYY-MM-DD"}) from None
        return since, until


class RecordHandler(RecordMixin):
    nav = "members"

    async def get(self, id: str) -> None:
        member_id = oid(id, "队员")
        since, until = self.period()
        record = await records.record_for(self.ctx, self.me, member_id, since, until)
        history = await transfers.member_history(self.ctx, member_id)
        self.render(
            "record.html",
            r=record,
            history=[transfers.transfer_json(t, self.me) for t in history],
            stages=records.DOSSIER_STAGES,
            since=self.query("from"),
            until=self.query("to"),
        )


class DossierHandler(RecordMixin):
    async def get(self, id: str) -> None:
        since, until = self.period()
        stage = self.query("stage") or None
        if stage is not None and stage not in records.DOSSIER_STAGES:
            raise ValidationFailed(fields={"stage": "阶段无效"})
        dossier = await records.dossier_for(self.ctx, self.me, oid(id, "队员"), since, until, stage)
        name = dossier["record"]["member"]["name"]
        if self.query("format") == "xlsx":
            content = documents.dossier_xlsx(dossier)
            self.send_file(content, f"发展党员考察-{name}.xlsx")
            return
        loop = asyncio.get_running_loop()
        pdf = await loop.run_in_executor(None, documents.dossier_pdf, dossier)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", "attachment; filename=dossier.pdf")
        self.finish(pdf)


default_handlers = [
    admin_route("/members/{id}/record", RecordHandler),
    admin_route("/members/{id}/dossier", DossierHandler),
]
