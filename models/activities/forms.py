"""What the activity forms of the admin pages accept (HTML forms: text in, typed out)."""

from __future__ import annotations

from typing import Any

from marshmallow import post_load

from models.activities.states import ATTENDANCE_MARKS, KINDS, POINTS_MODES
from models.core.forms import FormBool, FormInt
from models.core.validation import (
    AwareDateTime,
    Float,
    Hours,
    ObjectIdField,
    OneOf,
    Range,
    Str,
    StrictSchema,
    Text,
)


class ActivityForm(StrictSchema):
    title = Text(60, min_len=2, required=True)
    description = Text(2000, load_default="")
    address = Text(200, load_default="")
    lng = Float(validate=Range(min=-180, max=180))
    lat = Float(validate=Range(min=-90, max=90))
    radius_m = FormInt(validate=Range(min=20, max=5000))
    start_at = AwareDateTime(required=True)
    end_at = AwareDateTime(required=True)
    signup_opens_at = AwareDateTime()
    signup_closes_at = AwareDateTime()
    capacity = FormInt(validate=Range(min=1, max=100_000))
    open_to_residents = FormBool(load_default=False)
    points_mode = Str(load_default="none", validate=OneOf(list(POINTS_MODES)))
    points_value = FormInt(load_default=0, validate=Range(min=0, max=1000))
    award_hours = FormBool(load_default=False)

    @post_load
    def to_service(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        lng, lat = data.pop("lng", None), data.pop("lat", None)
        data["location"] = (
            {"type": "Point", "coordinates": [lng, lat]}
            if lng is not None and lat is not None
            else None
        )
        data.setdefault("capacity", None)
        return data


class NewActivityForm(ActivityForm):
    org_id = ObjectIdField(required=True)
    kind = Str(required=True, validate=OneOf(list(KINDS)))
    publish = FormBool(load_default=False)


class MinutesForm(StrictSchema):
    minutes = Text(5000, load_default="")


class CorrectionForm(StrictSchema):
    member_id = ObjectIdField(required=True)
    action = Str(required=True, validate=OneOf(["checkin", "checkout", "hours", "mark"]))
    at = AwareDateTime()
    hours = Hours(validate=Range(min=0, max=168))
    attendance = Str(validate=OneOf(list(ATTENDANCE_MARKS)))
    reason = Text(200, required=True)
