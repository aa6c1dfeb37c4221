"""Admin pages of content safety: 内容审核 (flagged text and images in scope, approve/hide)."""

from __future__ import annotations

from typing import Any

from handlers.admin.base import AdminHandler, admin_route, oid
from models.core.forms import EmptyForm
from models.media import safety
from models.media import service as media

KIND_NAMES = {"text": "文字", "image": "图片"}
FIELD_NAMES = {
    "description": "服务内容",
    "completion_note": "完成说明",
    "comment": "评价",
    "reason": "退回原因",
    "name": "姓名",
    "photos": "图片",
}
STATUS_NAMES = {
    "review": "待人工审核",
    "risky": "违规（已隐藏）",
    "pending": "待微信复检",
    "approved": "已通过",
    "hidden": "已隐藏",
}


class ModerationHandler(AdminHandler):
    nav = "moderation"

    async def get(self) -> None:
        status = self.query("status") or "open"
        if status not in ("open", *STATUS_NAMES):
            status = "open"
        rows = await safety.flagged(self.ctx, self.me, status=status)
        items: list[dict[str, Any]] = []
        for f in rows:
            items.append(
                {
                    "id": str(f["_id"]),
                    "kind": KIND_NAMES.get(f["kind"], f["kind"]),
                    "field": FIELD_NAMES.get(f["field"], f["field"]),
                    "text": f.get("text") or "",
                    "thumb": media.staff_url(self.ctx, f["media_id"])
                    if f.get("media_id")
                    else None,
                    "status": f["status"],
                    "status_name": STATUS_NAMES.get(f["status"], f["status"]),
                    "owner_type": f.get("owner_type"),
                    "owner_id": str(f["owner_id"]) if f.get("owner_id") else "",
                    "created_at": f["created_at"],
                }
            )
        self.render("moderation.html", items=items, status=status, statuses=STATUS_NAMES)


class DecideHandler(AdminHandler):
    decision = ""

    async def post(self, id: str) -> None:
        self.form(EmptyForm)
        flag = await safety.decide(self.ctx, self.me, oid(id, "审核记录"), self.decision)
        message = "已通过" if self.decision == "approve" else "已隐藏"
        if self.wants_json:
            self.write_json({"ok": True, "status": flag["status"], "message": message})
        else:
            self.redirect("/admin/moderation")


class ApproveHandler(DecideHandler):
    decision = "approve"


class HideHandler(DecideHandler):
    decision = "hide"


default_handlers = [
    admin_route("/moderation", ModerationHandler),
    admin_route("/moderation/{id}/approve", ApproveHandler),
    admin_route("/moderation/{id}/hide", HideHandler),
]
