"""Admin sign-in under attack: the lock-out holds under concurrency, and a 60-way flood of
made-up usernames from many addresses leaves the API answering (figure: p99 of
`GET /orders` during the flood as a ratio to the same without it)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any

import pytest
from argon2 import PasswordHasher

from models.people import admin_auth, users
from server.config import ROOT
from server.errors import RateLimited, Unauthenticated
from tests.trust.figures import record

PASSWORD = "Correct-horse-9"


@pytest.fixture
def config(config):
    # a flood from many addresses: the per-IP limit is off here, so it cannot be what
    # saves the API; the bounded pool, the queue cap and the refusal pause must
    return config.replace(admin={"login_per_ip_per_minute": 0})


class Counting:
    """verify_password wrapped: how many ran, and how many ran at once at most."""

    def __init__(self, monkeypatch: Any):
        self.calls = 0
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()
        real = users.verify_password

        def counted(user: dict[str, Any], password: str) -> bool:
            with self.lock:
                self.calls += 1
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                return real(user, password)
            finally:
                with self.lock:
                    self.now -= 1

        monkeypatch.setattr(admin_auth, "verify_password", counted)


@pytest.mark.gen_test(timeout=120)
async def test_lockout_holds_under_concurrent_wrong_passwords(world, ctx, monkeypatch):
    await ctx.db.users.update_one(
        {"_id": world.id("sec_a1")},
        {"$set": {"username": "sec-a1", "password_hash": PasswordHasher().hash(PASSWORD)}},
    )
    ctx.config = ctx.config.replace(admin={"login_per_username_per_minute": 0})
    counting = Counting(monkeypatch)
    limit = int(ctx.config.admin.max_failed_logins)
    outcomes: list[str] = []
    for burst in range(3):

        async def attempt(n: int, burst: int = burst) -> str:
            try:
                await admin_auth.sign_in(ctx, "sec-a1", f"wrong-{n}", ip=f"10.0.{burst}.{n}")
            except Unauthenticated:
                return "401"
            except RateLimited as exc:
                return exc.code
            return "200"

        outcomes += await asyncio.gather(*(attempt(n) for n in range(20)))
    # the right password is refused while locked, and is not even checked
    with pytest.raises(RateLimited):
        await admin_auth.sign_in(ctx, "sec-a1", PASSWORD, ip="10.1.0.1")
    locks = await ctx.db.audit_log.count_documents({"action": "login_locked"})
    record(
        "admin lock-out race",
        wrong_passwords_sent=60,
        passwords_checked=counting.calls,
        limit=limit,
        checked_past_the_limit=max(0, counting.calls - limit),
    )
    assert counting.calls == limit, outcomes
    # the rest are turned away before any hash: locked, or the pool's queue is full
    assert outcomes.count("401") == limit, outcomes
    assert set(outcomes) <= {"401", "login_locked", "login_busy"}, outcomes
    assert locks == 1
    # after the lock-out window the account opens again with the right password
    real = ctx.clock
    later = real() + admin_auth.timedelta(minutes=int(ctx.config.admin.lockout_minutes) + 1)
    ctx.clock = lambda: later
    token, actor = await admin_auth.sign_in(ctx, "sec-a1", PASSWORD, ip="10.1.0.2")
    assert token and actor.id == world.id("sec_a1")


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@pytest.mark.gen_test(timeout=180)
async def test_login_flood_leaves_the_api_answering(api, world, ctx, monkeypatch):
    counting = Counting(monkeypatch)
    resident = await api.login("openid-owner")
    for _ in range(3):
        assert (await api.post("/api/v1/orders", world.order_body(), token=resident))[0] == 201
    seconds = 3.0

    async def measure(until: float) -> tuple[list[float], list[int]]:
        times, statuses = [], []
        while time.monotonic() < until:
            started = time.monotonic()
            status, _ = await api.get("/api/v1/orders", token=resident)
            times.append((time.monotonic() - started) * 1000)
            statuses.append(status)
        return times, statuses

    baseline, _ = await measure(time.monotonic() + seconds)
    flood = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.trust.flood",
        api.base_url,
        str(seconds + 2),
        "60",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    wechat_statuses: list[int] = []

    async def wechat_logins(until: float) -> None:
        n = 0
        while time.monotonic() < until:
            n += 1
            status, _ = await api.post("/api/v1/auth/wechat-login", {"code": f"ok:flood-{n}"})
            wechat_statuses.append(status)

    await asyncio.sleep(1.0)  # the flood is under way
    until = time.monotonic() + seconds
    (during, order_statuses), _, (out, _) = await asyncio.gather(
        measure(until), wechat_logins(until), asyncio.wait_for(flood.communicate(), 60)
    )
    flood_statuses = json.loads(out)
    ratio = _p99(during) / max(_p99(baseline), 0.1)
    unknown_audits = await ctx.db.audit_log.count_documents({"username": {"$regex": "^u"}})
    lasting = await ctx.db.admin_login_failures.count_documents({"expires_at": None})
    record(
        "login flood (60-way)",
        sign_in_attempts=len(flood_statuses),
        answered_429=flood_statuses.count(429),
        passwords_checked=counting.calls,
        argon2_peak_concurrency=counting.peak,
        get_orders_p99_ms_alone=round(_p99(baseline), 1),
        get_orders_p99_ms_flood=round(_p99(during), 1),
        get_orders_p99_ratio=round(ratio, 2),
        wechat_logins_ok=wechat_statuses.count(200),
        get_orders_answered_200=f"{order_statuses.count(200)}/{len(order_statuses)}",
        timeouts_503=sum(s == 503 for s in flood_statuses + order_statuses + wechat_statuses),
    )
    # 503 is a database call that ran out of time (mongo.timeout_ms) on a starved machine:
    # timing, so recorded above, not asserted; anything else unexpected fails the test
    assert flood_statuses and set(flood_statuses) <= {401, 429, 503}, set(flood_statuses)
    assert set(order_statuses) <= {200, 503} and set(wechat_statuses) <= {200, 503}
    assert 200 in order_statuses and 200 in wechat_statuses
    assert counting.peak <= int(ctx.config.admin.password_workers)
    # made-up usernames leave nothing permanent behind: no audit rows, only expiring records
    assert unknown_audits == 0 and lasting == 0
