"""Running the service: liveness, readiness, the OpenAPI document and the job-run record."""

from __future__ import annotations

import tornado.web

from handlers.base import BaseHandler, dumps, endpoint, route
from models.core.schemas import HealthOut
from models.core.validation import page
from models.ops import jobruns
from models.ops.schemas import JobRunList, JobRunQuery
from server.errors import Forbidden, ServiceUnavailable


class HealthHandler(BaseHandler):
    @endpoint(summary="进程存活", response=HealthOut, auth=False, tag="health")
    async def get(self) -> None:
        self.write_json({"status": "ok"})


class ReadyHandler(BaseHandler):
    @endpoint(summary="数据库可达", response=HealthOut, auth=False, tag="health")
    async def get(self) -> None:
        try:
            await self.ctx.ping()
        except Exception:
            raise ServiceUnavailable("数据库不可达", code="not_ready") from None
        self.write_json({"status": "ready"})


class OpenAPIHandler(BaseHandler):
    @endpoint(summary="OpenAPI 3 文档", auth=False, tag="health")
    async def get(self) -> None:
        self.set_header("Cache-Control", "public, max-age=60")
        self.finish(dumps(self.settings["openapi"]))


class JobRunsHandler(BaseHandler):
    @endpoint(
        summary="定时任务运行记录（管理员）",
        query=JobRunQuery,
        response=JobRunList,
        roles=("secretary", "admin"),
        tag="jobs",
    )
    async def get(self) -> None:
        if not self.me.is_staff:
            raise Forbidden("只有组织管理员可以查看定时任务记录")
        a = self.args
        rows, next_cursor = await jobruns.list_runs(
            self.ctx,
            job=a.get("job"),
            outcome=a.get("outcome"),
            cursor=a.get("cursor"),
            limit=a["limit"],
        )
        self.write_json(page([jobruns.run_json(r) for r in rows], next_cursor))


default_handlers = [
    tornado.web.url(r"/healthz$", HealthHandler),
    tornado.web.url(r"/readyz$", ReadyHandler),
    route("/openapi.json", OpenAPIHandler, prefix="/api"),
    route("/job-runs", JobRunsHandler),
]
