"""Wire schemas of 双报到 and the community service posts."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import (
    Bool,
    List,
    ObjectIdField,
    OneOf,
    PageQuery,
    Str,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len
from models.reports import STATUSES


class ReportRequest(StrictSchema):
    community_id = ObjectIdField(required=True, metadata={"description": "居住地社区"})
    post_ids = List(ObjectIdField(required=True), required=True, validate=Len(min=1, max=5))
    note = Text(200, load_default="")


class ReportQuery(PageQuery):
    status = Str(validate=OneOf(STATUSES))


class ReportOut(Schema):
    id = fields.String(required=True)
    member_id = fields.String()
    member_name = fields.String()
    unit_org_id = fields.String()
    unit_name = fields.String(allow_none=True)
    community_id = fields.String()
    community_name = fields.String()
    post_names = fields.List(fields.String())
    note = fields.String()
    status = fields.String(required=True)
    status_name = fields.String()
    created_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    actions = fields.List(fields.String())


class ReportList(Schema):
    items = fields.List(fields.Nested(ReportOut))
    next_cursor = fields.String(allow_none=True)


class PostRequest(StrictSchema):
    name = Text(20, required=True, min_len=1)
    description = Text(200, load_default="")
    active = Bool(load_default=True)


class PostOut(Schema):
    id = fields.String(required=True)
    org_id = fields.String()
    name = fields.String()
    description = fields.String()
    active = fields.Boolean()


class PostList(Schema):
    items = fields.List(fields.Nested(PostOut))
