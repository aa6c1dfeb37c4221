"""服务工单: place, list, read, and one thin handler per state-machine transition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from bson import ObjectId
from marshmallow import Schema

from handlers.base import BaseHandler, endpoint, route
from models import orders
from models.core import ratelimit
from models.core.context import Context
from models.core.schemas import EmptyRequest, OptionalReasonRequest, ReasonRequest
from models.core.validation import PageQuery, page, parse_id
from models.media import service as media
from models.orders import catalogue, slip, timeline
from models.orders.schemas import (
    CategoryList,
    CompleteRequest,
    ConfirmRequest,
    DispatchRequest,
    OrderList,
    OrderOut,
    OrderQuery,
    PlaceOrderRequest,
    RecommendationList,
    SlipQuery,
    TimelinePage,
)
from models.people.users import Actor
from server.errors import AppError

STAFF = ("secretary", "admin")


class CategoriesHandler(BaseHandler):
    @endpoint(summary="服务项目", response=CategoryList, auth=False, tag="orgs")
    async def get(self) -> None:
        cats = await catalogue.active_categories(self.ctx)
        self.write_json({"items": [catalogue.category_json(c) for c in cats.values()]})


class OrderHandlerBase(BaseHandler):
    def order_id(self, id: str) -> Any:
        return parse_id(id, "工单")

    async def write_order(self, order: dict[str, Any], status: int = 200) -> None:
        await media.prefetch(self.ctx, media.photo_ids([order]))
        self.write_json(orders.order_json(self.ctx, order, self.me), status)

    async def write_orders(self, result: dict[str, Any]) -> None:
        await media.prefetch(self.ctx, media.photo_ids(result["items"]))
        result["items"] = [orders.order_json(self.ctx, o, self.me) for o in result["items"]]
        self.write_json(result)


class OrdersHandler(OrderHandlerBase):
    @endpoint(
        summary="群众点单",
        body=PlaceOrderRequest,
        response=OrderOut,
        status=201,
        idempotency_key=True,
        tag="orders",
    )
    async def post(self) -> None:
        settings = self.ctx.config.orders
        limit, minutes = int(settings.place_limit), int(settings.place_window_minutes)
        bucket = "place_order"
        if self.data.get("on_behalf_of"):  # 代下单 at the counter: a bucket of its own
            limit, bucket = int(settings.proxy_place_limit), "place_order_proxy"
        await ratelimit.hit(
            self.ctx,
            bucket,
            str(self.me.id),
            limit,
            minutes * 60,
            f"下单过于频繁：每 {minutes} 分钟最多 {limit} 单，请稍后再试",
        )
        try:
            order, created = await orders.place_order(
                self.ctx, self.me, self.data, self.idempotency_key()
            )
        except AppError:  # refused (unknown category, …): it does not count, nothing kept
            if limit > 0:
                key, _ = ratelimit.window_key(self.ctx, bucket, str(self.me.id), minutes * 60)
                await ratelimit.give_back(self.ctx, key, 1)
            raise
        await self.write_order(order, 201 if created else 200)

    @endpoint(
        summary="工单列表（按调用者可见范围）",
        query=OrderQuery,
        response=OrderList,
        tag="orders",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await orders.list_orders(
            self.ctx,
            self.me,
            scope=a.get("scope"),
            status=a.get("status"),
            cursor=a.get("cursor"),
            limit=a["limit"],
        )
        await self.write_orders(page(rows, next_cursor))


class OrderHandler(OrderHandlerBase):
    @endpoint(summary="工单详情（含时间线）", response=OrderOut, tag="orders")
    async def get(self, id: str) -> None:
        await self.write_order(await orders.get_visible(self.ctx, self.me, self.order_id(id)))


class OrderTimelineHandler(OrderHandlerBase):
    @endpoint(
        summary="工单全部处理记录（新→旧，含已归档的更早记录）",
        query=PageQuery,
        response=TimelinePage,
        tag="orders",
    )
    async def get(self, id: str) -> None:
        a = self.args
        self.write_json(
            await timeline.history_page(
                self.ctx, self.me, self.order_id(id), a.get("cursor"), a["limit"]
            )
        )


Transition = Callable[[Context, Actor, ObjectId, dict[str, Any]], Awaitable[dict[str, Any]]]


def transition_handler(
    summary: str, body: type[Schema], service: Transition, roles: tuple[str, ...] = ()
) -> type[OrderHandlerBase]:
    """One thin POST handler per state-machine transition: parse, call, serialise."""

    class TransitionHandler(OrderHandlerBase):
        @endpoint(summary=summary, body=body, response=OrderOut, roles=roles, tag="orders")
        async def post(self, id: str) -> None:
            await self.write_order(await service(self.ctx, self.me, self.order_id(id), self.data))

    return TransitionHandler


def _reason(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, oid, data: fn(ctx, actor, oid, data["reason"])


def _no_body(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, oid, data: fn(ctx, actor, oid)


TRANSITIONS: dict[str, type[OrderHandlerBase]] = {
    "dispatch": transition_handler("组织派单", DispatchRequest, orders.dispatch_order, STAFF),
    "accept": transition_handler(
        "队员接单", EmptyRequest, _no_body(orders.accept_order), ("member",)
    ),
    "decline": transition_handler(
        "队员退回工单", ReasonRequest, _reason(orders.decline_order), ("member",)
    ),
    "start": transition_handler(
        "开始服务（签到）", EmptyRequest, _no_body(orders.start_order), ("member",)
    ),
    "complete": transition_handler("服务完成", CompleteRequest, orders.complete_order, ("member",)),
    "confirm": transition_handler(
        "群众确认并评价（发放积分）", ConfirmRequest, orders.confirm_order
    ),
    "cancel": transition_handler("取消工单", OptionalReasonRequest, _reason(orders.cancel_order)),
    "reject": transition_handler("驳回工单", ReasonRequest, _reason(orders.reject_order), STAFF),
}


class SlipHandler(OrderHandlerBase):
    @endpoint(summary="打印纸质服务单（PDF，含队员扫码二维码）", tag="orders")
    async def get(self, id: str) -> None:
        order = await slip.slip_for(self.ctx, self.me, self.order_id(id))
        volunteer = await slip.volunteer_label(self.ctx, order)
        payload = slip.qr_payload(self.ctx, order["_id"])
        loop = asyncio.get_running_loop()
        content = await loop.run_in_executor(None, slip.slip_pdf, order, volunteer, payload)
        self.set_header("Content-Type", "application/pdf")
        name = quote(f"服务单-{order['_id']}.pdf")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
        self.finish(content)


class SlipOrderHandler(OrderHandlerBase):
    @endpoint(
        summary="扫服务单二维码打开工单（仅服务队员与本组织管理员）",
        query=SlipQuery,
        response=OrderOut,
        tag="orders",
    )
    async def get(self, id: str) -> None:
        token = self.args["token"]
        await self.write_order(
            await slip.order_by_slip(self.ctx, self.me, self.order_id(id), token)
        )


class RecommendationsHandler(OrderHandlerBase):
    @endpoint(summary="推荐队员（附理由）", response=RecommendationList, roles=STAFF, tag="orders")
    async def get(self, id: str) -> None:
        items = await orders.recommend_volunteers(self.ctx, self.me, self.order_id(id))
        self.write_json({"items": items})


class TaskHallHandler(OrderHandlerBase):
    @endpoint(
        summary="任务大厅（队员可接的工单）",
        query=PageQuery,
        response=OrderList,
        roles=("member",),
        tag="orders",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await orders.task_hall(self.ctx, self.me, a.get("cursor"), a["limit"])
        await self.write_orders(page(rows, next_cursor))


default_handlers = [
    route("/service-categories", CategoriesHandler),
    route("/orders", OrdersHandler),
    route("/orders/{id}", OrderHandler),
    route("/orders/{id}/timeline", OrderTimelineHandler),
    *(route(f"/orders/{{id}}/{name}", handler) for name, handler in TRANSITIONS.items()),
    route("/orders/{id}/recommendations", RecommendationsHandler),
    route("/orders/{id}/slip", SlipHandler),
    route("/orders/{id}/by-slip", SlipOrderHandler),
    route("/task-hall", TaskHallHandler),
]
