"""服务项目库 (committee admins only): categories, skills, base points and SLA."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from handlers.admin.base import AdminHandler, admin_route, oid
from models import audit, catalogue, roster
from models.admin_schemas import CategoryForm, NewCategoryForm
from server.errors import AppError, NotFound, ValidationFailed

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
SHOWN = ("name", "description", "skills", "base_points", "service_hours", "sla_hours", "active")


def _public(cat: dict[str, Any]) -> dict[str, Any]:
    return {k: cat.get(k) for k in ("code", *SHOWN)}


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
        assert self.actor is not None
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        try:
            data = self.form(NewCategoryForm)
            data["skills"] = roster.split_skills(data["skills"])
            cat = await catalogue.add_category(self.ctx, data)
        except AppError as exc:
            await self.show(errors=exc.fields or {"body": exc.message}, form=raw, editing="new")
            return
        await audit.record(
            self.ctx,
            self.actor,
            "catalogue.create",
            org_path=self.actor.org_path,
            target_type="category",
            target_id=cat["_id"],
            target_label=cat["name"],
            after=_public(cat),
            ip=self.client_ip,
        )
        self.redirect("/admin/catalogue?msg=" + quote(f"已新增服务项目「{cat['name']}」"))


class CategoryHandler(CatalogueHandler):
    async def get(self, id: str) -> None:  # type: ignore[override]
        """The edit URL opened directly (it used to answer 500): the catalogue page."""
        if oid(id, "服务项目") not in await catalogue.all_categories(self.ctx):
            raise NotFound("找不到该服务项目", code="category_not_found")
        await self.show()

    async def post(self, id: str) -> None:  # type: ignore[override]
        assert self.actor is not None
        raw = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        try:
            data = self.form(CategoryForm)
            data["skills"] = roster.split_skills(data["skills"])
            if not data["skills"]:
                raise ValidationFailed(fields={"skills": "至少填写一项技能"})
            before, after = await catalogue.update_category(self.ctx, oid(id, "服务项目"), data)
        except ValidationFailed as exc:
            await self.show(errors=exc.fields, form=raw, editing=id)
            return
        await audit.record(
            self.ctx,
            self.actor,
            "catalogue.update",
            org_path=self.actor.org_path,
            target_type="category",
            target_id=before["_id"],
            target_label=after["name"],
            before=_public(before),
            after=_public(after),
            ip=self.client_ip,
        )
        self.redirect("/admin/catalogue?msg=" + quote(f"已保存「{after['name']}」"))


default_handlers = [
    admin_route("/catalogue", CatalogueHandler),
    admin_route("/catalogue/{id}", CategoryHandler),
]
