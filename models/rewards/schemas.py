"""Wire schemas of the points mall: items, redemptions, pickup, the farming review queue."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.schemas import Photos
from models.core.validation import (
    AwareDateTime,
    Bool,
    Int,
    ObjectIdField,
    OneOf,
    PageQuery,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.rewards.items import LIMIT_PERIODS

STATUSES = ["reserved", "picked_up", "cancelled", "expired"]


class ItemFields(StrictSchema):
    description = Text(1000)
    photos = Photos()
    limit_per_member = Int(allow_none=True, validate=Range(min=1, max=1000))
    limit_period = Str(validate=OneOf(list(LIMIT_PERIODS)))
    valid_from = AwareDateTime(allow_none=True)
    valid_until = AwareDateTime(allow_none=True)
    pickup_place = Text(100)
    pickup_hours = Text(100)
    merchant = Text(60)
    active = Bool()


class CreateItemRequest(ItemFields):
    org_id = ObjectIdField(required=True, metadata={"description": "商品所属组织（社区或更高）"})
    name = Text(60, required=True)
    price = Int(required=True, validate=Range(min=1, max=1_000_000))
    stock = Int(required=True, validate=Range(min=0, max=100_000))


class UpdateItemRequest(ItemFields):
    name = Text(60, min_len=1)
    price = Int(validate=Range(min=1, max=1_000_000))
    add_stock = Int(
        validate=Range(min=-100_000, max=100_000),
        metadata={"description": "补货数量（负数为下架部分库存）"},
    )


class MallQuery(PageQuery):
    org_id = ObjectIdField()
    scope = Str(load_default="mall", validate=OneOf(["mall", "managed"]))


class RedemptionQuery(PageQuery):
    scope = Str(load_default="mine", validate=OneOf(["mine", "org"]))
    status = Str(validate=OneOf(STATUSES))
    org_id = ObjectIdField()


class PickupRequest(StrictSchema):
    code = Text(32, required=True, min_len=4)


class ItemOut(Schema):
    id = fields.String()
    org_id = fields.String()
    name = fields.String()
    description = fields.String()
    photos = fields.List(fields.String())
    price = fields.Integer()
    stock = fields.Integer()
    sold_out = fields.Boolean()
    status_text = fields.String()
    limit_per_member = fields.Integer(allow_none=True)
    limit_period = fields.String()
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    in_period = fields.Boolean()
    pickup_place = fields.String()
    pickup_hours = fields.String()
    merchant = fields.String()
    active = fields.Boolean()
    initial_stock = fields.Integer()
    restocked = fields.Integer()
    redeemed = fields.Integer()


class ItemList(Schema):
    items = fields.List(fields.Nested(ItemOut))
    next_cursor = fields.String(allow_none=True)


class RedemptionOut(Schema):
    id = fields.String()
    item_id = fields.String()
    item_name = fields.String()
    org_id = fields.String()
    price = fields.Integer()
    status = fields.String()
    status_text = fields.String()
    member_name = fields.String()
    pickup_place = fields.String()
    pickup_hours = fields.String()
    created_at = fields.String()
    expires_at = fields.String()
    picked_up_at = fields.String(allow_none=True)
    code = fields.String(allow_none=True, metadata={"description": "兑换码（仅本人可见）"})
    qr = fields.String(allow_none=True, metadata={"description": "兑换码二维码（SVG data URI）"})


class RedemptionList(Schema):
    items = fields.List(fields.Nested(RedemptionOut))
    next_cursor = fields.String(allow_none=True)
