"""Admin form fields and forms every domain shares: strict, Chinese messages."""

from __future__ import annotations

from marshmallow import fields

from models.core.validation import (
    _REQUIRED,
    StrictSchema,
    Text,
)


class FormInt(fields.Integer):
    """An integer typed into a form (arrives as text)."""

    default_error_messages = {**_REQUIRED, "invalid": "应为整数", "too_large": "数值过大"}


class FormBool(fields.Boolean):
    """A checkbox or select typed into a form: "on", "true", "1" … (marshmallow's sets)."""

    default_error_messages = {**_REQUIRED, "invalid": "应为是或否"}


class ReasonForm(StrictSchema):
    reason = Text(200, required=True)


class NoteForm(StrictSchema):
    note = Text(200, load_default="")


class EmptyForm(StrictSchema):
    pass
