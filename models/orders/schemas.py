"""Wire schemas of orders: what each endpoint accepts (strict) and answers (OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Regexp

from models.core.schemas import Phone, Photos
from models.core.validation import (
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
from models.core.validation import Length as Len
from models.media.schemas import PhotoOut
from models.orders.proxy import CHANNELS
from models.orders.states import STATUSES


class OnBehalfOf(StrictSchema):
    """代下单: the resident an order is placed for (staff and grid workers only)."""

    name = Text(40, required=True, metadata={"description": "群众姓名"})
    phone = Phone(
        required=True, metadata={"description": "群众电话：按此匹配或建立群众档案（无微信）"}
    )
    address = Text(200, metadata={"description": "群众住址（新建档案时记录）"})
    channel = Str(
        required=True,
        validate=OneOf(list(CHANNELS)),
        metadata={"description": "phone 电话 / visit 上门 / counter 窗口"},
    )


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
    on_behalf_of = Nested(OnBehalfOf, metadata={"description": "代下单（社区工作人员、网格员）"})


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
    on_behalf_note = Text(
        200,
        metadata={"description": "工作人员代群众确认时必填：电话回访记录（记入操作日志）"},
    )


class SlipQuery(StrictSchema):
    token = Str(
        required=True,
        validate=Regexp(r"^[A-Za-z0-9_-]{16,64}$", error="服务单二维码无效"),
        metadata={"description": "服务单二维码中的签名"},
    )


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
    address = fields.String(
        allow_none=True,
        metadata={
            "description": "服务地址：仅下单居民、接单队员和辖区管理员可见，"
            "其他人（任务大厅、被点名的候选队员）为 null，只看社区（org_name）和距离"
        },
    )
    location = fields.Nested(
        GeoPointOut, allow_none=True, metadata={"description": "与 address 同样只对上述人员可见"}
    )
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    wanted_at = fields.DateTime(allow_none=True)
    resident_id = fields.String()
    assignee_id = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    candidate_ids = fields.List(fields.String())
    hall_org_id = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    points = fields.Integer()
    hours = fields.Float()
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    completion_note = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(PhotoOut))
    completion_photos = fields.List(fields.Nested(PhotoOut))
    decline_count = fields.Integer()
    channel = fields.String(metadata={"description": "self 小程序 / phone / visit / counter"})
    channel_name = fields.String()
    placer_name = fields.String(allow_none=True, metadata={"description": "代下单人"})
    on_behalf_note = fields.String(allow_none=True, metadata={"description": "代确认记录"})
    escalated_to_org_id = fields.String(allow_none=True)
    distance_km = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    timeline = fields.List(
        fields.Nested(TimelineEventOut),
        metadata={"description": "最近的处理记录（最多 orders.timeline_embedded 条，旧→新）"},
    )
    timeline_total = fields.Integer(metadata={"description": "处理记录总数"})
    timeline_archived = fields.Integer(
        metadata={"description": "已归档的更早记录数：GET /orders/{id}/timeline 分页读取"}
    )


class TimelineEntryOut(TimelineEventOut):
    seq = fields.Integer(metadata={"description": "在全部记录中的序号（0 为下单）"})


class TimelinePage(Schema):
    order_id = fields.String()
    items = fields.List(fields.Nested(TimelineEntryOut), metadata={"description": "新→旧"})
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "更早一页的游标；null 表示没有更早的记录"}
    )
    timeline_total = fields.Integer()
    timeline_archived = fields.Integer()


class OrderList(Schema):
    items = fields.List(fields.Nested(OrderOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "下一页的游标；null 表示没有更多"}
    )


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
