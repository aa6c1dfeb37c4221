"""双报到: reports to the community of residence, its service posts, and the transitions."""

from __future__ import annotations

from typing import Any

from handlers.base import BaseHandler, endpoint, route
from models import reports
from models.core.schemas import EmptyRequest, OptionalReasonRequest, ReasonRequest
from models.core.validation import page, parse_id
from models.reports.schemas import (
    PostList,
    PostOut,
    PostRequest,
    ReportList,
    ReportOut,
    ReportQuery,
    ReportRequest,
)

STAFF = ("secretary", "admin")


class ReportBase(BaseHandler):
    def write_report(self, report: dict[str, Any], status: int = 200) -> None:
        self.write_json(reports.report_json(report, self.me), status)


class ReportsHandler(ReportBase):
    @endpoint(
        summary="双报到：向居住地社区报到并选择服务岗位",
        body=ReportRequest,
        response=ReportOut,
        status=201,
        roles=("member",),
        tag="reports",
    )
    async def post(self) -> None:
        self.write_report(await reports.create_report(self.ctx, self.me, self.data), 201)

    @endpoint(
        summary="双报到列表（本人的，或本组织社区/单位支部的）",
        query=ReportQuery,
        response=ReportList,
        tag="reports",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await reports.list_reports(
            self.ctx, self.me, status=a.get("status"), cursor=a.get("cursor"), limit=a["limit"]
        )
        result = page(rows, next_cursor)
        result["items"] = [reports.report_json(r, self.me) for r in result["items"]]
        self.write_json(result)


class ConfirmHandler(ReportBase):
    @endpoint(
        summary="社区确认报到（加入社区志愿者队伍）",
        body=EmptyRequest,
        response=ReportOut,
        roles=STAFF,
        tag="reports",
    )
    async def post(self, id: str) -> None:
        rid = parse_id(id, "报到记录")
        self.write_report(await reports.confirm(self.ctx, self.me, rid))


class DeclineHandler(ReportBase):
    @endpoint(
        summary="社区退回报到（须说明理由）",
        body=ReasonRequest,
        response=ReportOut,
        roles=STAFF,
        tag="reports",
    )
    async def post(self, id: str) -> None:
        rid = parse_id(id, "报到记录")
        self.write_report(await reports.decline(self.ctx, self.me, rid, self.data["reason"]))


class EndHandler(ReportBase):
    @endpoint(
        summary="结束报到（本人搬家等，或社区管理员）",
        body=OptionalReasonRequest,
        response=ReportOut,
        tag="reports",
    )
    async def post(self, id: str) -> None:
        rid = parse_id(id, "报到记录")
        self.write_report(await reports.end(self.ctx, self.me, rid, self.data["reason"]))


class PostsHandler(BaseHandler):
    @endpoint(summary="社区的服务岗位（楼栋长、环境整治……）", response=PostList, tag="reports")
    async def get(self, id: str) -> None:
        posts = await reports.list_posts(self.ctx, parse_id(id, "社区"))
        self.write_json({"items": [reports.post_json(p) for p in posts]})

    @endpoint(
        summary="新增或修改社区服务岗位（同名即修改）",
        body=PostRequest,
        response=PostOut,
        roles=STAFF,
        tag="reports",
    )
    async def post(self, id: str) -> None:
        post = await reports.save_post(self.ctx, self.me, parse_id(id, "社区"), self.data)
        self.write_json(reports.post_json(post))


default_handlers = [
    route("/community-reports", ReportsHandler),
    route("/community-reports/{id}/confirm", ConfirmHandler),
    route("/community-reports/{id}/decline", DeclineHandler),
    route("/community-reports/{id}/end", EndHandler),
    route("/orgs/{id}/posts", PostsHandler),
]
