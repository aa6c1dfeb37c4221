"""Media tests: the message-push endpoint configured (token + EncodingAESKey), and a
multipart helper that sends exactly what wx.uploadFile sends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.config import Config

PUSH_TOKEN = "push-token-test"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 chars, as WeChat issues them


@pytest.fixture
def config(config: Config) -> Config:
    return config.replace(
        wechat={"push_token": PUSH_TOKEN, "push_aes_key": AES_KEY},
        media={"url_secret": "media-test-secret", "daily_quota": 60},
    )


def multipart(data: bytes, *, name: str = "file", filename: str = "tmp_1.jpg") -> tuple[bytes, str]:
    """(body, content type) of a wx.uploadFile request: the file plus its form fields."""
    boundary = "----WxUpload" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\norder\r\n'.encode(),
        (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def upload(api: Any, token: str, data: bytes, **kw: Any) -> tuple[int, Any]:
    body, ctype = multipart(data, **kw)
    return await api.call(
        "POST", "/api/v1/media", token=token, raw=body, headers={"Content-Type": ctype}
    )


async def fetch(api: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    """GET a signed media URL like the `<image>` component: no Authorization header."""
    return await api.client.fetch(
        api.base_url + url, headers=headers or {}, raise_error=False, request_timeout=20
    )
