"""Admin pages of 民意: the board with filters, an item with its handling, the printable
民意一码通 poster, and 民情分析 (figures per node and month, Excel export)."""

from __future__ import annotations

import re
from urllib.parse import quote

from handlers.admin.base import AdminHandler, admin_route, oid
from models import voices
from models.core.forms import EmptyForm, ReasonForm
from models.people import directory
from models.voices import analysis, qr
from models.voices.forms import AssignForm, CloseForm, ReplyForm
from server.errors import NotFound, ValidationFailed

PAGE = 30


class VoiceBoard(AdminHandler):
    nav = "voices"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        status = self.query("status")
        kind = self.query("kind")
        month = self.query("month") or ("" if status else analysis.current_month(self.ctx))
        if status and status not in voices.STATUSES:
            raise ValidationFailed(fields={"status": "状态无效"})
        if kind and kind not in voices.KINDS:
            raise ValidationFailed(fields={"kind": "类型无效"})
        if month and not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValidationFailed(fields={"month": "月份格式应为 YYYY-MM"})
        cursor = self.query("cursor") or None
        rows, next_cursor = await voices.list_voices(
            self.ctx,
            self.me,
            scope="scope",
            status=status or None,
            kind=kind or None,
            org_id=org["_id"],
            month=month or None,
            cursor=cursor,
            limit=PAGE,
        )
        self.render(
            "voices.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            status=status,
            kind=kind,
            month=month,
            kinds=voices.KINDS,
            statuses=voices.STATUS_NAMES,
            items=[voices.voice_json(self.ctx, v, self.me) for v in rows],
            next_cursor=next_cursor,
        )


class VoicePage(AdminHandler):
    nav = "voices"

    async def get(self, id: str) -> None:
        voice = await voices.get_visible(self.ctx, self.me, oid(id, "民意"))
        if not self.me.manages(voice["org_path"]) and not self.me.manages(voice["charge_path"]):
            raise NotFound("找不到该民意", code="voice_not_found")
        shown = voices.voice_json(self.ctx, voice, self.me)
        recs = []
        if "assign" in shown["actions"]:
            recs = await voices.recommend_handlers(self.ctx, self.me, voice["_id"])
        self.render("voice.html", v=shown, recs=recs)


def _back(handler: AdminHandler, voice: dict, text: str) -> str:
    """Back to the voice's page with `text` as its banner."""
    handler.flash(text)
    return f"/admin/voices/{voice['_id']}"


class AcceptVoice(AdminHandler):
    async def post(self, id: str) -> None:
        self.form(EmptyForm)
        voice = await voices.accept_voice(self.ctx, self.me, oid(id, "民意"))
        self.redirect(_back(self, voice, "已受理，由您本人办理"))


class AssignVoice(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(AssignForm)
        voice = await voices.assign_voice(self.ctx, self.me, oid(id, "民意"), data)
        self.redirect(_back(self, voice, f"已指派给 {voice['handler_name']}"))


class ReplyVoice(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(ReplyForm)
        voice = await voices.reply_voice(self.ctx, self.me, oid(id, "民意"), data)
        self.redirect(_back(self, voice, "已答复，等待群众评价"))


class TransferVoice(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(ReasonForm)
        voice = await voices.transfer_voice(self.ctx, self.me, oid(id, "民意"), data["reason"])
        self.redirect(_back(self, voice, "已上报上级组织办理"))


class CloseVoice(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(CloseForm)
        voice = await voices.close_voice(
            self.ctx, self.me, oid(id, "民意"), data["reason"], upheld=CloseForm.upheld_value(data)
        )
        self.redirect(_back(self, voice, "已办结"))


class PosterPage(AdminHandler):
    """The printable A4 poster of a node's 民意一码通 (PNG or PDF)."""

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        fmt = self.query("format", "png")
        if fmt not in ("png", "pdf"):
            raise ValidationFailed(fields={"format": "格式应为 png 或 pdf"})
        content = await qr.poster_for(self.ctx, self.settings["wechat"], org["_id"], fmt)
        kind = "application/pdf" if fmt == "pdf" else "image/png"
        self.set_header("Content-Type", kind)
        name = quote(f"民意一码通-{org['name']}.{fmt}")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
        self.finish(content)


def _month(handler: AdminHandler) -> str:
    month = handler.query("month") or analysis.current_month(handler.ctx)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValidationFailed(fields={"month": "月份格式应为 YYYY-MM"})
    return month


class AnalysisPage(AdminHandler):
    nav = "analysis"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        month = _month(self)
        figures = await analysis.figures(self.ctx, org["_id"], month)
        if self.wants_json:
            self.write_json(figures)
            return
        self.render(
            "voice_analysis.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            month=month,
            f=figures,
            kinds=voices.KINDS,
        )


class AnalysisExport(AdminHandler):
    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        month = _month(self)
        figures = await analysis.figures(self.ctx, org["_id"], month)
        items, _ = await voices.list_voices(
            self.ctx,
            self.me,
            scope="scope",
            org_id=org["_id"],
            month=month,
            limit=5000,
        )
        content = analysis.export_xlsx(org["name"], figures, items[:5000])
        self.send_file(content, f"民情分析-{org['name']}-{month}.xlsx")


default_handlers = [
    admin_route("/voices", VoiceBoard),
    admin_route("/voices/analysis", AnalysisPage),
    admin_route("/voices/analysis/export", AnalysisExport),
    admin_route("/voices/poster", PosterPage),
    admin_route("/voices/{id}", VoicePage),
    admin_route("/voices/{id}/accept", AcceptVoice),
    admin_route("/voices/{id}/assign", AssignVoice),
    admin_route("/voices/{id}/reply", ReplyVoice),
    admin_route("/voices/{id}/transfer", TransferVoice),
    admin_route("/voices/{id}/close", CloseVoice),
]
