"""Wire schemas of activities: what each endpoint accepts (strict) and answers (OpenAPI)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields, validates_schema
from marshmallow import ValidationError as MarshmallowError

from models.activities.states import ATTENDANCE_MARKS, KINDS, POINTS_MODES, STATUSES
from models.core.validation import (
    AwareDateTime,
    Bool,
    Float,
    GeoPointSchema,
    Hours,
    Int,
    List,
    Nested,
    ObjectIdField,
    OneOf,
    PageQuery,
    Points,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len
from models.media.schemas import PhotoOut
from models.orders.schemas import GeoPointOut


def MediaIds():
    """Photos: media ids (ObjectId strings), at most 9."""
    return List(ObjectIdField(required=True), validate=Len(max=9))


class ActivityFields(StrictSchema):
    title = Text(60, min_len=2)
    description = Text(2000)
    photos = MediaIds()
    address = Text(200)
    location = Nested(GeoPointSchema, allow_none=True)
    radius_m = Int(validate=Range(min=20, max=5000))
    start_at = AwareDateTime()
    end_at = AwareDateTime()
    signup_opens_at = AwareDateTime(allow_none=True)
    signup_closes_at = AwareDateTime(allow_none=True)
    capacity = Int(allow_none=True, validate=Range(min=1, max=100_000))
    open_to_residents = Bool()
    points_mode = Str(validate=OneOf(list(POINTS_MODES)))
    points_value = Points(validate=Range(min=0, max=1000))
    award_hours = Bool()


class CreateActivityRequest(ActivityFields):
    org_id = ObjectIdField(required=True, metadata={"description": "组织活动的节点"})
    kind = Str(required=True, validate=OneOf(list(KINDS)))
    title = Text(60, min_len=2, required=True)
    start_at = AwareDateTime(required=True)
    end_at = AwareDateTime(required=True)
    publish = Bool(load_default=False)


class EditActivityRequest(ActivityFields):
    OPENAPI_EXTRA: ClassVar[dict[str, Any]] = {"minProperties": 1}  # 请至少修改一项
    minutes = Text(5000)
    minutes_photos = MediaIds()

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise MarshmallowError("请至少修改一项", "body")


class ActivityQuery(PageQuery):
    org_id = ObjectIdField()
    kind = Str(validate=OneOf(list(KINDS)))
    status = Str(validate=OneOf(list(STATUSES)))
    near = Str(validate=Len(max=60), metadata={"description": "经度,纬度：按距离排序"})


class MyActivityQuery(PageQuery):
    when = Str(validate=OneOf(["upcoming", "past"]))


class QrQuery(StrictSchema):
    direction = Str(load_default="in", validate=OneOf(["in", "out"]))


class ScanRequest(StrictSchema):
    token = Text(200, required=True)
    location = Nested(GeoPointSchema, allow_none=True)
    accuracy = Float(validate=Range(min=0, max=100_000), metadata={"description": "定位精度（米）"})


class CorrectionRequest(StrictSchema):
    member_id = ObjectIdField(required=True)
    action = Str(required=True, validate=OneOf(["checkin", "checkout", "hours", "mark"]))
    at = AwareDateTime()
    hours = Hours(validate=Range(min=0, max=168))
    attendance = Str(validate=OneOf(list(ATTENDANCE_MARKS)))
    reason = Text(200, required=True)


class SignupOut(Schema):
    id = fields.String(required=True)
    activity_id = fields.String()
    member_id = fields.String()
    member_name = fields.String()
    status = fields.String()
    status_name = fields.String()
    queued_at = fields.DateTime(allow_none=True)
    checkin_at = fields.DateTime(allow_none=True)
    checkout_at = fields.DateTime(allow_none=True)
    checkin_method = fields.String(allow_none=True)
    checkout_method = fields.String(allow_none=True)
    checkin_distance_m = fields.Float(allow_none=True)
    checkout_distance_m = fields.Float(allow_none=True)
    forgot_checkout = fields.Boolean()
    hours = fields.Float(allow_none=True)
    attendance = fields.String(allow_none=True)
    leave_reason = fields.String()
    no_show = fields.Boolean()
    settled = fields.Boolean()
    points_awarded = fields.Integer(allow_none=True)
    hours_awarded = fields.Float(allow_none=True)


class TimelineOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    action_name = fields.String()
    actor_name = fields.String()
    note = fields.String()


class ActivityOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    status_name = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String()
    photos = fields.List(fields.Nested(PhotoOut))
    address = fields.String()
    location = fields.Nested(GeoPointOut, allow_none=True)
    radius_m = fields.Integer(allow_none=True)
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    signup_opens_at = fields.DateTime(allow_none=True)
    signup_closes_at = fields.DateTime(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    signed_up = fields.Integer()
    waiting = fields.Integer()
    places_left = fields.Integer(allow_none=True)
    open_to_residents = fields.Boolean()
    points_mode = fields.String()
    points_mode_name = fields.String()
    points_value = fields.Integer()
    award_hours = fields.Boolean()
    minutes = fields.String()
    minutes_photos = fields.List(fields.Nested(PhotoOut))
    distance_km = fields.Float(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    my_signup = fields.Nested(SignupOut, allow_none=True)
    actions = fields.List(fields.String())
    timeline = fields.List(fields.Nested(TimelineOut))


class ActivityList(Schema):
    items = fields.List(fields.Nested(ActivityOut))
    next_cursor = fields.String(allow_none=True)


class SignupResult(Schema):
    signup = fields.Nested(SignupOut)
    activity = fields.Nested(ActivityOut)


class QrOut(Schema):
    token = fields.String(required=True)
    direction = fields.String()
    expires_at = fields.DateTime()
    window_seconds = fields.Integer()
    image = fields.String(metadata={"description": "二维码图片（PNG data URI）"})


class AttendanceOut(Schema):
    activity = fields.Nested(ActivityOut)
    items = fields.List(fields.Nested(SignupOut))


class MyActivity(Schema):
    activity = fields.Nested(ActivityOut)
    signup = fields.Nested(SignupOut)


class MyActivityList(Schema):
    items = fields.List(fields.Nested(MyActivity))
    next_cursor = fields.String(allow_none=True)
