"""派单台 and 工单详情: dispatch or reject without leaving the page."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route, oid
from models import audit, orders
from models.admin_schemas import DispatchForm, ReasonForm
from models.base import page

PAGE = 30


def _label(order: dict) -> str:
    return f"{order['category_name']}｜{order['address'][:20]}"


class BoardHandler(AdminHandler):
    nav = "board"

    async def get(self) -> None:
        assert self.actor is not None
        org = await self.scoped_org(self.query("org"))
        offset = self.int_query("offset")
        rows = (
            await self.ctx.db.orders.find(
                {"org_path": org["_id"], "status": orders.SUBMITTED}, orders.EXCLUDE_TIMELINE
            )
            .sort([("created_at", 1), ("_id", 1)])
            .skip(offset)
            .limit(PAGE + 1)
            .to_list(PAGE + 1)
        )
        result = page(rows, offset, PAGE)
        from models import directory

        self.render(
            "board.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.actor),
            items=[orders.order_json(self.ctx, o, self.actor) for o in result["items"]],
            next_offset=result["next_offset"],
            offset=offset,
            now=self.ctx.now(),
        )


class RecommendHandler(AdminHandler):
    async def get(self, id: str) -> None:
        assert self.actor is not None
        items = await orders.recommend_volunteers(self.ctx, self.actor, oid(id, "工单"), limit=8)
        self.write_json({"items": items})


class DispatchHandler(AdminHandler):
    async def post(self, id: str) -> None:
        assert self.actor is not None
        data = self.form(DispatchForm, multi=("volunteer_ids",))
        order = await orders.dispatch_order(self.ctx, self.actor, oid(id, "工单"), data)
        await audit.record(
            self.ctx,
            self.actor,
            "order.dispatch",
            org_path=order["org_path"],
            target_type="order",
            target_id=order["_id"],
            target_label=_label(order),
            reason=data.get("note", ""),
            before={"status": orders.SUBMITTED},
            after={
                "status": order["status"],
                "dispatch": order["timeline"][-1]["note"],
                "due_at": order["due_at"],
            },
            ip=self.client_ip,
        )
        self.write_json(
            {
                "ok": True,
                "status": order["status"],
                "message": f"已派单：{order['timeline'][-1]['note']}",
            }
        )


class RejectHandler(AdminHandler):
    async def post(self, id: str) -> None:
        assert self.actor is not None
        data = self.form(ReasonForm)
        order = await orders.reject_order(self.ctx, self.actor, oid(id, "工单"), data["reason"])
        await audit.record(
            self.ctx,
            self.actor,
            "order.reject",
            org_path=order["org_path"],
            target_type="order",
            target_id=order["_id"],
            target_label=_label(order),
            reason=data["reason"],
            before={"status": orders.SUBMITTED},
            after={"status": order["status"]},
            ip=self.client_ip,
        )
        self.write_json({"ok": True, "status": order["status"], "message": "已驳回该工单"})


class OrderDetailHandler(AdminHandler):
    nav = "board"

    async def get(self, id: str) -> None:
        assert self.actor is not None
        order = await orders.get_visible(self.ctx, self.actor, oid(id, "工单"))
        if not self.actor.manages(order["org_path"]):
            from server.errors import NotFound

            raise NotFound("找不到该工单", code="order_not_found")
        self.render(
            "order.html", o=orders.order_json(self.ctx, order, self.actor), now=self.ctx.now()
        )


default_handlers = [
    admin_route("/dispatch", BoardHandler),
    admin_route("/orders/{id}", OrderDetailHandler),
    admin_route("/orders/{id}/recommend", RecommendHandler),
    admin_route("/orders/{id}/dispatch", DispatchHandler),
    admin_route("/orders/{id}/reject", RejectHandler),
]
