"""组织与服务项目: the organisation tree and the service catalogue (read-only here)."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import catalogue, orgs, schemas


class OrgsHandler(BaseHandler):
    @endpoint(
        summary="组织树，或某组织的下级",
        query=schemas.OrgQuery,
        response=schemas.OrgList,
        auth=False,
        tag="orgs",
    )
    async def get(self) -> None:
        parent = self.args.get("parent")
        if parent is None:
            items = await orgs.org_tree(self.ctx)
        else:
            items = await orgs.org_children(self.ctx, parent)
        self.write_json({"items": items})


class CategoriesHandler(BaseHandler):
    @endpoint(summary="服务项目", response=schemas.CategoryList, auth=False, tag="orgs")
    async def get(self) -> None:
        cats = await catalogue.active_categories(self.ctx)
        self.write_json({"items": [catalogue.category_json(c) for c in cats.values()]})


default_handlers = [
    route("/orgs", OrgsHandler),
    route("/service-categories", CategoriesHandler),
]
