"""What the points adjustment and reversal forms of the admin pages accept."""

from __future__ import annotations

from models.core.validation import (
    Float,
    ObjectIdField,
    OneOf,
    Range,
    Str,
    StrictSchema,
    Text,
)


class AdjustForm(StrictSchema):
    kind = Str(load_default="points", validate=OneOf(["points", "hours"]))
    delta = Float(required=True, validate=Range(min=-100_000, max=100_000))
    reason = Text(200, required=True)


class ReverseForm(StrictSchema):
    entry_id = ObjectIdField(required=True)
    reason = Text(200, required=True)
