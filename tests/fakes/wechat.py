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
    wxa_codes: list[dict[str, Any]] = field(default_factory=list)  # getwxacodeunlimit bodies

    # content safety: text containing a word below gets that verdict; `content_down` makes
    # both checks answer "system busy" (WeChat down); image checks are kept by trace_id
    text_checks: list[dict[str, Any]] = field(default_factory=list)
    media_checks: list[dict[str, Any]] = field(default_factory=list)
    content_down: bool = False

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


TEXT_VERDICTS = (("违禁", "risky", 20001), ("RISKY", "risky", 20001), ("REVIEW", "review", 21000))


class MsgSecCheckHandler(_Base):
    """wxa/msg_sec_check (v2): the verdict comes from marker words in the content."""

    def post(self) -> None:
        self.record("msg_sec_check")
        if not self.token_ok():
            return
        body = json.loads(self.request.body or b"{}")
        if self.state.content_down:
            self.reply({"errcode": -1, "errmsg": "system error"})
            return
        if (
            body.get("version") != 2
            or not body.get("openid")
            or body.get("scene") not in (1, 2, 3, 4)
        ):
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        self.state.text_checks.append(body)
        suggest, label = "pass", 100
        for word, verdict, code in TEXT_VERDICTS:
            if word in str(body.get("content", "")):
                suggest, label = verdict, code
                break
        trace = "TRACE-" + secrets.token_hex(8)
        self.reply(
            {
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
                "detail": [
                    {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}
                ],
                "trace_id": trace,
            }
        )


class MediaCheckAsyncHandler(_Base):
    """wxa/media_check_async (v2): answers a trace_id; the verdict is pushed later."""

    def post(self) -> None:
        self.record("media_check_async")
        if not self.token_ok():
            return
        body = json.loads(self.request.body or b"{}")
        if self.state.content_down:
            self.reply({"errcode": -1, "errmsg": "system error"})
            return
        if body.get("media_type") != 2 or body.get("version") != 2 or not body.get("media_url"):
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        trace = "TRACE-" + secrets.token_hex(8)
        self.state.media_checks.append({**body, "trace_id": trace})
        self.reply({"errcode": 0, "errmsg": "ok", "trace_id": trace})


def media_check_event(trace_id: str, suggest: str, appid: str = "wxtest") -> dict[str, Any]:
    """The event WeChat pushes when an asynchronous image check ends."""
    label = {"pass": 100, "review": 20002, "risky": 20002}[suggest]
    return {
        "ToUserName": "gh_tongxin",
        "FromUserName": "o" + secrets.token_hex(8),
        "CreateTime": 1700000000,
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": appid,
        "trace_id": trace_id,
        "version": 2,
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
    }


def push_request(
    event: dict[str, Any],
    *,
    token: str,
    aes_key: str = "",
    appid: str = "wxtest",
    fmt: str = "json",
    bad_signature: bool = False,
) -> tuple[str, bytes]:
    """(query string, body) of WeChat's message push, signed as WeChat signs it: plain mode,
    or the encrypted (安全) mode when `aes_key` is given; JSON or XML data format."""
    import hashlib
    import time
    from urllib.parse import urlencode

    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    timestamp, nonce = str(int(time.time())), secrets.token_hex(6)
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    if bad_signature:
        signature = "0" * 40
    query = {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    plain = (
        json.dumps(event)
        if fmt == "json"
        else xmltodict.unparse({"xml": event}, full_document=False)
    )
    if not aes_key:
        return urlencode(query), plain.encode()
    crypto = WeChatCrypto(token, aes_key, appid)
    envelope = xmltodict.parse(crypto.encrypt_message(plain, nonce, timestamp))["xml"]
    msg_signature = envelope["MsgSignature"]
    if bad_signature:
        msg_signature = "0" * 40
    query.update({"encrypt_type": "aes", "msg_signature": msg_signature})
    wrapped = {"ToUserName": event["ToUserName"], "Encrypt": envelope["Encrypt"]}
    body = (
        json.dumps(wrapped)
        if fmt == "json"
        else xmltodict.unparse({"xml": wrapped}, full_document=False)
    )
    return urlencode(query), body.encode()


def tiny_png(seed: str) -> bytes:
    """A real 8x8 grey PNG whose shade depends on `seed` (stands in for a 小程序码)."""
    import struct
    import zlib

    shade = sum(seed.encode()) % 200

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes([shade]) * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class WxaCodeHandler(_Base):
    """getwxacodeunlimit: a PNG for a valid scene (at most 32 characters), else errcode."""

    def post(self) -> None:
        self.record("getwxacodeunlimit")
        if not self.token_ok():
            return
        body = json.loads(self.request.body or b"{}")
        scene = str(body.get("scene", ""))
        self.state.wxa_codes.append(body)
        if not scene or len(scene) > 32:
            self.reply({"errcode": 40169, "errmsg": "invalid length for scene"})
            return
        self.set_header("Content-Type", "image/png")
        self.finish(tiny_png(scene))


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
                    (r"/wxa/msg_sec_check", MsgSecCheckHandler),
                    (r"/wxa/media_check_async", MediaCheckAsyncHandler),
                    (r"/wxa/getwxacodeunlimit", WxaCodeHandler),
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
