"""图片: upload (multipart, what wx.uploadFile sends), signed-URL serving, WeChat's push."""

from __future__ import annotations

import logging

from handlers.base import BaseHandler, endpoint, route
from models.media import image_checks, service
from models.media.schemas import MediaOut
from server.errors import Forbidden, ValidationFailed
from server.wechat import PushRefused

log = logging.getLogger("tongxin.media")

# multipart framing around the one file: boundary lines, part headers, small form fields
MULTIPART_OVERHEAD = 64 * 1024


class MediaUploadHandler(BaseHandler):
    def max_body_bytes(self) -> int:
        return int(self.ctx.config.media.max_bytes) + MULTIPART_OVERHEAD

    @endpoint(
        summary="上传一张图片（multipart/form-data，字段 file；JPG/PNG/WebP）",
        response=MediaOut,
        status=201,
        upload="file",
        tag="media",
    )
    async def post(self) -> None:
        files = self.request.files.get("file") or []
        if len(files) != 1 or len(self.request.files) != 1:
            raise ValidationFailed(
                "请以 multipart/form-data 上传一张图片（字段名 file）",
                code="image_missing",
                fields={"file": "需要且只能上传一张图片"},
            )
        doc = await service.upload(self.ctx, self.me, files[0]["body"])
        photo = service.photo_json(self.ctx, [doc["_id"]], viewer=self.me)[0]
        self.write_json({**photo, "status": doc["status"]}, 201)


class MediaFileHandler(BaseHandler):
    """GET of a signed URL: no Authorization header (the `<image>` component sends none)."""

    async def get(self, id: str, variant: str) -> None:
        args = {k: self.get_query_argument(k, "") for k in ("e", "a", "s")}
        etag, content_type, max_age, load = await service.open_signed(
            self.ctx, id, variant, args["e"], args["a"], args["s"]
        )
        quoted = f'"{etag}"'
        self.set_header("ETag", quoted)
        self.set_header("Cache-Control", f"private, max-age={max_age}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        match = self.request.headers.get("If-None-Match", "")
        if quoted in [t.strip() for t in match.split(",")] or match.strip() == "*":
            self.set_status(304)
            self.clear_header("Content-Type")
            self.finish()
            return
        data = await load()
        self.set_header("Content-Type", content_type)
        self.finish(data)

    def compute_etag(self) -> None:
        return None  # ours is the content hash stored at upload


class WeChatPushHandler(BaseHandler):
    """消息推送 from WeChat: GET is the URL check (echostr), POST carries events such as the
    asynchronous image check's verdict (wxa_media_check). Signature checked on both."""

    def _args(self) -> dict[str, str]:
        return {
            k: self.get_query_argument(k, "")
            for k in ("signature", "timestamp", "nonce", "encrypt_type", "msg_signature")
        }

    def _refuse(self) -> None:
        raise Forbidden("签名无效", code="push_signature_invalid")

    async def get(self) -> None:
        a = self._args()
        try:
            self.settings["wechat"].push.check(a["signature"], a["timestamp"], a["nonce"])
        except PushRefused:
            self._refuse()
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(self.get_query_argument("echostr", ""))

    async def post(self) -> None:
        try:
            message = self.settings["wechat"].push.read(self.request.body, self._args())
        except PushRefused as exc:
            log.warning("wechat push refused", extra={"reason": str(exc)})
            self._refuse()
        outcome = await image_checks.on_image_verdict(self.ctx, message)
        log.info("wechat push", extra={"event": message.get("Event"), "outcome": outcome})
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish("success")


default_handlers = [
    route("/media", MediaUploadHandler),
    route("/media/{id}/{variant}", MediaFileHandler, prefix=""),
    route("/wechat/push", WeChatPushHandler, prefix=""),
]
