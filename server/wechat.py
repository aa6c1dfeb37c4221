"""The only door to WeChat: wechatpy, pointed at a configurable base, run off the loop.

wechatpy blocks, so every call runs in an executor. Its access token lives in MongoDB
(`wechat_tokens`) so all processes share one token instead of each fetching its own.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from pymongo.asynchronous.database import AsyncDatabase
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from server.config import Config
from server.errors import AppError, RateLimited, Unauthenticated, UpstreamFailed, ValidationFailed

log = logging.getLogger("tongxin.wechat")
T = TypeVar("T")

CODE_INVALID = 40029
CODE_USED = 40163
RATE_LIMITED = 45011


class MemoryStorage(SessionStorage):
    """Per-process copy of the shared token; the gateway syncs it with MongoDB."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)


class _Client(WeChatClient):
    """wechatpy's client with every base URL, the token URL included, made configurable."""

    def __init__(self, base: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = base
        self.API_BASE_URL = base + "cgi-bin/"
        self.wxa.API_BASE_URL = base

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=self.base + "cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
            },
        )


class WeChatGateway:
    def __init__(self, config: Config, db: AsyncDatabase):
        base = str(config.wechat.api_base)
        if not base.endswith("/"):
            base += "/"
        self.base = base
        self.appid = str(config.wechat.appid)
        self.configured = bool(config.wechat.secret)  # a first run / demo has no app secret
        self.db = db
        self.push = PushVerifier(config)
        self.storage = MemoryStorage()
        self.client = _Client(
            base,
            self.appid,
            str(config.wechat.secret),
            session=self.storage,
            timeout=float(config.wechat.timeout_s),
        )
        # WeChat calls block: a pool of their own, so a flood of anything else (argon2 on
        # the default pool, say) never makes logins wait, and WeChat never starves others
        self.pool = ThreadPoolExecutor(int(config.wechat.workers), thread_name_prefix="wechat")

    async def _call(self, fn: Callable[[], T], errors: dict[int, AppError]) -> T:
        await self._load_shared_token()
        loop = asyncio.get_running_loop()
        before = self.storage.get(self.client.access_token_key)
        try:
            result = await loop.run_in_executor(self.pool, fn)
        except WeChatClientException as exc:
            code = int(exc.errcode) if exc.errcode is not None else None
            log.warning("wechat call failed", extra={"errcode": code})
            if code is not None and code in errors:
                raise errors[code] from None
            if code == RATE_LIMITED:
                raise RateLimited() from None
            raise UpstreamFailed() from None
        except requests.RequestException:
            log.warning("wechat unreachable")
            raise UpstreamFailed() from None
        if self.storage.get(self.client.access_token_key) != before:
            await self._save_shared_token()
        return result

    async def _load_shared_token(self) -> None:
        key = self.client.access_token_key
        if self.storage.get(key) and self.client.expires_at - time.time() > 60:
            return
        doc = await self.db.wechat_tokens.find_one({"_id": self.appid})
        if doc and doc["expires_at"] - time.time() > 60:
            self.storage.set(key, doc["access_token"])
            self.client.expires_at = int(doc["expires_at"])

    async def _save_shared_token(self) -> None:
        await self.db.wechat_tokens.update_one(
            {"_id": self.appid},
            {
                "$set": {
                    "access_token": self.storage.get(self.client.access_token_key),
                    "expires_at": int(self.client.expires_at),
                }
            },
            upsert=True,
        )

    async def refresh_access_token(self, margin_s: float) -> bool:
        """Fetch a new shared token when the stored one expires within `margin_s` seconds.

        Run by the scheduler's leader only, so processes never race to fetch (each fetch
        invalidates the previous token after a few minutes). True when it fetched.
        """
        doc = await self.db.wechat_tokens.find_one({"_id": self.appid})
        if doc and doc["expires_at"] - time.time() > margin_s:
            self.storage.set(self.client.access_token_key, doc["access_token"])
            self.client.expires_at = int(doc["expires_at"])
            return False
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.pool, self.client.fetch_access_token)
        except WeChatClientException as exc:
            log.warning("wechat token refresh failed", extra={"errcode": exc.errcode})
            raise UpstreamFailed() from None
        except requests.RequestException:
            log.warning("wechat unreachable for token refresh")
            raise UpstreamFailed() from None
        await self._save_shared_token()
        log.info("wechat access token refreshed", extra={"expires_at": self.client.expires_at})
        return True

    async def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: dict[str, dict[str, str]],
        *,
        page: str | None = None,
        miniprogram_state: str | None = None,
    ) -> int:
        """订阅消息 (cgi-bin/message/subscribe/send). Returns WeChat's errcode (0 = sent);
        -1 when WeChat was not reached, -2 when the request went out but no answer came
        (it may have been delivered). Never raises for a WeChat answer."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if page:
            body["page"] = page
        if miniprogram_state:
            body["miniprogram_state"] = miniprogram_state
        body["lang"] = "zh_CN"
        await self._load_shared_token()
        loop = asyncio.get_running_loop()
        before = self.storage.get(self.client.access_token_key)
        send = functools.partial(
            self.client.post, "cgi-bin/message/subscribe/send", data=body, api_base_url=self.base
        )
        try:
            await loop.run_in_executor(self.pool, send)
            errcode = 0
        except WeChatClientException as exc:
            errcode = int(exc.errcode) if exc.errcode is not None else -1
        except requests.ConnectionError:
            errcode = -1
        except requests.RequestException:
            errcode = -2
        if self.storage.get(self.client.access_token_key) != before:
            await self._save_shared_token()
        return errcode

    async def code_to_session(self, code: str) -> dict[str, Any]:
        """wx.login code → {openid, session_key, unionid?} (code2Session)."""
        invalid = Unauthenticated("微信登录凭证无效，请重新登录", code="wechat_code_invalid")
        result = await self._call(
            functools.partial(self.client.wxa.code_to_session, code),
            {CODE_INVALID: invalid, CODE_USED: invalid},
        )
        if not result.get("openid") or not result.get("session_key"):
            raise UpstreamFailed()
        return result

    async def phone_number(self, code: str) -> str:
        """getPhoneNumber button code → the user's phone (getuserphonenumber)."""
        result = await self._call(
            functools.partial(
                self.client.post,
                "wxa/business/getuserphonenumber",
                data={"code": code},
                api_base_url=self.base,
            ),
            {
                CODE_INVALID: ValidationFailed(
                    "手机号授权已失效，请重试", fields={"code": "授权码无效"}
                )
            },
        )
        info = result.get("phone_info") or {}
        phone = info.get("purePhoneNumber") or info.get("phoneNumber")
        if not phone:
            raise UpstreamFailed()
        return str(phone)

    # ------------------------------------------------------------ content safety

    async def msg_sec_check(self, openid: str, scene: int, content: str) -> dict[str, Any]:
        """内容安全 msgSecCheck v2: {result: {suggest: pass|review|risky, label}, trace_id}.

        Raises UpstreamFailed (or RateLimited) when WeChat cannot answer: callers decide."""
        body = {"content": content, "version": 2, "scene": scene, "openid": openid}
        return await self._call(
            functools.partial(
                self.client.post, "wxa/msg_sec_check", data=body, api_base_url=self.base
            ),
            {},
        )

    async def media_check_async(self, openid: str, scene: int, media_url: str) -> str:
        """mediaCheckAsync v2 for an image: WeChat fetches `media_url` and pushes its verdict
        later to the message-push endpoint. Returns the trace_id that verdict will carry."""
        body = {
            "media_url": media_url,
            "media_type": 2,
            "version": 2,
            "scene": scene,
            "openid": openid,
        }
        result = await self._call(
            functools.partial(
                self.client.post, "wxa/media_check_async", data=body, api_base_url=self.base
            ),
            {},
        )
        trace_id = result.get("trace_id")
        if not trace_id:
            raise UpstreamFailed()
        return str(trace_id)

    async def unlimited_code(self, scene: str, page: str) -> bytes:
        """小程序码 for a scene (wxa/getwxacodeunlimit): the image bytes (PNG)."""
        result = await self._call(
            functools.partial(self.client.wxa.get_wxa_code_unlimited, scene, page=page, width=430),
            {},
        )
        content = getattr(result, "content", None)
        if not isinstance(content, bytes) or not content:
            raise UpstreamFailed()
        return content


class PushRefused(Exception):
    """A message-push request that is not WeChat's (bad signature, undecryptable body)."""


class PushVerifier:
    """消息推送: WeChat's signature check, and the encrypted (安全) mode, via wechatpy.

    Plain mode signs `sha1(sort(token, timestamp, nonce))`; the encrypted mode signs the
    ciphertext too (`msg_signature`) and AES-encrypts the body with the EncodingAESKey.
    Both the XML and the JSON data formats are read.
    """

    def __init__(self, config: Config):
        self.token = str(config.wechat.push_token)
        self.aes_key = str(config.wechat.push_aes_key)
        self.appid = str(config.wechat.appid)

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def check(self, signature: str, timestamp: str, nonce: str) -> None:
        from wechatpy.exceptions import InvalidSignatureException
        from wechatpy.utils import check_signature

        if not self.configured:
            raise PushRefused("push not configured")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise PushRefused("bad signature") from None

    def read(self, body: bytes, args: dict[str, str]) -> dict[str, Any]:
        """The pushed message as a dict, after every check WeChat's mode calls for."""
        import json

        import xmltodict
        from wechatpy.crypto import WeChatCrypto
        from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

        self.check(args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
        text = body.decode("utf-8", "replace").strip()

        def parse(raw: str) -> dict[str, Any]:
            if raw.startswith("<"):
                parsed = xmltodict.parse(raw).get("xml") or {}
            else:
                parsed = json.loads(raw)
            if not isinstance(parsed, dict):
                raise ValueError("not an object")
            return parsed

        try:
            message = parse(text)
            if args.get("encrypt_type") == "aes" or "Encrypt" in message:
                if not self.aes_key:
                    raise PushRefused("encrypted push without a key")
                crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
                plain = crypto.decrypt_message(
                    message, args.get("msg_signature", ""), args["timestamp"], args["nonce"]
                )
                message = parse(plain)
        except (InvalidSignatureException, InvalidAppIdException):
            raise PushRefused("bad message signature") from None
        except PushRefused:
            raise
        except Exception:
            raise PushRefused("unreadable push") from None
        return message
