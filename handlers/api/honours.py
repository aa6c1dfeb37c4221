"""服务标兵/党员之星: the confirmed honour roll of a node and everything under it."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import honours
from models.honours.schemas import HonourList, HonourQuery


class HonoursHandler(BaseHandler):
    @endpoint(
        summary="荣誉榜（服务标兵、党员之星；已确认的名单）",
        query=HonourQuery,
        response=HonourList,
        tag="honours",
    )
    async def get(self) -> None:
        rows = await honours.published(self.ctx, self.args["org_id"], self.args["limit"])
        self.write_json({"items": [honours.honour_json(h) for h in rows]})


default_handlers = [route("/honours", HonoursHandler)]
