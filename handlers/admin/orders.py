"""Admin pages of orders: the dispatch board, order detail, and the service catalogue."""

from __future__ import annotations

from typing import Any

from handlers.admin.base import AdminHandler, admin_route, oid
from models import orders
from models.core.forms import ReasonForm
from models.media import service as media
from models.orders import catalogue
from models.orders.forms import CategoryForm, DispatchForm, NewCategoryForm
from models.people import directory
from server.errors import AppError, NotFound, ValidationFailed

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


class OrderDetailHandler(AdminHandler):
    nav = "board"

    async def get(self, id: str) -> None:
        order = await orders.get_visible(self.ctx, self.me, oid(id, "工单"))
        if not self.me.manages(order["org_path"]):
            from server.errors import NotFound

            raise NotFound("找不到该工单", code="order_not_found")
        await media.prefetch(self.ctx, media.photo_ids([order]))
        self.render("order.html", o=orders.order_json(self.ctx, order, self.me), now=self.ctx.now())


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
    admin_route("/orders/{id}", OrderDetailHandler),
    admin_route("/orders/{id}/recommend", RecommendHandler),
    admin_route("/orders/{id}/dispatch", DispatchHandler),
    admin_route("/orders/{id}/reject", RejectHandler),
    admin_route("/catalogue", CatalogueHandler),
    admin_route("/catalogue/{id}", CategoryHandler),
]
