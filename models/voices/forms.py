"""Admin forms of the 民意 board (posted from the server-rendered pages)."""

from __future__ import annotations

from models.core.forms import FormBool
from models.core.validation import ObjectIdField, OneOf, Str, StrictSchema, Text


class AssignForm(StrictSchema):
    handler_id = ObjectIdField(required=True)
    note = Text(200, load_default="")


class ReplyForm(StrictSchema):
    text = Text(1000, required=True)
    public = FormBool(load_default=False, truthy={"on", "true", "1"}, falsy={"off", "false", "0"})


class CloseForm(StrictSchema):
    reason = Text(200, load_default="")
    upheld = Str(load_default="", validate=OneOf(["", "yes", "no"]))  # 投诉属实 / 不属实 / 未认定

    @staticmethod
    def upheld_value(data: dict) -> bool | None:
        return {"yes": True, "no": False}.get(data["upheld"])
