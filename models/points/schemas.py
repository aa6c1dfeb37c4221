"""Wire schemas of points, the ledger and the leaderboard."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import (
    ObjectIdField,
    OneOf,
    PageQuery,
    Str,
    StrictSchema,
)


class LedgerQuery(PageQuery):
    kind = Str(validate=OneOf(["points", "hours"]))


class LeaderboardQuery(StrictSchema):
    org_id = ObjectIdField(
        metadata={"description": "默认为本人所在组织；不属于任何组织的群众为顶级组织"}
    )
    period = Str(load_default="month", validate=OneOf(["month", "year", "all"]))


class ExpiringBucket(Schema):
    year = fields.Integer()
    points = fields.Integer()
    expires_at = fields.String()
    last_day = fields.String(metadata={"description": "最后可用日（北京时间）"})


class PointsOut(Schema):
    points_balance = fields.Integer()
    hours_balance = fields.Float()
    rank = fields.Integer(allow_none=True)
    rank_total = fields.Integer(allow_none=True)
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    expiring = fields.List(fields.Nested(ExpiringBucket))
    expiry_notice = fields.String(allow_none=True, metadata={"description": "N 积分将于 日期 到期"})


class LedgerSource(Schema):
    type = fields.String()
    id = fields.String()


class LedgerEntryOut(Schema):
    id = fields.String()
    kind = fields.String()
    delta = fields.Float()
    reason = fields.String()
    source = fields.Nested(LedgerSource)
    created_at = fields.DateTime()


class LedgerList(Schema):
    items = fields.List(fields.Nested(LedgerEntryOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "下一页的游标；null 表示没有更多"}
    )


class LeaderboardRow(Schema):
    rank = fields.Integer()
    member_id = fields.String()
    name = fields.String()
    org_name = fields.String(allow_none=True)
    points = fields.Integer()


class LeaderboardOut(Schema):
    period = fields.String()
    org_id = fields.String()
    items = fields.List(fields.Nested(LeaderboardRow))
