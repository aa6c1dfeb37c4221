"""Wire schemas of the published honour roll."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import Int, ObjectIdField, Range, StrictSchema


class HonourQuery(StrictSchema):
    org_id = ObjectIdField(required=True)
    limit = Int(load_default=20, validate=Range(min=1, max=100))


class HonourMember(Schema):
    member_id = fields.String()
    name = fields.String()
    hours = fields.Float()


class HonourOut(Schema):
    id = fields.String(required=True)
    org_id = fields.String()
    org_name = fields.String()
    month = fields.String()
    title = fields.String()
    members = fields.List(fields.Nested(HonourMember))
    confirmed_at = fields.DateTime(allow_none=True)


class HonourList(Schema):
    items = fields.List(fields.Nested(HonourOut))
