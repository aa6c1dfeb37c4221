"""A fake Tencent Cloud SMS API on loopback: `SendSms` of API 3.0 (version 2021-01-11).

It speaks what the official SDK sends to sms.tencentcloudapi.com: a JSON POST to `/` with
the X-TC-* headers and a TC3-HMAC-SHA256 `Authorization` header, which it verifies (a bad
signature or an expired timestamp answers the real AuthFailure errors). Accepted messages
answer the real shape: `{"Response": {"SendStatusSet": [{"SerialNo", "PhoneNumber", "Fee",
"SessionContext", "Code": "Ok", "Message", "IsoCode"}], "RequestId"}}`.

Switches, one per coming request, in order (`state.faults`):
  "500"           an HTTP 500 with no body the SDK can read
  "timeout"       no answer before the client gives up (the request was received)
  "error:<Code>"  a request-level error, e.g. error:InternalError.Timeout
  "status:<Code>" the request succeeds but the number's status says <Code>, e.g.
                  status:LimitExceeded.PhoneNumberThirtySecondLimit
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

SECRET_ID = "AKIDfakeSmsTestSecretId0001"
SDK_APP_ID = "1400000001"
AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass
class FakeSmsState:
    secret_key: str = field(default_factory=lambda: "fake-sms-key-" + secrets.token_hex(12))
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted SendSms bodies
    requests: int = 0  # every SendSms that arrived (refused ones too)
    refused: list[str] = field(default_factory=list)  # error codes answered
    faults: list[str] = field(default_factory=list)
    hang_seconds: float = 3.0

    def secrets(self) -> list[str]:
        return [self.secret_key]

    def to(self, phone: str) -> list[dict[str, Any]]:
        """The accepted messages to a number (11 digits or +86…)."""
        want = phone if phone.startswith("+") else "+86" + phone
        return [m for m in self.sent if want in m["PhoneNumberSet"]]


def tc3_signature(
    secret_key: str, *, host: str, content_type: str, body: bytes, timestamp: int, service: str
) -> str:
    """The TC3-HMAC-SHA256 signature of a POST to `/` (Tencent Cloud API 3.0 signing v3)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class SendSmsHandler(tornado.web.RequestHandler):
    @property
    def state(self) -> FakeSmsState:
        return self.settings["state"]  # type: ignore[no-any-return]

    def answer(self, response: dict[str, Any], status: int = 200) -> None:
        response["RequestId"] = str(uuid.uuid4())
        self.set_status(status)
        self.set_header("Content-Type", "application/json")  # exactly: the SDK compares it
        self.finish(json.dumps({"Response": response}, ensure_ascii=False))

    def error(self, code: str, message: str) -> None:
        self.state.refused.append(code)
        self.answer({"Error": {"Code": code, "Message": message}})

    def authorised(self) -> bool:
        headers = self.request.headers
        match = AUTH.match(headers.get("Authorization", ""))
        if match is None:
            self.error("AuthFailure.InvalidAuthorization", "Authorization 格式不正确")
            return False
        if match["id"] != SECRET_ID:
            self.error("AuthFailure.SecretIdNotFound", "SecretId 不存在")
            return False
        try:
            timestamp = int(headers.get("X-TC-Timestamp", ""))
        except ValueError:
            self.error("InvalidParameter", "X-TC-Timestamp 无效")
            return False
        if abs(time.time() - timestamp) > 300:
            self.error("AuthFailure.SignatureExpire", "签名过期")
            return False
        expected = tc3_signature(
            self.state.secret_key,
            host=headers.get("Host", ""),
            content_type=headers.get("Content-Type", ""),
            body=self.request.body,
            timestamp=timestamp,
            service=match["service"],
        )
        if (
            match["signed"] != "content-type;host"
            or match["service"] != "sms"
            or match["date"] != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
            or not hmac.compare_digest(expected, match["sig"])
        ):
            self.error("AuthFailure.SignatureFailure", "签名错误")
            return False
        return True

    async def post(self) -> None:
        headers = self.request.headers
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            self.error("InvalidAction", "接口不存在")
            return
        self.state.requests += 1
        fault = self.state.faults.pop(0) if self.state.faults else ""
        if fault == "timeout":
            await asyncio.sleep(self.state.hang_seconds)
        if fault == "500":
            self.set_status(500)
            self.finish("internal error")
            return
        if not self.authorised():
            return
        if fault.startswith("error:"):
            self.error(fault.split(":", 1)[1], "模拟的错误")
            return
        body = json.loads(self.request.body or b"{}")
        phones = body.get("PhoneNumberSet") or []
        if body.get("SmsSdkAppId") != SDK_APP_ID:
            self.error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId 校验失败")
            return
        if not body.get("SignName") or not body.get("TemplateId") or not phones:
            self.error("MissingParameter", "缺少参数")
            return
        statuses = []
        for phone in phones:
            code = fault.split(":", 1)[1] if fault.startswith("status:") else "Ok"
            if not re.fullmatch(r"\+861[3-9]\d{9}", phone):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            statuses.append(
                {
                    "SerialNo": f"2433:{secrets.randbelow(10**12):012d}" if code == "Ok" else "",
                    "PhoneNumber": phone,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": code,
                    "Message": "send success" if code == "Ok" else "模拟的失败",
                    "IsoCode": "CN",
                }
            )
        if fault.startswith("status:") or any(s["Code"] != "Ok" for s in statuses):
            self.state.refused.extend(s["Code"] for s in statuses if s["Code"] != "Ok")
        if any(s["Code"] == "Ok" for s in statuses):
            self.state.sent.append(body)
        self.answer({"SendStatusSet": statuses})


class FakeSms:
    def __init__(self) -> None:
        self.state = FakeSmsState()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, Any]:
        """The `sms` config keys that point the SDK here."""
        return {
            "secret_id": SECRET_ID,
            "secret_key": self.state.secret_key,
            "sdk_app_id": SDK_APP_ID,
            "sign_name": "同心社区",
            "endpoint": self.endpoint,
            "timeout_s": 1,
        }

    def reset(self) -> None:
        self.state.sent.clear()
        self.state.refused.clear()
        self.state.faults.clear()
        self.state.requests = 0

    def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = tornado.web.Application(
                [(r"/", SendSmsHandler)], state=self.state, log_function=lambda handler: None
            )
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            ready.set()
            loop.run_forever()
            server.stop()

        self._thread = threading.Thread(target=run, name="fake-sms", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
