"""A fake WeChat API on loopback speaking the real endpoints wechatpy calls.

It runs in its own thread and event loop, records every call, and hands out secrets
(session keys, access tokens) that tests later look for in responses and logs.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

ERRORS = {
    "bad": (40029, "invalid code"),
    "used": (40163, "code been used"),
    "busy": (45011, "api minute-quota reach limit"),
}


@dataclass
class FakeWeChatState:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    session_keys: list[str] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)
    token_fetches: int = 0
    # subscribe messages that were accepted (their JSON bodies), and the errcodes the next
    # sends answer instead (43101 = quota used up; -1 / 45009 = transient), one per send
    subscribe_messages: list[dict[str, Any]] = field(default_factory=list)
    subscribe_errors: list[int] = field(default_factory=list)
    subscribe_attempts: int = 0

    def secrets(self) -> list[str]:
        return [*self.session_keys, *self.access_tokens]


class _Base(tornado.web.RequestHandler):
    @property
    def state(self) -> FakeWeChatState:
        return self.settings["state"]  # type: ignore[no-any-return]

    def record(self, name: str) -> None:
        params = {k: self.get_argument(k) for k in self.request.arguments}
        self.state.calls.append((name, params))

    def reply(self, data: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def token_ok(self) -> bool:
        token = self.get_argument("access_token", "")
        if token not in self.state.access_tokens:
            self.reply({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            return False
        return True


class TokenHandler(_Base):
    def get(self) -> None:
        self.record("token")
        if self.get_argument("secret", "") != "test-secret":
            self.reply({"errcode": 40125, "errmsg": "invalid appsecret"})
            return
        token = "ACCESS-TOKEN-" + secrets.token_hex(16)
        self.state.access_tokens.append(token)
        self.state.token_fetches += 1
        self.reply({"access_token": token, "expires_in": 7200})


class Code2SessionHandler(_Base):
    def get(self) -> None:
        self.record("jscode2session")
        code = self.get_argument("js_code", "")
        if code in ERRORS:
            errcode, errmsg = ERRORS[code]
            self.reply({"errcode": errcode, "errmsg": errmsg})
            return
        if not code.startswith("ok:"):
            self.reply({"errcode": 40029, "errmsg": "invalid code"})
            return
        key = "SESSION-KEY-" + secrets.token_hex(12)
        self.state.session_keys.append(key)
        self.reply({"openid": code[3:], "session_key": key})


class PhoneHandler(_Base):
    def post(self) -> None:
        self.record("getuserphonenumber")
        if not self.token_ok():
            return
        code = json.loads(self.request.body or b"{}").get("code", "")
        if not code.startswith("phone:"):
            self.reply({"errcode": 40029, "errmsg": "invalid code"})
            return
        number = code[6:]
        self.reply(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"timestamp": 1700000000, "appid": "wxtest"},
                },
            }
        )


class SubscribeSendHandler(_Base):
    def post(self) -> None:
        self.record("subscribe_send")
        if not self.token_ok():
            return
        self.state.subscribe_attempts += 1
        body = json.loads(self.request.body or b"{}")
        if self.state.subscribe_errors:
            errcode = self.state.subscribe_errors.pop(0)
            self.reply({"errcode": errcode, "errmsg": "fake failure"})
            return
        if not body.get("touser") or not body.get("template_id"):
            self.reply({"errcode": 47003, "errmsg": "argument invalid!"})
            return
        self.state.subscribe_messages.append(body)
        self.reply({"errcode": 0, "errmsg": "ok", "msgid": len(self.state.subscribe_messages)})


class FakeWeChat:
    def __init__(self) -> None:
        self.state = FakeWeChatState()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = tornado.web.Application(
                [
                    (r"/cgi-bin/token", TokenHandler),
                    (r"/sns/jscode2session", Code2SessionHandler),
                    (r"/wxa/business/getuserphonenumber", PhoneHandler),
                    (r"/cgi-bin/message/subscribe/send", SubscribeSendHandler),
                ],
                state=self.state,
                # WeChat's own access log is not ours: keep it out of the logs the tests scan
                log_function=lambda handler: None,
            )
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            ready.set()
            loop.run_forever()
            server.stop()

        self._thread = threading.Thread(target=run, name="fake-wechat", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
