"""Wire schemas of voices (民意), follow-ups and the QR code."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields, validates_schema
from marshmallow import ValidationError as MarshmallowError

from models.core.validation import (
    Bool,
    GeoPointSchema,
    Nested,
    ObjectIdField,
    OneOf,
    PageQuery,
    Str,
    StrictSchema,
    Text,
)
from models.media.schemas import PhotoOut
from models.orders.schemas import GeoPointOut, TimelineEventOut
from models.voices.states import CATEGORIES, KINDS, RATINGS, STATUSES
from models.wishes.schemas import MediaIds


class SubmitVoiceRequest(StrictSchema):
    OPENAPI_EXTRA: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {"required": ["org_id"], "not": {"required": ["scene"]}},
            {"required": ["scene"], "not": {"required": ["org_id"]}},
        ]
    }

    kind = Str(required=True, validate=OneOf(list(KINDS)))
    category = Str(required=True, validate=OneOf(CATEGORIES))
    text = Text(1000, required=True, min_len=2)
    photos = MediaIds()
    location = Nested(GeoPointSchema)
    anonymous = Bool(
        load_default=False, metadata={"description": "对其他群众匿名（对工作人员不匿名）"}
    )
    org_id = ObjectIdField(metadata={"description": "提交到的组织（与 scene 二选一）"})
    scene = Text(64, min_len=1, metadata={"description": "民意一码通扫码进入时的 scene"})
    order_id = ObjectIdField(
        metadata={"description": "投诉针对的服务工单（仅投诉；须是本人已被服务的工单）"}
    )

    @validates_schema
    def one_target(self, data, **kwargs):
        if bool(data.get("org_id")) == bool(data.get("scene")):
            raise MarshmallowError("请选择组织或扫描民意一码通", "org_id")
        if data.get("order_id") and data.get("kind") != "complaint":
            raise MarshmallowError("只有投诉可以关联服务工单", "order_id")


class VoiceQuery(PageQuery):
    scope = Str(load_default="mine", validate=OneOf(["mine", "assigned", "scope"]))
    status = Str(validate=OneOf(STATUSES))
    kind = Str(validate=OneOf(list(KINDS)))
    org_id = ObjectIdField()
    month = Str(validate=lambda v: len(v) == 7 and v[4] == "-")


class AssignRequest(StrictSchema):
    handler_id = ObjectIdField(required=True)
    note = Text(200, load_default="")


class ReplyRequest(StrictSchema):
    text = Text(1000, required=True)
    public = Bool(load_default=False, metadata={"description": "公开答复（其他群众可见）"})


class CloseVoiceRequest(StrictSchema):
    reason = Text(200, load_default="")
    upheld = Bool(
        metadata={"description": "投诉是否属实（仅负责组织的管理员，仅关联了服务工单的投诉）"}
    )


class RateRequest(StrictSchema):
    rating = Str(required=True, validate=OneOf(RATINGS))
    comment = Text(300, load_default="")


class FollowupAnswerRequest(StrictSchema):
    solved = Bool(required=True)
    note = Text(300, load_default="")


class ReplyOut(Schema):
    at = fields.DateTime()
    by_name = fields.String()
    text = fields.String()
    public = fields.Boolean()


class VoiceOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    status_name = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    category = fields.String()
    text = fields.String()
    photos = fields.List(fields.Nested(PhotoOut))
    location = fields.Nested(GeoPointOut, allow_none=True)
    anonymous = fields.Boolean()
    submitter_name = fields.String(allow_none=True)
    mine = fields.Boolean()
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    charge_org_id = fields.String()
    charge_org_name = fields.String(allow_none=True)
    handler_id = fields.String(allow_none=True)
    handler_name = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    replies = fields.List(fields.Nested(ReplyOut))
    rating = fields.String(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    reopen_count = fields.Integer()
    about_order_id = fields.String(allow_none=True)
    about_member_name = fields.String(
        allow_none=True, metadata={"description": "投诉针对的队员（仅工作人员可见）"}
    )
    upheld = fields.Boolean(allow_none=True, metadata={"description": "投诉是否属实"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    timeline = fields.List(fields.Nested(TimelineEventOut))


class VoiceList(Schema):
    items = fields.List(fields.Nested(VoiceOut))
    next_cursor = fields.String(allow_none=True)


class HandlerProfile(Schema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    org_name = fields.String(allow_none=True)
    years_of_service = fields.Float()
    cases_handled = fields.Integer()
    open_cases = fields.Integer()
    stars = fields.Float(allow_none=True)
    reviews = fields.List(fields.String())


class HandlerRecommendation(Schema):
    handler = fields.Nested(HandlerProfile)
    score = fields.Float()
    reasons = fields.List(fields.String())


class HandlerRecommendationList(Schema):
    items = fields.List(fields.Nested(HandlerRecommendation))


class FollowupOut(Schema):
    id = fields.String()
    source_type = fields.String()
    source_id = fields.String()
    status = fields.String()
    solved = fields.Boolean(allow_none=True)
    reopened_id = fields.String(allow_none=True)
