"""服务工单: place, list, read, and one thin handler per state-machine transition."""

from __future__ import annotations

from typing import Any

from handlers.base import BaseHandler, endpoint, route
from models import orders, schemas
from models.base import page, parse_id

STAFF = ("secretary", "admin")


class OrderHandlerBase(BaseHandler):
    def order_id(self, id: str) -> Any:
        return parse_id(id, "工单")

    def write_order(self, order: dict[str, Any], status: int = 200) -> None:
        assert self.actor is not None
        self.write_json(orders.order_json(self.ctx, order, self.actor), status)


class OrdersHandler(OrderHandlerBase):
    @endpoint(
        summary="群众点单",
        body=schemas.PlaceOrderRequest,
        response=schemas.OrderOut,
        status=201,
        idempotency_key=True,
        tag="orders",
    )
    async def post(self) -> None:
        assert self.actor is not None
        order, created = await orders.place_order(
            self.ctx, self.actor, self.data, self.idempotency_key()
        )
        self.write_order(order, 201 if created else 200)

    @endpoint(
        summary="工单列表（按调用者可见范围）",
        query=schemas.OrderQuery,
        response=schemas.OrderList,
        tag="orders",
    )
    async def get(self) -> None:
        assert self.actor is not None
        a = self.args
        rows = await orders.list_orders(
            self.ctx,
            self.actor,
            scope=a.get("scope"),
            status=a.get("status"),
            offset=a["offset"],
            limit=a["limit"],
        )
        result = page(rows, a["offset"], a["limit"])
        result["items"] = [orders.order_json(self.ctx, o, self.actor) for o in result["items"]]
        self.write_json(result)


class OrderHandler(OrderHandlerBase):
    @endpoint(summary="工单详情（含时间线）", response=schemas.OrderOut, tag="orders")
    async def get(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(await orders.get_visible(self.ctx, self.actor, self.order_id(id)))


class DispatchHandler(OrderHandlerBase):
    @endpoint(
        summary="组织派单",
        body=schemas.DispatchRequest,
        response=schemas.OrderOut,
        roles=STAFF,
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.dispatch_order(self.ctx, self.actor, self.order_id(id), self.data)
        )


class AcceptHandler(OrderHandlerBase):
    @endpoint(
        summary="队员接单",
        body=schemas.EmptyRequest,
        response=schemas.OrderOut,
        roles=("member",),
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(await orders.accept_order(self.ctx, self.actor, self.order_id(id)))


class DeclineHandler(OrderHandlerBase):
    @endpoint(
        summary="队员退回工单",
        body=schemas.ReasonRequest,
        response=schemas.OrderOut,
        roles=("member",),
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.decline_order(self.ctx, self.actor, self.order_id(id), self.data["reason"])
        )


class StartHandler(OrderHandlerBase):
    @endpoint(
        summary="开始服务（签到）",
        body=schemas.EmptyRequest,
        response=schemas.OrderOut,
        roles=("member",),
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(await orders.start_order(self.ctx, self.actor, self.order_id(id)))


class CompleteHandler(OrderHandlerBase):
    @endpoint(
        summary="服务完成",
        body=schemas.CompleteRequest,
        response=schemas.OrderOut,
        roles=("member",),
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.complete_order(self.ctx, self.actor, self.order_id(id), self.data)
        )


class ConfirmHandler(OrderHandlerBase):
    @endpoint(
        summary="群众确认并评价（发放积分）",
        body=schemas.ConfirmRequest,
        response=schemas.OrderOut,
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.confirm_order(self.ctx, self.actor, self.order_id(id), self.data)
        )


class CancelHandler(OrderHandlerBase):
    @endpoint(
        summary="取消工单",
        body=schemas.OptionalReasonRequest,
        response=schemas.OrderOut,
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.cancel_order(self.ctx, self.actor, self.order_id(id), self.data["reason"])
        )


class RejectHandler(OrderHandlerBase):
    @endpoint(
        summary="驳回工单",
        body=schemas.ReasonRequest,
        response=schemas.OrderOut,
        roles=STAFF,
        tag="orders",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        self.write_order(
            await orders.reject_order(self.ctx, self.actor, self.order_id(id), self.data["reason"])
        )


class RecommendationsHandler(OrderHandlerBase):
    @endpoint(
        summary="推荐队员（附理由）", response=schemas.RecommendationList, roles=STAFF, tag="orders"
    )
    async def get(self, id: str) -> None:
        assert self.actor is not None
        items = await orders.recommend_volunteers(self.ctx, self.actor, self.order_id(id))
        self.write_json({"items": items})


class TaskHallHandler(OrderHandlerBase):
    @endpoint(
        summary="任务大厅（队员可接的工单）",
        query=schemas.PageQuery,
        response=schemas.OrderList,
        roles=("member",),
        tag="orders",
    )
    async def get(self) -> None:
        assert self.actor is not None
        a = self.args
        rows = await orders.task_hall(self.ctx, self.actor, a["offset"], a["limit"])
        result = page(rows, a["offset"], a["limit"])
        result["items"] = [orders.order_json(self.ctx, o, self.actor) for o in result["items"]]
        self.write_json(result)


default_handlers = [
    route("/orders", OrdersHandler),
    route("/orders/{id}", OrderHandler),
    route("/orders/{id}/dispatch", DispatchHandler),
    route("/orders/{id}/accept", AcceptHandler),
    route("/orders/{id}/decline", DeclineHandler),
    route("/orders/{id}/start", StartHandler),
    route("/orders/{id}/complete", CompleteHandler),
    route("/orders/{id}/confirm", ConfirmHandler),
    route("/orders/{id}/cancel", CancelHandler),
    route("/orders/{id}/reject", RejectHandler),
    route("/orders/{id}/recommendations", RecommendationsHandler),
    route("/task-hall", TaskHallHandler),
]
