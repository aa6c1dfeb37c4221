"""登录与个人信息: WeChat login, logout, me, phone binding."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import auth, privacy, schemas, users


class WeChatLoginHandler(BaseHandler):
    @endpoint(
        summary="微信登录（code2Session）",
        body=schemas.LoginRequest,
        response=schemas.LoginResponse,
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
        body=schemas.EmptyRequest,
        response=schemas.OkResponse,
        tag="auth",
    )
    async def post(self) -> None:
        assert self.token is not None
        await auth.logout(self.ctx, self.token)
        self.write_json({"ok": True})


class MeHandler(BaseHandler):
    @endpoint(summary="当前用户", response=schemas.UserOut, tag="auth")
    async def get(self) -> None:
        assert self.actor is not None
        self.write_json(await users.user_json(self.ctx, self.actor.doc, full_phone=True))

    @endpoint(
        summary="注销账号：删除个人信息，保留匿名的积分与工单记录",
        response=schemas.ErasedOut,
        tag="auth",
    )
    async def delete(self) -> None:
        assert self.actor is not None
        self.write_json(await privacy.erase_me(self.ctx, self.actor))


class MyDataExportHandler(BaseHandler):
    @endpoint(summary="导出我的全部数据（JSON）", response=schemas.ExportOut, tag="auth")
    async def get(self) -> None:
        assert self.actor is not None
        self.set_header("Content-Disposition", 'attachment; filename="tongxin-my-data.json"')
        self.write_json(await privacy.export_my_data(self.ctx, self.actor))


class MyPhoneHandler(BaseHandler):
    @endpoint(
        summary="绑定手机号（getPhoneNumber code）",
        body=schemas.PhoneRequest,
        response=schemas.UserOut,
        tag="auth",
    )
    async def post(self) -> None:
        assert self.actor is not None
        user = await auth.bind_phone(
            self.ctx, self.settings["wechat"], self.actor, self.data["code"]
        )
        self.write_json(await users.user_json(self.ctx, user, full_phone=True))


default_handlers = [
    route("/auth/wechat-login", WeChatLoginHandler),
    route("/auth/logout", LogoutHandler),
    route("/me", MeHandler),
    route("/me/phone", MyPhoneHandler),
    route("/me/export", MyDataExportHandler),
]
