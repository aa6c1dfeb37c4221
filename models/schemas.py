"""Wire schemas: what each endpoint accepts (strict) and answers (documented in OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.base import (
    AwareDateTime,
    Bool,
    GeoPointSchema,
    Int,
    List,
    Nested,
    ObjectIdField,
    OneOf,
    PageQuery,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.base import Length as Len
from models.orders import STATUSES
from models.users import PARTY_STATUSES

PHONE = r"^\+?[0-9][0-9\- ]{4,19}$"


def Phone(**kwargs):
    from marshmallow.validate import Regexp

    return Str(validate=Regexp(PHONE, error="电话号码格式不正确"), **kwargs)


def Photos():
    return List(Text(500, required=True), load_default=list, validate=Len(max=9))


# ---------------------------------------------------------------- requests


class LoginRequest(StrictSchema):
    code = Text(128, required=True, metadata={"description": "wx.login 返回的 code"})


class PhoneRequest(StrictSchema):
    code = Text(128, required=True, metadata={"description": "getPhoneNumber 返回的 code"})


class OrgQuery(StrictSchema):
    parent = ObjectIdField()


class RegistrationRequest(StrictSchema):
    org_id = ObjectIdField(required=True)
    name = Text(40, required=True)
    party_status = Str(required=True, validate=OneOf(PARTY_STATUSES))
    skills = List(Text(20, required=True), load_default=list, validate=Len(max=20))
    phone = Phone()
    home_location = Nested(GeoPointSchema)


class RegistrationQuery(PageQuery):
    status = Str(validate=OneOf(["pending", "approved", "rejected"]))


class EmptyRequest(StrictSchema):
    pass


class ReasonRequest(StrictSchema):
    reason = Text(200, required=True)


class OptionalReasonRequest(StrictSchema):
    reason = Text(200, load_default="")


class PlaceOrderRequest(StrictSchema):
    category_id = ObjectIdField(required=True)
    org_id = ObjectIdField(required=True, metadata={"description": "服务地址所在社区或支部"})
    description = Text(1000, required=True)
    address = Text(200, required=True)
    location = Nested(GeoPointSchema)
    contact_name = Text(40)
    contact_phone = Phone()
    wanted_at = AwareDateTime()
    photos = Photos()


class OrderQuery(PageQuery):
    status = Str(validate=OneOf(STATUSES))
    scope = Str(validate=OneOf(["mine", "assigned", "org"]))


class DispatchRequest(StrictSchema):
    volunteer_ids = List(ObjectIdField(required=True), load_default=list, validate=Len(max=10))
    to_hall = Bool(load_default=False)
    hall_org_id = ObjectIdField()
    due_at = AwareDateTime()
    note = Text(200, load_default="")


class CompleteRequest(StrictSchema):
    note = Text(1000, required=True)
    photos = Photos()


class ConfirmRequest(StrictSchema):
    rating = Int(required=True, validate=Range(min=1, max=5))
    comment = Text(500, load_default="")


class LedgerQuery(PageQuery):
    kind = Str(validate=OneOf(["points", "hours"]))


class LeaderboardQuery(StrictSchema):
    org_id = ObjectIdField()
    period = Str(load_default="month", validate=OneOf(["month", "year", "all"]))


# ---------------------------------------------------------------- responses


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody, required=True)


class OkResponse(Schema):
    ok = fields.Boolean(required=True)


class UserOut(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String()
    phone = fields.String(allow_none=True)
    has_phone = fields.Boolean()
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    party_status = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    points_balance = fields.Float()
    hours_balance = fields.Float()


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
    path = fields.List(fields.String())
    has_children = fields.Boolean()
    children = fields.List(fields.Dict())


class OrgList(Schema):
    items = fields.List(fields.Nested(OrgOut))


class CategoryOut(Schema):
    id = fields.String(required=True)
    code = fields.String()
    name = fields.String()
    description = fields.String()
    skills = fields.List(fields.String())
    base_points = fields.Integer()
    service_hours = fields.Float()
    sla_hours = fields.Integer()


class CategoryList(Schema):
    items = fields.List(fields.Nested(CategoryOut))


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
    next_offset = fields.Integer(allow_none=True)


class TimelineEventOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    action_name = fields.String()
    from_ = fields.String(data_key="from", allow_none=True)
    to = fields.String()
    actor_name = fields.String()
    actor_role = fields.String(allow_none=True)
    note = fields.String()


class GeoPointOut(Schema):
    type = fields.String()
    coordinates = fields.List(fields.Float())


class OrderOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    status_name = fields.String()
    category_id = fields.String()
    category_name = fields.String()
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    description = fields.String()
    address = fields.String()
    location = fields.Nested(GeoPointOut, allow_none=True)
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    wanted_at = fields.DateTime(allow_none=True)
    resident_id = fields.String()
    assignee_id = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    candidate_ids = fields.List(fields.String())
    hall_org_id = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    points = fields.Float()
    hours = fields.Float()
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    completion_note = fields.String(allow_none=True)
    photos = fields.List(fields.String())
    completion_photos = fields.List(fields.String())
    decline_count = fields.Integer()
    escalated_to_org_id = fields.String(allow_none=True)
    distance_km = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    timeline = fields.List(fields.Nested(TimelineEventOut))


class OrderList(Schema):
    items = fields.List(fields.Nested(OrderOut))
    next_offset = fields.Integer(allow_none=True)


class RecommendedMember(Schema):
    id = fields.String()
    name = fields.String()
    skills = fields.List(fields.String())
    org_name = fields.String(allow_none=True)


class Recommendation(Schema):
    member = fields.Nested(RecommendedMember)
    score = fields.Float()
    reasons = fields.List(fields.String())


class RecommendationList(Schema):
    items = fields.List(fields.Nested(Recommendation))


class PointsOut(Schema):
    points_balance = fields.Float()
    hours_balance = fields.Float()
    rank = fields.Integer(allow_none=True)
    rank_total = fields.Integer(allow_none=True)
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)


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
    next_offset = fields.Integer(allow_none=True)


class LeaderboardRow(Schema):
    rank = fields.Integer()
    member_id = fields.String()
    name = fields.String()
    org_name = fields.String(allow_none=True)
    points = fields.Float()


class LeaderboardOut(Schema):
    period = fields.String()
    org_id = fields.String()
    items = fields.List(fields.Nested(LeaderboardRow))


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


class HealthOut(Schema):
    status = fields.String()


PAGE_QUERY = PageQuery
