"""What the admin pages of the points mall accept (forms arrive as text)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import fields, post_load

from models.core.clock import BEIJING
from models.core.forms import FormInt
from models.core.validation import _REQUIRED, ObjectIdField, OneOf, Range, Str, StrictSchema, Text
from models.rewards.items import LIMIT_PERIODS


class FormDate(fields.Date):
    default_error_messages = {**_REQUIRED, "invalid": "日期格式应为 YYYY-MM-DD"}


class FormBool(fields.Boolean):
    default_error_messages = {**_REQUIRED, "invalid": "应为是或否"}


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=BEIJING)


class ItemForm(StrictSchema):
    name = Text(60)
    description = Text(1000)
    price = FormInt(validate=Range(min=1, max=1_000_000))
    limit_per_member = FormInt(validate=Range(min=1, max=1000))
    limit_period = Str(validate=OneOf(list(LIMIT_PERIODS)))
    valid_from = FormDate()
    valid_until = FormDate(metadata={"description": "最后一天（含）"})
    pickup_place = Text(100)
    pickup_hours = Text(100)
    merchant = Text(60)
    active = FormBool()
    add_stock = FormInt(validate=Range(min=-100_000, max=100_000))

    @post_load
    def to_moments(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "valid_from" in data:
            data["valid_from"] = _start(data["valid_from"])
        if "valid_until" in data:  # the whole last day counts
            data["valid_until"] = _start(data["valid_until"] + timedelta(days=1))
        return data


class NewItemForm(ItemForm):
    org_id = ObjectIdField(required=True)
    name = Text(60, required=True)
    price = FormInt(required=True, validate=Range(min=1, max=1_000_000))
    stock = FormInt(required=True, validate=Range(min=0, max=100_000))


class PickupForm(StrictSchema):
    code = Text(32, required=True, min_len=4)
