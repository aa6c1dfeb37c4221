"""The member's service record (`/me/record`, `/members/{id}/record`) and the dossier."""

from __future__ import annotations

import asyncio

from handlers.base import BaseHandler, endpoint, route
from models import records
from models.core.validation import parse_id
from models.records import documents
from models.records.schemas import DossierQuery, RecordOut, RecordQuery

STAFF = ("secretary", "admin")


class MyRecordHandler(BaseHandler):
    @endpoint(
        summary="我的志愿服务记录（积分、时长按月，服务、荣誉）",
        query=RecordQuery,
        response=RecordOut,
        tag="records",
    )
    async def get(self) -> None:
        a = self.args
        record = await records.record_for(
            self.ctx, self.me, self.me.id, a.get("from_"), a.get("to")
        )
        self.write_json(record)


class MemberRecordHandler(BaseHandler):
    @endpoint(
        summary="队员的志愿服务记录（本组织范围内）",
        query=RecordQuery,
        response=RecordOut,
        roles=STAFF,
        tag="records",
    )
    async def get(self, id: str) -> None:
        a = self.args
        member_id = parse_id(id, "队员")
        record = await records.record_for(self.ctx, self.me, member_id, a.get("from_"), a.get("to"))
        self.write_json(record)


class DossierHandler(BaseHandler):
    @endpoint(
        summary="发展党员考察材料：按阶段指标逐项比对（format=pdf|xlsx 下载）",
        query=DossierQuery,
        roles=STAFF,
        tag="records",
    )
    async def get(self, id: str) -> None:
        a = self.args
        member_id = parse_id(id, "队员")
        dossier = await records.dossier_for(
            self.ctx, self.me, member_id, a.get("from_"), a.get("to"), a.get("stage")
        )
        name = f"dossier-{member_id}"
        if a["format"] == "pdf":
            loop = asyncio.get_running_loop()
            pdf = await loop.run_in_executor(None, documents.dossier_pdf, dossier)
            self.send_file(pdf, "application/pdf", f"{name}.pdf")
        elif a["format"] == "xlsx":
            xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            self.send_file(documents.dossier_xlsx(dossier), xlsx, f"{name}.xlsx")
        else:
            self.write_json(dossier)

    def send_file(self, content: bytes, content_type: str, filename: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(content)


default_handlers = [
    route("/me/record", MyRecordHandler),
    route("/members/{id}/record", MemberRecordHandler),
    route("/members/{id}/dossier", DossierHandler),
]
