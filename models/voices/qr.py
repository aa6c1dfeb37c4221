"""民意一码通: a mini-program code per org node that opens the submit page bound to it.

The code's `scene` (WeChat allows 32 characters) is the node id in base64url plus a short
HMAC of it: `<16 chars>.<8 chars>`. A scene that does not verify is refused, so nobody can
post into a node by forging one. The poster is an A4 page (PNG or PDF) drawn with Pillow
in a CJK font found on the machine (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from pathlib import Path
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from models.core.context import Context
from models.people import orgs
from server.errors import AppError, ValidationFailed

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


class FontMissing(AppError):
    status = 503
    code = "cjk_font_missing"
    message = "服务器缺少中文字体（fonts-noto-cjk），无法生成海报；请安装后重试"


def _key(ctx: Context) -> bytes:
    return hashlib.sha256(b"voice-qr:" + str(ctx.config.auth.cookie_secret).encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def scene_for(ctx: Context, org_id: ObjectId) -> str:
    body = _b64(org_id.binary)
    sig = _b64(hmac.new(_key(ctx), body.encode(), hashlib.sha256).digest()[:6])
    return f"{body}.{sig}"


def org_from_scene(ctx: Context, scene: str) -> ObjectId:
    """The node a scene names, or a 400 for anything forged, truncated or malformed."""
    refused = ValidationFailed(
        "二维码无效，请重新扫描社区张贴的民意一码通", fields={"scene": "二维码无效"}
    )
    body, _, sig = (scene or "").partition(".")
    if len(body) != 16 or len(sig) != 8:
        raise refused
    want = _b64(hmac.new(_key(ctx), body.encode(), hashlib.sha256).digest()[:6])
    if not hmac.compare_digest(want, sig):
        raise refused
    try:
        return ObjectId(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (InvalidId, ValueError):
        raise refused from None


async def qr_png(ctx: Context, wechat: Any, org_id: ObjectId) -> bytes:
    """The node's mini-program code as PNG bytes, from WeChat (getwxacodeunlimit)."""
    await orgs.get_org(ctx, org_id)
    return await wechat.unlimited_code(scene_for(ctx, org_id), str(ctx.config.voices.qr_page))


def find_font() -> Path:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    for folder in ("/usr/share/fonts", "/usr/local/share/fonts"):
        for path in sorted(Path(folder).glob("**/*CJK*.tt[cf]")) if Path(folder).is_dir() else []:
            return path
    raise FontMissing()


def poster(org_name: str, code_png: bytes | None, fmt: str = "png") -> bytes:
    """An A4 page (150 dpi) with the node's name, the code and how to use it."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = str(find_font())
    width, height = 1240, 1754
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    red = (200, 16, 46)
    draw.rectangle([0, 0, width, 220], fill=red)

    def centred(text: str, y: int, size: int, fill: Any = "black") -> None:
        font = ImageFont.truetype(font_path, size)
        box = draw.textbbox((0, 0), text, font=font)
        draw.text(((width - (box[2] - box[0])) / 2, y), text, font=font, fill=fill)

    centred("民意一码通", 60, 96, "white")
    centred(org_name, 280, 64)
    centred("您的建议、诉求、投诉、表扬，扫码即可告诉我们", 380, 40, (80, 80, 80))
    side = 760
    top = 480
    if code_png:
        code = Image.open(io.BytesIO(code_png)).convert("RGB").resize((side, side))
        page.paste(code, ((width - side) // 2, top))
    else:
        draw.rectangle(
            [(width - side) // 2, top, (width + side) // 2, top + side], outline=red, width=6
        )
        centred("（未配置微信小程序，无法生成小程序码）", top + side // 2 - 20, 36, red)
    centred("微信扫一扫  ·  专人受理  ·  限时答复  ·  结果可评价", top + side + 60, 40)
    centred("同心 · 智慧党建", height - 120, 36, (120, 120, 120))
    out = io.BytesIO()
    if fmt == "pdf":
        page.save(out, "PDF", resolution=150.0)
    else:
        page.save(out, "PNG")
    return out.getvalue()


async def poster_for(ctx: Context, wechat: Any, org_id: ObjectId, fmt: str) -> bytes:
    org = await orgs.get_org(ctx, org_id)
    code = await qr_png(ctx, wechat, org_id) if wechat.configured else None
    find_font()  # a clear 503 before any drawing when the font is missing
    return poster(org["name"], code, fmt)
