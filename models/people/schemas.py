"""Wire schemas of sign-in, the organisation tree, registrations and my data."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.schemas import Phone
from models.core.validation import (
    Bool,
    GeoPointSchema,
    List,
    Nested,
    ObjectIdField,
    OneOf,
    PageQuery,
    Str,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len
from models.people.users import PARTY_STATUSES


class LoginRequest(StrictSchema):
    code = Text(128, required=True, metadata={"description": "wx.login 返回的 code"})


class PhoneRequest(StrictSchema):
    code = Text(128, required=True, metadata={"description": "getPhoneNumber 返回的 code"})


class OrgQuery(StrictSchema):
    parent = ObjectIdField()


class MeUpdateRequest(StrictSchema):
    care_mode = Bool(
        required=True,
        metadata={"description": "关怀模式（大字、高对比、简化首页），随账号保存"},
    )


class RegistrationRequest(StrictSchema):
    org_id = ObjectIdField(required=True)
    name = Text(40, required=True)
    party_status = Str(required=True, validate=OneOf(PARTY_STATUSES))
    skills = List(Text(20, required=True), load_default=list, validate=Len(max=20))
    phone = Phone()
    home_location = Nested(GeoPointSchema)


class RegistrationQuery(PageQuery):
    status = Str(validate=OneOf(["pending", "approved", "rejected"]))


class UserOut(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String()
    phone = fields.String(allow_none=True)
    has_phone = fields.Boolean()
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    org_kind = fields.String(
        allow_none=True,
        metadata={
            "description": "所在支部类型：unit（机关/企事业单位支部，可双报到）、community；"
            "不是支部时为 null"
        },
    )
    party_status = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    points_balance = fields.Integer()
    hours_balance = fields.Float()
    care_mode = fields.Boolean(metadata={"description": "关怀模式是否开启"})


class LoginResponse(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserOut, required=True)


class OrgOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    type_name = fields.String()
    parent_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "服务电话（社区等）"})
    path = fields.List(fields.String())
    has_children = fields.Boolean()
    children = fields.List(fields.Dict())


class OrgList(Schema):
    items = fields.List(fields.Nested(OrgOut))


class RegistrationOut(Schema):
    id = fields.String(required=True)
    user_id = fields.String()
    org_id = fields.String()
    org_name = fields.String()
    name = fields.String()
    party_status = fields.String()
    skills = fields.List(fields.String())
    phone = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class RegistrationList(Schema):
    items = fields.List(fields.Nested(RegistrationOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "下一页的游标；null 表示没有更多"}
    )


class ErasedOut(Schema):
    ok = fields.Boolean(required=True)
    erased_at = fields.DateTime()
    cancelled_orders = fields.Integer()


class ExportOut(Schema):
    user = fields.Dict(required=True)
    orders_placed = fields.List(fields.Dict())
    orders_served = fields.List(fields.Dict())
    member_registrations = fields.List(fields.Dict())
    ledger_entries = fields.List(fields.Dict())
    active_sessions = fields.Integer()
    notifications = fields.List(fields.Dict())
    subscriptions = fields.List(fields.Dict())
    exported_at = fields.DateTime()
