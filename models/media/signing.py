"""Signed, expiring media URLs: the mini-program's `<image>` sends no Authorization header.

The signature is an HMAC-SHA256 (secret `media.url_secret`) over the media id, the variant
(full | thumb), the expiry and the audience the URL was handed to: `s` (staff) or the
viewer's user id. The audience lets the serving handler show a photo that is still being
checked to its uploader and to staff only. Expiries are rounded up to a window so a list
refreshed twice hands out the same URL (the client's cache keeps working).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from datetime import datetime
from urllib.parse import urlencode

from bson import ObjectId

VARIANTS = ("full", "thumb")
STAFF_AUDIENCE = "s"
_AUDIENCE = re.compile(r"^(s|[0-9a-f]{24})$")


def signature(secret: str, media_id: str, variant: str, expires: int, audience: str) -> str:
    msg = f"{media_id}.{variant}.{expires}.{audience}".encode()
    digest = hmac.new(secret.encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def expiry(now: datetime, ttl_s: int) -> int:
    """Valid for between ttl and 2×ttl seconds; the same value for a whole window."""
    return (math.floor(now.timestamp() / ttl_s) + 2) * ttl_s


def signed_path(secret: str, media_id: ObjectId, variant: str, expires: int, audience: str) -> str:
    mid = str(media_id)
    query = urlencode(
        {"e": expires, "a": audience, "s": signature(secret, mid, variant, expires, audience)}
    )
    return f"/media/{mid}/{variant}?{query}"


def verify(
    secret: str, media_id: str, variant: str, expires: str, audience: str, sig: str, now: datetime
) -> bool:
    """True when the signature is ours and has not expired (constant-time compare)."""
    if variant not in VARIANTS or not _AUDIENCE.match(audience) or not expires.isdigit():
        return False
    if int(expires) < now.timestamp():
        return False
    good = signature(secret, media_id, variant, int(expires), audience)
    return hmac.compare_digest(good.encode(), sig.encode())
