"""Wire schemas of the inbox and subscribe-message quotas."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validates_schema

from models.core.validation import (
    Bool,
    List,
    ObjectIdField,
    PageQuery,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len


class InboxQuery(PageQuery):
    unread = Bool(load_default=False, metadata={"description": "只看未读"})


class ReadRequest(StrictSchema):
    """Either `ids` (some messages) or `all: true` (every message), never both."""

    ids = List(ObjectIdField(required=True), validate=Len(min=1, max=100))
    all = Bool(load_default=False, metadata={"description": "全部标为已读"})

    OPENAPI_EXTRA: ClassVar[dict[str, Any]] = {
        "description": "二选一：ids（标记这些消息）或 all: true（全部标为已读）",
        "oneOf": [
            {"required": ["ids"], "properties": {"all": {"enum": [False]}}},
            {
                "required": ["all"],
                "properties": {"all": {"enum": [True]}},
                "not": {"required": ["ids"]},
            },
        ],
    }

    @validates_schema
    def one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("请提供 ids 或 all（二选一）", "ids")


class SubscriptionsRequest(StrictSchema):
    template_ids = List(
        Text(64, required=True, min_len=1),
        required=True,
        validate=Len(min=1, max=10),
        metadata={"description": "用户在 wx.requestSubscribeMessage 中同意（accept）的模板 id"},
    )


class NotificationOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String()
    order_id = fields.String(allow_none=True)
    read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationList(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "下一页的游标；null 表示没有更多"}
    )


class UnreadCountOut(Schema):
    count = fields.Integer(required=True)


class ReadOut(Schema):
    updated = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class QuotaOut(Schema):
    template = fields.String(required=True)
    template_name = fields.String()
    template_id = fields.String(required=True)
    remaining = fields.Integer(required=True)


class QuotaList(Schema):
    items = fields.List(fields.Nested(QuotaOut))
