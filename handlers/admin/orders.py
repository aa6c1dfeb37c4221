"""Admin pages of orders: the dispatch board, order detail, and the service catalogue."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from handlers.admin.base import AdminHandler, admin_route, oid
from models import orders
from models.core.forms import ReasonForm
from models.media import service as media
from models.orders import catalogue, proxy, slip, timeline
from models.orders.forms import (
    CategoryForm,
    ConfirmOnBehalfForm,
    DispatchForm,
    NewCategoryForm,
    PhoneLookupForm,
    PhoneOrderForm,
)
from models.people import directory
from server.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed

PAGE = 30


def _label(order: dict) -> str:
    return f"{order['category_name']}｜{order['address'][:20]}"


class BoardHandler(AdminHandler):
    nav = "board"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        cursor = self.query("cursor")
        rows, next_cursor = await orders.awaiting_dispatch(self.ctx, org["_id"], cursor, PAGE)

        self.render(
            "board.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            items=[orders.order_json(self.ctx, o, self.me) for o in rows],
            next_cursor=next_cursor,
            cursor=cursor,
            now=self.ctx.now(),
        )


class RecommendHandler(AdminHandler):
    async def get(self, id: str) -> None:
        items = await orders.recommend_volunteers(self.ctx, self.me, oid(id, "工单"), limit=8)
        self.write_json({"items": items})


class DispatchHandler(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(DispatchForm, multi=("volunteer_ids",))
        order = await orders.dispatch_order(self.ctx, self.me, oid(id, "工单"), data)
        self.write_json(
            {
                "ok": True,
                "status": order["status"],
                "message": f"已派单：{order['timeline'][-1]['note']}",
            }
        )


class RejectHandler(AdminHandler):
    async def post(self, id: str) -> None:
        data = self.form(ReasonForm)
        order = await orders.reject_order(self.ctx, self.me, oid(id, "工单"), data["reason"])
        self.write_json({"ok": True, "status": order["status"], "message": "已驳回该工单"})


class PhoneOrderHandler(AdminHandler):
    """电话点单: a resident's order taken by phone, at a visit or at the counter (代下单)."""

    nav = "board"

    async def get(self) -> None:
        await self.show()

    async def show(
        self, errors: dict[str, str] | None = None, form: dict[str, str] | None = None
    ) -> None:
        if errors:
            self.set_status(400)
        nodes = [
            n
            for n in await directory.subtree(self.ctx, self.me)
            if n["type"] in ("community", "branch")
        ]
        self.render(
            "order_new.html",
            nodes=nodes,
            cats=list((await catalogue.active_categories(self.ctx)).values()),
            channels={k: v for k, v in proxy.CHANNEL_NAMES.items() if k in proxy.CHANNELS},
            errors=errors or {},
            form=form or {"channel": "phone"},
        )

    async def post(self) -> None:
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        raw.pop("_xsrf", None)
        try:
            data = self.form(PhoneOrderForm)
            order, _ = await orders.place_order(
                self.ctx,
                self.me,
                {
                    "org_id": data["org_id"],
                    "category_id": data["category_id"],
                    "description": data["description"],
                    "address": data["address"],
                    "on_behalf_of": {
                        "name": data["name"],
                        "phone": data["phone"],
                        "address": data["address"],
                        "channel": data["channel"],
                    },
                },
            )
        except (ValidationFailed, Forbidden) as exc:
            await self.show(errors=exc.fields or {"body": exc.message}, form=raw)
            return
        except NotFound as exc:  # a category or node that is not there (any more)
            await self.show(errors={"body": exc.message}, form=raw)
            return
        self.redirect(f"/admin/orders/{order['_id']}?msg=order_placed")


class EarlierContactHandler(AdminHandler):
    """The form's autocomplete: name and addresses of earlier orders for a phone (JSON)."""

    async def get(self) -> None:
        data = self.form_query(PhoneLookupForm)
        self.write_json(await proxy.earlier_contact(self.ctx, self.me, data["phone"]))

    def form_query(self, schema: Any) -> dict[str, Any]:
        from handlers.base import schema_instance
        from models.core.validation import load

        args = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        return load(schema_instance(schema), args)


class OrderDetailHandler(AdminHandler):
    nav = "board"

    async def get(self, id: str) -> None:
        await self.show(id)

    async def show(
        self, id: str, errors: dict[str, str] | None = None, form: dict[str, str] | None = None
    ) -> None:
        order = await orders.get_visible(self.ctx, self.me, oid(id, "工单"))
        if not self.me.manages(order["org_path"]):
            raise NotFound("找不到该工单", code="order_not_found")
        if errors:
            self.set_status(400)
        await media.prefetch(self.ctx, media.photo_ids([order]))
        self.render(
            "order.html",
            o=orders.order_json(self.ctx, order, self.me),
            now=self.ctx.now(),
            errors=errors or {},
            form=form or {},
        )


class OrderTimelineHandler(AdminHandler):
    """处理记录: the order's whole history, newest first, the archived older events too."""

    nav = "board"

    async def get(self, id: str) -> None:
        order = await orders.get_visible(self.ctx, self.me, oid(id, "工单"), timeline=False)
        if not self.me.manages(order["org_path"]):
            raise NotFound("找不到该工单", code="order_not_found")
        page = await timeline.history_page(
            self.ctx, self.me, order["_id"], self.query("cursor") or None, PAGE
        )
        self.render("order_timeline.html", order=order, page=page)


class ConfirmOnBehalfHandler(OrderDetailHandler):
    """代确认: staff confirm an order placed on a resident's behalf after calling them.
    The action URL opened with GET shows the order page (scope checked as for the page)."""

    async def post(self, id: str) -> None:
        raw = {k: self.get_body_argument(k, "") for k in ("rating", "on_behalf_note", "comment")}
        try:
            data = self.form(ConfirmOnBehalfForm)
            await orders.confirm_order(self.ctx, self.me, oid(id, "工单"), data)
        except (ValidationFailed, Forbidden, Conflict) as exc:
            await self.show(id, errors=exc.fields or {"body": exc.message}, form=raw)
            return
        self.redirect(f"/admin/orders/{id}?msg=confirmed_on_behalf")


class SlipHandler(AdminHandler):
    """The paper slip (服务单) of an order in the secretary's scope, as a PDF."""

    async def get(self, id: str) -> None:
        order = await slip.slip_for(self.ctx, self.me, oid(id, "工单"))
        if not self.me.manages(order["org_path"]):
            raise NotFound("找不到该工单", code="order_not_found")
        volunteer = await slip.volunteer_label(self.ctx, order)
        payload = slip.qr_payload(self.ctx, order["_id"])
        loop = asyncio.get_running_loop()
        content = await loop.run_in_executor(None, slip.slip_pdf, order, volunteer, payload)
        self.set_header("Content-Type", "application/pdf")
        name = quote(f"服务单-{order['_id']}.pdf")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
        self.finish(content)


LABELS = {
    "code": "编码",
    "name": "名称",
    "description": "说明",
    "skills": "技能",
    "base_points": "基础积分",
    "service_hours": "服务时长（小时）",
    "sla_hours": "时限（小时）",
    "active": "启用",
    "body": "提交",
}


class CatalogueHandler(AdminHandler):
    nav = "catalogue"
    staff_roles = ("admin",)

    async def get(self) -> None:
        await self.show()

    async def show(
        self,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        editing: str = "",
    ) -> None:
        if errors:
            self.set_status(400)
        cats = await catalogue.all_categories(self.ctx)
        self.render(
            "catalogue.html",
            cats=list(cats.values()),
            errors=errors or {},
            form=form or {},
            editing=editing,
            labels=LABELS,
        )

    async def post(self) -> None:
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        try:
            data = self.form(NewCategoryForm)
            data["skills"] = catalogue.parse_skills(data["skills"])
            await catalogue.add_category(self.ctx, self.me, data)
        except AppError as exc:
            await self.show(errors=exc.fields or {"body": exc.message}, form=raw, editing="new")
            return
        self.redirect("/admin/catalogue?msg=category_added")


class CategoryHandler(CatalogueHandler):
    async def get(self, id: str) -> None:  # type: ignore[override]
        """The edit URL opened directly (it used to answer 500): the catalogue page."""
        if oid(id, "服务项目") not in await catalogue.all_categories(self.ctx):
            raise NotFound("找不到该服务项目", code="category_not_found")
        await self.show()

    async def post(self, id: str) -> None:  # type: ignore[override]
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        try:
            data = self.form(CategoryForm)
            data["skills"] = catalogue.parse_skills(data["skills"])
            await catalogue.update_category(self.ctx, self.me, oid(id, "服务项目"), data)
        except ValidationFailed as exc:
            await self.show(errors=exc.fields, form=raw, editing=id)
            return
        self.redirect("/admin/catalogue?msg=category_saved")


default_handlers = [
    admin_route("/dispatch", BoardHandler),
    admin_route("/orders/new", PhoneOrderHandler),  # before /orders/{id}
    admin_route("/orders/earlier-contact", EarlierContactHandler),
    admin_route("/orders/{id}", OrderDetailHandler),
    admin_route("/orders/{id}/timeline", OrderTimelineHandler),
    admin_route("/orders/{id}/recommend", RecommendHandler),
    admin_route("/orders/{id}/slip", SlipHandler),
    admin_route("/orders/{id}/confirm", ConfirmOnBehalfHandler),
    admin_route("/orders/{id}/dispatch", DispatchHandler),
    admin_route("/orders/{id}/reject", RejectHandler),
    admin_route("/catalogue", CatalogueHandler),
    admin_route("/catalogue/{id}", CategoryHandler),
]
