"""志愿服务活动与组织生活: list, create, read, edit, sign up, QR, check-in/out, attendance,
settle, cancel, and the caller's own activities."""

from __future__ import annotations

from typing import Any

from handlers.base import BaseHandler, endpoint, route
from models import activities
from models.activities.schemas import (
    ActivityList,
    ActivityOut,
    ActivityQuery,
    AttendanceOut,
    CorrectionRequest,
    CreateActivityRequest,
    EditActivityRequest,
    MyActivityList,
    MyActivityQuery,
    QrOut,
    QrQuery,
    ScanRequest,
    SignupOut,
    SignupResult,
)
from models.core.schemas import EmptyRequest, OptionalReasonRequest
from models.core.validation import page, parse_id
from models.media import guard

STAFF = ("secretary", "admin")


class ActivityHandlerBase(BaseHandler):
    def activity_id(self, id: str) -> Any:
        return parse_id(id, "活动")

    async def write_activity(self, activity: dict[str, Any], status: int = 200) -> None:
        mine = await activities.my_signup(self.ctx, activity["_id"], self.me.id)
        await guard.prefetch(self.ctx, [activity], "photos", "minutes_photos")
        self.write_json(activities.activity_json(self.ctx, activity, self.me, mine), status)


class ActivitiesHandler(ActivityHandlerBase):
    @endpoint(
        summary="活动列表（按我的组织、附近或类型）",
        query=ActivityQuery,
        response=ActivityList,
        tag="activities",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await activities.list_activities(
            self.ctx,
            self.me,
            org_id=a.get("org_id"),
            kind=a.get("kind"),
            near=a.get("near"),
            status=a.get("status"),
            cursor=a.get("cursor"),
            limit=a["limit"],
        )
        result = page(rows, next_cursor)
        await guard.prefetch(self.ctx, rows, "photos")
        result["items"] = [activities.activity_json(self.ctx, x, self.me) for x in result["items"]]
        self.write_json(result)

    @endpoint(
        summary="创建活动（草稿，或 publish=true 直接发布）",
        body=CreateActivityRequest,
        response=ActivityOut,
        status=201,
        roles=STAFF,
        tag="activities",
    )
    async def post(self) -> None:
        activity = await activities.create_activity(self.ctx, self.me, self.data)
        await self.write_activity(activity, 201)


class ActivityHandler(ActivityHandlerBase):
    @endpoint(summary="活动详情（含剩余名额和我的报名）", response=ActivityOut, tag="activities")
    async def get(self, id: str) -> None:
        activity = await activities.get_visible(
            self.ctx, self.me, self.activity_id(id), timeline=True
        )
        await self.write_activity(activity)

    @endpoint(
        summary="修改活动（报名后改时间或地点会通知已报名者；结束后可记会议纪要）",
        body=EditActivityRequest,
        response=ActivityOut,
        roles=STAFF,
        tag="activities",
    )
    async def patch(self, id: str) -> None:
        activity = await activities.edit_activity(
            self.ctx, self.me, self.activity_id(id), self.data
        )
        await self.write_activity(activity)


class PublishHandler(ActivityHandlerBase):
    @endpoint(
        summary="发布活动", body=EmptyRequest, response=ActivityOut, roles=STAFF, tag="activities"
    )
    async def post(self, id: str) -> None:
        activity = await activities.publish_activity(self.ctx, self.me, self.activity_id(id))
        await self.write_activity(activity)


class CancelHandler(ActivityHandlerBase):
    @endpoint(
        summary="取消活动（通知所有已报名者）",
        body=OptionalReasonRequest,
        response=ActivityOut,
        roles=STAFF,
        tag="activities",
    )
    async def post(self, id: str) -> None:
        activity = await activities.cancel_activity(
            self.ctx, self.me, self.activity_id(id), self.data["reason"]
        )
        await self.write_activity(activity)


class SignupHandler(ActivityHandlerBase):
    async def _result(self, activity_id: Any, signup: dict[str, Any]) -> None:
        activity = await activities.get_visible(self.ctx, self.me, activity_id)
        self.write_json(
            {
                "signup": activities.signup_json(signup),
                "activity": activities.activity_json(self.ctx, activity, self.me, signup),
            }
        )

    @endpoint(
        summary="报名（满员进入候补名单）",
        body=EmptyRequest,
        response=SignupResult,
        tag="activities",
    )
    async def post(self, id: str) -> None:
        activity_id = self.activity_id(id)
        signup = await activities.sign_up(self.ctx, self.me, activity_id)
        await self._result(activity_id, signup)

    @endpoint(summary="取消报名（候补第一位递补）", response=SignupResult, tag="activities")
    async def delete(self, id: str) -> None:
        activity_id = self.activity_id(id)
        signup = await activities.cancel_signup(self.ctx, self.me, activity_id)
        await self._result(activity_id, signup)


class QrHandler(ActivityHandlerBase):
    @endpoint(
        summary="当前签到/签退二维码内容（每 30 秒更换）",
        query=QrQuery,
        response=QrOut,
        roles=STAFF,
        tag="activities",
    )
    async def get(self, id: str) -> None:
        token, expires = await activities.current_qr(
            self.ctx, self.me, self.activity_id(id), self.args["direction"]
        )
        self.write_json(
            {
                "token": token,
                "direction": self.args["direction"],
                "expires_at": expires,
                "window_seconds": int(self.ctx.config.activities.qr_window_seconds),
                "image": activities.qr_image(token),
            }
        )


def scan_handler(direction: str, summary: str) -> type[ActivityHandlerBase]:
    class ScanHandler(ActivityHandlerBase):
        @endpoint(summary=summary, body=ScanRequest, response=SignupOut, tag="activities")
        async def post(self, id: str) -> None:
            signup = await activities.scan(
                self.ctx, self.me, self.activity_id(id), direction, self.data
            )
            self.write_json(activities.signup_json(signup))

    return ScanHandler


class AttendanceHandler(ActivityHandlerBase):
    @endpoint(
        summary="考勤名单（签到签退时间、位置、时长）",
        response=AttendanceOut,
        roles=STAFF,
        tag="activities",
    )
    async def get(self, id: str) -> None:
        activity_id = self.activity_id(id)
        rows = await activities.attendance(self.ctx, self.me, activity_id)
        activity = await activities.get_visible(self.ctx, self.me, activity_id)
        self.write_json(
            {
                "activity": activities.activity_json(self.ctx, activity, self.me),
                "items": [activities.signup_json(r) for r in rows],
            }
        )

    @endpoint(
        summary="组织方补签到/签退、更正时长、登记出席/请假/缺席（需填写原因，留痕）",
        body=CorrectionRequest,
        response=SignupOut,
        roles=STAFF,
        tag="activities",
    )
    async def post(self, id: str) -> None:
        row = await activities.correct(
            self.ctx, self.me, self.activity_id(id), self.data, ip=self.request.remote_ip
        )
        self.write_json(activities.signup_json(row))


class SettleHandler(ActivityHandlerBase):
    @endpoint(
        summary="结算：向每位出席者发放积分与时长（幂等）",
        body=EmptyRequest,
        response=ActivityOut,
        roles=STAFF,
        tag="activities",
    )
    async def post(self, id: str) -> None:
        activity = await activities.settle(self.ctx, self.me, self.activity_id(id))
        await self.write_activity(activity)


class MyActivitiesHandler(ActivityHandlerBase):
    @endpoint(
        summary="我的活动（即将参加、已参加及时长）",
        query=MyActivityQuery,
        response=MyActivityList,
        tag="activities",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await activities.my_activities(
            self.ctx, self.me, when=a.get("when"), cursor=a.get("cursor"), limit=a["limit"]
        )
        result = page(rows, next_cursor)
        result["items"] = [
            {
                "activity": activities.activity_json(self.ctx, act, self.me, signup),
                "signup": activities.signup_json(signup),
            }
            for act, signup in result["items"]
        ]
        self.write_json(result)


default_handlers = [
    route("/activities", ActivitiesHandler),
    route("/activities/{id}", ActivityHandler),
    route("/activities/{id}/publish", PublishHandler),
    route("/activities/{id}/cancel", CancelHandler),
    route("/activities/{id}/signup", SignupHandler),
    route("/activities/{id}/qr", QrHandler),
    route("/activities/{id}/checkin", scan_handler("in", "扫码签到（附手机定位）")),
    route("/activities/{id}/checkout", scan_handler("out", "扫码签退（附手机定位）")),
    route("/activities/{id}/attendance", AttendanceHandler),
    route("/activities/{id}/settle", SettleHandler),
    route("/me/activities", MyActivitiesHandler),
]
