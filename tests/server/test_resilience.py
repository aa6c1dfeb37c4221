"""The database goes away and comes back; secrets never leave the server."""

from __future__ import annotations

import asyncio
import re
import time

import pymongo
import pytest


@pytest.mark.gen_test(timeout=120)
async def test_database_outage_gives_fast_503_and_recovers(api, own_db, outage_service):
    from tests.world import build_world

    with pymongo.timeout(30):  # seeding is not under test: not bounded like requests
        world = await build_world(outage_service.ctx)
    token = await api.login("openid-owner")
    assert (await api.get("/readyz"))[0] == 200

    own_db.stop()
    for path, body in [
        ("/api/v1/me", None),
        ("/api/v1/orders", world.order_body()),
        ("/readyz", None),
        ("/api/v1/auth/wechat-login", {"code": "ok:someone"}),
    ]:
        started = time.monotonic()
        if body is None:
            status, resp = await api.get(path, token=token, timeout=10)
        else:
            status, resp = await api.post(path, body, token=token, timeout=10)
        elapsed = time.monotonic() - started
        assert status == 503, (path, status, resp)
        assert elapsed < 2.0, (path, elapsed)
        assert "不可" in resp["error"]["message"]
    assert (await api.get("/healthz"))[0] == 200  # the process itself is alive

    own_db.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, _ = await api.get("/readyz", timeout=5)
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200
    status, me = await api.get("/api/v1/me", token=token)
    assert status == 200 and me["name"] == "林阿姨"
    status, order = await api.post("/api/v1/orders", world.order_body(), token=token)
    assert status == 201 and order["status"] == "submitted"


@pytest.mark.gen_test(timeout=60)
async def test_session_key_and_access_token_never_leak(api, world, fake_wechat, captured_logs):
    seen: list[str] = []
    status, body = await api.post("/api/v1/auth/wechat-login", {"code": "ok:leak-check"})
    assert status == 200
    seen.append(api.last_text)
    token = body["token"]
    for code in ("phone:13698765432", "phone-bad"):
        await api.post("/api/v1/me/phone", {"code": code}, token=token)
        seen.append(api.last_text)
    for path in ("/api/v1/me", "/api/v1/orders", "/api/openapi.json", "/api/v1/me/points"):
        await api.get(path, token=token)
        seen.append(api.last_text)
    secrets = fake_wechat.state.secrets()
    assert any(s.startswith("SESSION-KEY-") for s in secrets)
    assert any(s.startswith("ACCESS-TOKEN-") for s in secrets)
    logs = captured_logs.getvalue()
    for secret in secrets:
        assert all(secret not in text for text in seen), "secret in a response"
        assert secret not in logs, "secret in a log line"
    # our own bearer tokens are not logged either, and phone numbers are masked
    assert token not in logs
    assert not re.search(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])", logs), "phone logged"
