"""Wire schemas of the service record and the dossier."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import OneOf, Str, StrictSchema
from models.records import DOSSIER_STAGES


class Date(fields.Date):
    """A calendar day, YYYY-MM-DD (read as a Beijing day)."""

    default_error_messages = {
        "required": "必填",
        "null": "不能为空",
        "invalid": "应为日期，例如 2026-01-31",
        "format": "日期格式无效",
    }

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RecordQuery(StrictSchema):
    from_ = Date(data_key="from", metadata={"description": "开始日期（含），默认一年前"})
    to = Date(metadata={"description": "结束日期（含），默认今天"})


class DossierQuery(RecordQuery):
    stage = Str(validate=OneOf(DOSSIER_STAGES))
    format = Str(validate=OneOf(["json", "pdf", "xlsx"]), load_default="json")


class RecordMember(Schema):
    id = fields.String()
    name = fields.String()
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    party_status = fields.String(allow_none=True)
    volunteer_no = fields.String()
    joined_at = fields.DateTime(allow_none=True)


class Period(Schema):
    from_ = fields.DateTime(data_key="from")
    to = fields.DateTime()


class RecordTotals(Schema):
    class Meta:
        unknown = "include"  # one count per further source (activities, wishes, voices)

    points = fields.Integer()
    hours = fields.Float()
    points_earned = fields.Integer()
    orders = fields.Integer()
    order_hours = fields.Float()
    rating_avg = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    honours = fields.Integer()


class MonthRow(Schema):
    month = fields.String()
    points = fields.Integer()
    hours = fields.Float()


class ServedOrder(Schema):
    id = fields.String()
    category_name = fields.String()
    org_name = fields.String(allow_none=True)
    closed_at = fields.DateTime()
    hours = fields.Float()
    points = fields.Integer()
    rating = fields.Integer(allow_none=True)


class CommunityService(Schema):
    community_id = fields.String()
    community_name = fields.String(allow_none=True)
    posts = fields.List(fields.String())
    status = fields.String()
    confirmed_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    orders = fields.Integer()
    hours = fields.Float()


class HonourLine(Schema):
    title = fields.String()
    month = fields.String()
    org_name = fields.String(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)


class RecordHandlerProfile(Schema):
    """办理人画像: the same figures staff see when choosing a handler (all time)."""

    id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    years_of_service = fields.Float()
    cases_handled = fields.Integer()
    open_cases = fields.Integer()
    stars = fields.Float(allow_none=True)
    reviews = fields.List(fields.String())


class RecordOut(Schema):
    member = fields.Nested(RecordMember)
    period = fields.Nested(Period)
    totals = fields.Nested(RecordTotals)
    months = fields.List(fields.Nested(MonthRow))
    orders = fields.List(fields.Nested(ServedOrder))
    community_service = fields.List(fields.Nested(CommunityService))
    honours = fields.List(fields.Nested(HonourLine))
    sections = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    handler_profile = fields.Nested(RecordHandlerProfile, allow_none=True)
