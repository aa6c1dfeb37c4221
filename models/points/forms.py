"""What the points adjustment and reversal forms of the admin pages accept."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validates_schema

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

    @validates_schema
    def whole_points(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Points are whole; hours take one digit after the point (the ledger's units)."""
        delta = data["delta"]  # within ±100,000 (Range ran before this)
        if data.get("kind", "points") == "points":
            if delta != int(delta):
                raise ValidationError("积分应为整数", "delta")
            data["delta"] = int(delta)
        elif abs(delta * 10 - round(delta * 10)) > 1e-9:
            raise ValidationError("时长最多保留一位小数", "delta")


class ReverseForm(StrictSchema):
    entry_id = ObjectIdField(required=True)
    reason = Text(200, required=True)
