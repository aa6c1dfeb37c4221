"""Wire schemas of micro-wishes: strict requests, documented answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.schemas import Phone
from models.core.validation import (
    Float,
    List,
    ObjectIdField,
    OneOf,
    PageQuery,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len
from models.media.schemas import PhotoOut
from models.orders.schemas import TimelineEventOut
from models.wishes.states import CATEGORIES, STATUSES


def MediaIds(**kwargs):
    """Photos are media ids (uploaded first), at most 9."""
    return List(ObjectIdField(required=True), load_default=list, validate=Len(max=9), **kwargs)


class PostWishRequest(StrictSchema):
    org_id = ObjectIdField(required=True, metadata={"description": "心愿所在社区"})
    category = Str(required=True, validate=OneOf(CATEGORIES))
    title = Text(40, required=True)
    description = Text(500, required=True)
    value = Float(required=True, validate=Range(min=0), metadata={"description": "估计价值（元）"})
    photos = MediaIds()
    # a secretary posting for a resident without a phone fills these in
    contact_name = Text(40)
    contact_phone = Phone()
    address = Text(200)


class WishQuery(PageQuery):
    scope = Str(load_default="wall", validate=OneOf(["wall", "mine", "claimed", "org"]))
    org_id = ObjectIdField()
    status = Str(validate=OneOf(STATUSES))


class FulfilRequest(StrictSchema):
    note = Text(500, required=True)
    photos = MediaIds()


class ConfirmWishRequest(StrictSchema):
    thanks = Text(200, load_default="")


class WishOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    status_name = fields.String()
    category = fields.String()
    title = fields.String()
    description = fields.String()
    value = fields.Float()
    photos = fields.List(fields.Nested(PhotoOut))
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    mine = fields.Boolean()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    claimant_id = fields.String(allow_none=True)
    claimant_name = fields.String(allow_none=True)
    fulfil_note = fields.String(allow_none=True)
    fulfil_photos = fields.List(fields.Nested(PhotoOut))
    thanks = fields.String(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    points = fields.Integer()
    hours = fields.Float()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    timeline = fields.List(fields.Nested(TimelineEventOut))


class WishList(Schema):
    items = fields.List(fields.Nested(WishOut))
    next_cursor = fields.String(allow_none=True)
