"""The per-process token cache: revocation reaches every process within a second.

Two API processes (`python -m server serve`) share the database; a token is used on both
(so both have it cached), then revoked through one process or written by a third (this
test): each process must answer 401 / the new role within `auth.token_cache_seconds` (1 s)
plus the time one request takes. In-process changes apply at once.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from typing import Any

import pytest

from models.people.token_cache import TokenCache
from server.embedded import free_port
from tests.conftest import Api
from tests.trust.procs import spawn, stop_all, tail

LIMIT_S = 1.0
SLACK_S = 1.0  # one request on a loaded two-core machine


def _env(config: Any, mongo_uri: str, fake_wechat: Any, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TONGXIN_MONGO_URI": mongo_uri,
        "TONGXIN_MONGO_DATABASE": config.mongo.database,
        "TONGXIN_WECHAT_API_BASE": fake_wechat.base,
        "TONGXIN_WECHAT_APPID": "wxtest",
        "TONGXIN_WECHAT_SECRET": "test-secret",
        "TONGXIN_HTTP_PORT": str(port),
        "TONGXIN_JOBS_ENABLED": "false",
        "TONGXIN_AUTH_TOKEN_CACHE_SECONDS": str(LIMIT_S),
    }


async def _until(api: Api, token: str, want: Any, what: str) -> float:
    """Seconds until GET /me answers as `want(status, body)` says, polling."""
    start = time.monotonic()
    while time.monotonic() - start < 10:
        status, body = await api.get("/api/v1/me", token=token)
        if want(status, body):
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError(f"never: {what}")


@pytest.mark.slow  # two server processes
@pytest.mark.gen_test(timeout=120)
async def test_revocation_reaches_two_processes_within_a_second(
    world, ctx, config, mongo_uri, fake_wechat
):
    logs = tempfile.mkdtemp(prefix="tongxin-token-cache-")
    ports = [free_port(), free_port()]
    procs = [
        spawn("serve", _env(config, mongo_uri, fake_wechat, p), f"{logs}/api{n}.log")
        for n, p in enumerate(ports)
    ]
    apis = [Api(f"http://127.0.0.1:{p}") for p in ports]
    try:
        for n, api in enumerate(apis):
            for _ in range(300):
                try:
                    if (await api.get("/readyz"))[0] == 200:
                        break
                except OSError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(tail(f"{logs}/api{n}.log"))

        # logout through process 0: process 1 had the token cached
        token = await apis[0].login("openid-owner")
        for api in apis:
            for _ in range(3):  # cached now on both
                assert (await api.get("/api/v1/me", token=token))[0] == 200
        assert (await apis[0].post("/api/v1/auth/logout", token=token))[0] == 200
        assert (await apis[0].get("/api/v1/me", token=token))[0] == 401  # its own: at once
        late = await _until(apis[1], token, lambda s, b: s == 401, "logout seen by process 1")
        assert late <= LIMIT_S + SLACK_S, late

        # a role and branch change written by another process (this test) reaches both
        m1 = await apis[1].login("openid-m1")
        for api in apis:
            status, me = await api.get("/api/v1/me", token=m1)
            assert status == 200 and me["role"] == "member"
        b1 = world.orgs["B1"]["_id"]
        await ctx.db.users.update_one(
            {"_id": world.id("m1")}, {"$set": {"role": "resident", "org_id": b1}}
        )
        for n, api in enumerate(apis):
            late = await _until(
                api, m1, lambda s, b: s == 200 and b["role"] == "resident", f"role on {n}"
            )
            assert late <= LIMIT_S + SLACK_S, (n, late)
        status, body = await apis[0].get("/api/v1/task-hall", token=m1)
        assert status == 403, body
    finally:
        for api in apis:
            api.client.close()
        stop_all(procs)


@pytest.mark.gen_test(timeout=60)
async def test_in_process_changes_apply_at_once_and_hits_skip_the_round_trip(api, ctx, world):
    token = await api.login("openid-m1")
    status, me = await api.get("/api/v1/me", token=token)
    assert status == 200 and me["role"] == "member"
    hits = ctx.tokens.hits
    assert (await api.get("/api/v1/me", token=token))[0] == 200
    assert ctx.tokens.hits == hits + 1
    # a write by this process to the user drops its entry before the next request
    await ctx.db.users.update_one({"_id": world.id("m1")}, {"$set": {"role": "resident"}})
    status, me = await api.get("/api/v1/me", token=token)
    assert status == 200 and me["role"] == "resident"
    # erasure and logout: 401 on the very next request
    other = await api.login("openid-owner")
    assert (await api.get("/api/v1/me", token=other))[0] == 200
    await ctx.db.auth_tokens.delete_many({"user_id": world.id("owner")})
    assert (await api.get("/api/v1/me", token=other))[0] == 401


def test_forgetting_drops_exactly_the_tokens_named() -> None:
    """By token, by user (all of their tokens, however many others are cached), by database."""
    cache = TokenCache(60)
    ann, bo = {"_id": "ann"}, {"_id": "bo"}
    for db, token, user in [
        ("a", "t1", ann),
        ("a", "t2", ann),
        ("a", "t3", bo),
        ("b", "t4", ann),
        *(("a", f"x{i}", {"_id": f"u{i}"}) for i in range(1000)),
    ]:
        cache.put(db, token, user, "wechat", None)

    cache.forget("a", user_id="ann")
    assert cache.get("a", "t1") is None and cache.get("a", "t2") is None
    assert cache.get("a", "t3") is not None and cache.get("b", "t4") is not None
    assert cache.get("a", "x999") is not None

    cache.forget("a", token_hash="t3")
    assert cache.get("a", "t3") is None and cache.get("a", "x0") is not None
    cache.put("a", "t3", bo, "wechat", None)  # signed in again: forgetting bo drops it again
    cache.forget("a", user_id="bo")
    assert cache.get("a", "t3") is None

    cache.forget("a")
    assert cache.get("a", "x0") is None and cache.get("b", "t4") is not None
    assert all(db == "b" for db, _ in cache.by_user)
