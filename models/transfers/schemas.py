"""Wire schemas of 组织关系转接: what each endpoint accepts (strict) and answers."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields

from models.core.validation import ObjectIdField, OneOf, PageQuery, Str, StrictSchema, Text
from models.transfers.states import STATUSES


class TransferRequest(StrictSchema):
    """The receiving branch on the platform, or an organisation outside it: one of them."""

    OPENAPI_EXTRA: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {"required": ["to_org_id"], "not": {"required": ["external_org"]}},
            {"required": ["external_org"], "not": {"required": ["to_org_id"]}},
        ]
    }
    member_id = ObjectIdField(metadata={"description": "书记代队员发起时填写；队员本人发起时不填"})
    to_org_id = ObjectIdField(metadata={"description": "平台内的接收支部"})
    external_org = Text(
        100,
        metadata={
            "description": "转出本平台时：接收组织名称（不能只有空白）",
            "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        },
    )
    reason = Text(200, load_default="")


class TransferQuery(PageQuery):
    status = Str(validate=OneOf(STATUSES))


class TransferEventOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    action_name = fields.String()
    actor_name = fields.String()
    note = fields.String()


class TransferOut(Schema):
    id = fields.String(required=True)
    member_id = fields.String()
    member_name = fields.String()
    from_org_id = fields.String()
    from_org_name = fields.String(allow_none=True)
    to_org_id = fields.String(allow_none=True)
    to_org_name = fields.String(allow_none=True)
    external = fields.Boolean()
    status = fields.String(required=True)
    status_name = fields.String()
    letter_no = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    reason = fields.String()
    return_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    timeline = fields.List(fields.Nested(TransferEventOut))


class TransferList(Schema):
    items = fields.List(fields.Nested(TransferOut))
    next_cursor = fields.String(allow_none=True)
