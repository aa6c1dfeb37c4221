"""Admin forms of the 民意 board (posted from the server-rendered pages)."""

from __future__ import annotations

from models.core.forms import FormBool
from models.core.validation import ObjectIdField, StrictSchema, Text


class AssignForm(StrictSchema):
    handler_id = ObjectIdField(required=True)
    note = Text(200, load_default="")


class ReplyForm(StrictSchema):
    text = Text(1000, required=True)
    public = FormBool(load_default=False, truthy={"on", "true", "1"}, falsy={"off", "false", "0"})


class CloseForm(StrictSchema):
    reason = Text(200, load_default="")
