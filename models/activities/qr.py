"""The rotating check-in QR code: a token signed with HMAC-SHA256 over (activity, direction,
30-second window), so a screenshot sent home goes stale and a token of one activity opens
nothing of another. Verification says exactly which of these went wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId

from models.core.context import Context
from server.errors import Conflict, ValidationFailed

PREFIX = "txa1"
DIRECTIONS = ("in", "out")


@dataclass(frozen=True)
class Token:
    activity_id: ObjectId
    direction: str
    window: int

    @property
    def use_key(self) -> str:
        return f"{self.direction}:{self.window}"


def _secret(ctx: Context) -> bytes:
    return str(ctx.config.activities.qr_secret).encode()


def window_seconds(ctx: Context) -> int:
    return max(5, int(ctx.config.activities.qr_window_seconds))


def window_of(ctx: Context, moment: datetime) -> int:
    return int(moment.timestamp()) // window_seconds(ctx)


def _sign(ctx: Context, activity_id: ObjectId, direction: str, window: int) -> str:
    message = f"{activity_id}:{direction}:{window}".encode()
    digest = hmac.new(_secret(ctx), message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(ctx: Context, activity_id: ObjectId, direction: str) -> tuple[str, datetime]:
    """The token of the current window and when it stops being shown."""
    window = window_of(ctx, ctx.now())
    token = (
        f"{PREFIX}.{activity_id}.{direction}.{window}.{_sign(ctx, activity_id, direction, window)}"
    )
    expires = datetime.fromtimestamp((window + 1) * window_seconds(ctx), tz=ctx.now().tzinfo)
    return token, expires


def verify(ctx: Context, text: str, activity_id: ObjectId, direction: str) -> Token:
    """The token if it is genuine, of this activity and direction, and fresh; else a clear 4xx.

    Fresh means the current window or the one before it while within the grace period (a
    code scanned just before it rotated).
    """
    parts = (text or "").strip().split(".")
    invalid = ValidationFailed(
        "二维码无效，请扫描活动现场的签到二维码", code="qr_invalid", fields={"token": "二维码无效"}
    )
    if len(parts) != 5 or parts[0] != PREFIX or parts[2] not in DIRECTIONS:
        raise invalid
    try:
        token_activity = ObjectId(parts[1])
        window = int(parts[3])
    except (InvalidId, ValueError):
        raise invalid from None
    expected = _sign(ctx, token_activity, parts[2], window)
    if not hmac.compare_digest(expected, parts[4]):
        raise invalid
    if token_activity != activity_id:
        raise Conflict("该二维码不属于本活动，请扫描本活动的二维码", code="qr_wrong_activity")
    if parts[2] != direction:
        want = "签到" if direction == "in" else "签退"
        raise Conflict(
            f"这是{'签退' if direction == 'in' else '签到'}二维码，请扫描{want}二维码",
            code="qr_wrong_direction",
        )
    now = ctx.now()
    current = window_of(ctx, now)
    grace = timedelta(seconds=float(ctx.config.activities.qr_grace_seconds))
    fresh = window == current or (window == current - 1 and window_of(ctx, now - grace) == window)
    if window > current or not fresh:
        raise Conflict("二维码已过期，请扫描屏幕上的最新二维码", code="qr_expired")
    return Token(token_activity, parts[2], window)


def png_data_uri(token: str) -> str:
    """The token as a PNG data URI (the mini-program's <image> shows it; no library there)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(token, error="m").save(buf, kind="png", scale=8, border=4)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
