"""People: WeChat sign-in and tokens, my account and data, the org tree, member registration."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models.core.schemas import EmptyRequest, OkResponse, ReasonRequest
from models.core.validation import page, parse_id
from models.people import auth, orgs, privacy, registrations, users
from models.people.schemas import (
    ErasedOut,
    ExportOut,
    LoginRequest,
    LoginResponse,
    MeUpdateRequest,
    OrgList,
    OrgQuery,
    PhoneRequest,
    RegistrationList,
    RegistrationOut,
    RegistrationQuery,
    RegistrationRequest,
    UserOut,
)


class WeChatLoginHandler(BaseHandler):
    @endpoint(
        summary="微信登录（code2Session）",
        body=LoginRequest,
        response=LoginResponse,
        auth=False,
        tag="auth",
    )
    async def post(self) -> None:
        result = await auth.login_with_wechat(self.ctx, self.settings["wechat"], self.data["code"])
        self.write_json(
            {
                "token": result["token"],
                "expires_at": result["expires_at"],
                "user": await users.user_json(self.ctx, result["user"], full_phone=True),
            }
        )


class LogoutHandler(BaseHandler):
    @endpoint(
        summary="退出登录（令牌立即失效）",
        body=EmptyRequest,
        response=OkResponse,
        tag="auth",
    )
    async def post(self) -> None:
        assert self.token is not None
        await auth.logout(self.ctx, self.token)
        self.write_json({"ok": True})


class MeHandler(BaseHandler):
    @endpoint(summary="当前用户", response=UserOut, tag="auth")
    async def get(self) -> None:
        self.write_json(await users.user_json(self.ctx, self.me.doc, full_phone=True))

    @endpoint(
        summary="修改我的设置（关怀模式）", body=MeUpdateRequest, response=UserOut, tag="auth"
    )
    async def patch(self) -> None:
        user = await users.set_care_mode(self.ctx, self.me, self.data["care_mode"])
        self.write_json(await users.user_json(self.ctx, user, full_phone=True))

    @endpoint(
        summary="注销账号：删除个人信息，保留匿名的积分与工单记录",
        response=ErasedOut,
        tag="auth",
    )
    async def delete(self) -> None:
        self.write_json(await privacy.erase_me(self.ctx, self.me))


class MyDataExportHandler(BaseHandler):
    @endpoint(summary="导出我的全部数据（JSON）", response=ExportOut, tag="auth")
    async def get(self) -> None:
        self.set_header("Content-Disposition", 'attachment; filename="tongxin-my-data.json"')
        self.write_json(await privacy.export_my_data(self.ctx, self.me))


class MyPhoneHandler(BaseHandler):
    @endpoint(
        summary="绑定手机号（getPhoneNumber code）",
        body=PhoneRequest,
        response=UserOut,
        tag="auth",
    )
    async def post(self) -> None:
        user = await auth.bind_phone(self.ctx, self.settings["wechat"], self.me, self.data["code"])
        self.write_json(await users.user_json(self.ctx, user, full_phone=True))


class RegistrationsHandler(BaseHandler):
    @endpoint(
        summary="申请成为某支部的队员",
        body=RegistrationRequest,
        response=RegistrationOut,
        status=201,
        tag="members",
    )
    async def post(self) -> None:
        reg = await registrations.register(self.ctx, self.me, self.data)
        self.write_json(registrations.registration_json(reg, self.me), 201)

    @endpoint(
        summary="队员申请列表（管理员看本组织，其他人看自己的）",
        query=RegistrationQuery,
        response=RegistrationList,
        tag="members",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await registrations.list_registrations(
            self.ctx, self.me, a.get("status"), a.get("cursor"), a["limit"]
        )
        items = [registrations.registration_json(r, self.me) for r in rows]
        self.write_json(page(items, next_cursor))


class ApproveRegistrationHandler(BaseHandler):
    @endpoint(
        summary="通过队员申请",
        body=EmptyRequest,
        response=RegistrationOut,
        roles=("secretary", "admin"),
        tag="members",
    )
    async def post(self, id: str) -> None:
        reg = await registrations.approve(self.ctx, self.me, parse_id(id, "申请"))
        self.write_json(registrations.registration_json(reg, self.me))


class RejectRegistrationHandler(BaseHandler):
    @endpoint(
        summary="驳回队员申请",
        body=ReasonRequest,
        response=RegistrationOut,
        roles=("secretary", "admin"),
        tag="members",
    )
    async def post(self, id: str) -> None:
        reg = await registrations.reject(
            self.ctx, self.me, parse_id(id, "申请"), self.data["reason"]
        )
        self.write_json(registrations.registration_json(reg, self.me))


class OrgsHandler(BaseHandler):
    @endpoint(
        summary="组织树，或某组织的下级",
        query=OrgQuery,
        response=OrgList,
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


default_handlers = [
    route("/auth/wechat-login", WeChatLoginHandler),
    route("/auth/logout", LogoutHandler),
    route("/me", MeHandler),
    route("/me/phone", MyPhoneHandler),
    route("/me/export", MyDataExportHandler),
    route("/member-registrations", RegistrationsHandler),
    route("/member-registrations/{id}/approve", ApproveRegistrationHandler),
    route("/member-registrations/{id}/reject", RejectRegistrationHandler),
    route("/orgs", OrgsHandler),
]
