"""Wire schemas of 志愿服务记录证明."""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Regexp

from models.certificates import ID_TYPES, STATUSES
from models.core.validation import OneOf, PageQuery, Str, StrictSchema, Text
from models.records.schemas import Date


class CertificateRequest(StrictSchema):
    from_ = Date(data_key="from", required=True)
    to = Date(required=True)
    id_type = Str(required=True, validate=OneOf(ID_TYPES))
    id_number = Str(
        required=True,
        validate=Regexp(r"^[0-9A-Za-z]{6,20}$", error="证件号码应为 6 到 20 位字母或数字"),
    )
    purpose = Text(100, load_default="")


class IssueRequest(StrictSchema):
    leader = Text(20, metadata={"description": "负责人（默认取组织登记的负责人）"})
    contact = Text(40, metadata={"description": "联系方式（默认取组织登记的联系方式）"})


class CertificateQuery(PageQuery):
    status = Str(validate=OneOf(STATUSES))


class CertificateOut(Schema):
    id = fields.String(required=True)
    member_id = fields.String()
    member_name = fields.String()
    period_from = fields.String()
    period_to = fields.String()
    id_type = fields.String()
    id_number = fields.String()
    purpose = fields.String()
    status = fields.String(required=True)
    status_name = fields.String()
    number = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    total_hours = fields.Float(allow_none=True)
    issuer_org = fields.String(allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    actions = fields.List(fields.String())


class CertificateList(Schema):
    items = fields.List(fields.Nested(CertificateOut))
    next_cursor = fields.String(allow_none=True)
