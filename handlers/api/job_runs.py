"""定时任务运行记录: staff see every job run (start, end, outcome, counts)."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import jobruns
from models import notification_schemas as schemas
from models.base import page
from server.errors import Forbidden


class JobRunsHandler(BaseHandler):
    @endpoint(
        summary="定时任务运行记录（管理员）",
        query=schemas.JobRunQuery,
        response=schemas.JobRunList,
        roles=("secretary", "admin"),
        tag="jobs",
    )
    async def get(self) -> None:
        assert self.actor is not None
        if not self.actor.is_staff:
            raise Forbidden("只有组织管理员可以查看定时任务记录")
        a = self.args
        rows = await jobruns.list_runs(
            self.ctx,
            job=a.get("job"),
            outcome=a.get("outcome"),
            offset=a["offset"],
            limit=a["limit"],
        )
        result = page(rows, a["offset"], a["limit"])
        result["items"] = [jobruns.run_json(r) for r in result["items"]]
        self.write_json(result)


default_handlers = [route("/job-runs", JobRunsHandler)]
