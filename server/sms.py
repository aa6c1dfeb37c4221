"""The only door to SMS: Tencent Cloud SMS (`SendSms`, API 3.0) through its official SDK.

The SDK blocks (requests underneath), so every call runs on a pool of its own, like the
WeChat gateway. The gateway only sends and classifies the answer; which message goes to
whom, limits and retries are the notifications domain's (models/notifications/sms.py).
Phone numbers never reach a log line from here: the SDK's own logger is kept at WARNING
and our lines carry the masked number only.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlparse

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from server.config import Config
from server.logging import mask_phone

log = logging.getLogger("tongxin.sms")
logging.getLogger("tencentcloud_sdk_common").setLevel(logging.WARNING)

# Outcomes of one attempt (what the notifications domain does next):
SENT = "sent"  # Code "Ok": accepted by the operator gateway
RETRY = "retry"  # nothing was sent (network refused, 5xx, throttled, internal error)
FAILED = "failed"  # refused for good (bad number, template, signature, credentials …)
UNKNOWN = "unknown"  # the request went out, no answer came back: it may have been sent

# Codes worth another try later; every other non-Ok code is final.
TRANSIENT_PREFIXES = ("InternalError", "RequestLimitExceeded", "ServerNetworkError")
TRANSIENT_CODES = {
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "FailedOperation.FailResolvePacket",
    "ClientNetworkError",
}


@dataclass(frozen=True)
class SmsResult:
    outcome: str
    code: str
    message: str = ""
    serial_no: str = ""
    fee: int = 0
    request_id: str = ""


def classify(code: str, message: str = "") -> str:
    if code == "Ok":
        return SENT
    if code == "ClientNetworkError" and "read timed out" in message.lower():
        return UNKNOWN  # sent, maybe delivered: never sent again (exactly once)
    if code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES):
        return RETRY
    return FAILED


def e164(phone: str) -> str:
    """Mainland numbers get +86; numbers already in +CC form stay as they are."""
    return phone if phone.startswith("+") else "+86" + phone


class SmsGateway:
    def __init__(self, config: Config):
        cfg = config.sms
        self.secret_id = str(cfg.secret_id)
        self.sdk_app_id = str(cfg.sdk_app_id)
        self.sign_name = str(cfg.sign_name)
        self.configured = bool(self.secret_id and cfg.secret_key and self.sdk_app_id)
        http = HttpProfile(reqTimeout=max(1, round(float(cfg.timeout_s))))
        endpoint = str(cfg.endpoint or "")
        if endpoint:  # e.g. http://127.0.0.1:9000 (a loopback server in tests)
            url = urlparse(endpoint if "//" in endpoint else "https://" + endpoint)
            http.protocol = http.scheme = url.scheme or "https"
            http.endpoint = url.netloc
        # the SDK refuses empty credentials: an unconfigured gateway (first run) has no client
        self.client = (
            SmsClient(
                credential.Credential(self.secret_id, str(cfg.secret_key)),
                str(cfg.region),
                ClientProfile(httpProfile=http),
            )
            if self.configured
            else None
        )
        self.pool = ThreadPoolExecutor(int(cfg.workers), thread_name_prefix="sms")

    def _send(self, phone: str, template_id: str, params: list[str], context: str) -> SmsResult:
        if self.client is None:
            return SmsResult(RETRY, "NotConfigured")
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [e164(phone)]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = params
        request.SessionContext = context
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "ClientNetworkError")
            message = str(exc.get_message() or "")
            return SmsResult(
                classify(code, message), code, message[:200], request_id=exc.requestId or ""
            )
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            return SmsResult(RETRY, "EmptyStatusSet", request_id=response.RequestId or "")
        code = str(status.Code or "")
        return SmsResult(
            classify(code),
            code,
            str(status.Message or "")[:200],
            serial_no=str(status.SerialNo or ""),
            fee=int(status.Fee or 0),
            request_id=str(response.RequestId or ""),
        )

    async def send(
        self, phone: str, template_id: str, params: list[str], *, context: str = ""
    ) -> SmsResult:
        """One SendSms to one number; never raises for what the gateway answered."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self.pool, self._send, phone, template_id, params, context
        )
        log.info(
            "sms sent" if result.outcome == SENT else "sms not sent",
            extra={
                "phone": mask_phone(phone),
                "template_id": template_id,
                "code": result.code,
                "outcome": result.outcome,
                "request_id": result.request_id,
            },
        )
        return result
