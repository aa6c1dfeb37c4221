"""Sign-in rate limits are shared database counters: two app instances (two processes'
worth of services on one database) together let through no more than the limit."""

from __future__ import annotations

import pytest

from models.people import admin_auth
from server.app import build_service
from server.errors import RateLimited, Unauthenticated

LIMIT = 4


@pytest.fixture
def config(config):
    return config.replace(
        admin={
            "login_per_ip_per_minute": LIMIT,
            "login_per_username_per_minute": LIMIT,
            "max_failed_logins": 100,  # the lock-out must not be what stops them
        }
    )


async def _attempts(contexts, names, ips, n) -> list[str]:
    outcomes = []
    for i in range(n):
        ctx = contexts[i % len(contexts)]  # alternate between the two app instances
        try:
            await admin_auth.sign_in(ctx, names(i), "wrong-password", ip=ips(i))
        except Unauthenticated:
            outcomes.append("401")
        except RateLimited as exc:
            outcomes.append(exc.code)
    return outcomes


@pytest.mark.gen_test(timeout=60)
async def test_per_username_limit_holds_across_two_instances(service, config, mongo_uri, clock):
    other = await build_service(config, mongo_uri)
    other.ctx.clock = clock  # one fixed-window minute for all ten, however slow the machine
    try:
        outcomes = await _attempts(
            [service.ctx, other.ctx], lambda i: "sec-shared", lambda i: f"10.9.0.{i}", 10
        )
    finally:
        await other.close()
    # each instance alone would have let LIMIT through: together still LIMIT in total
    assert outcomes.count("401") == LIMIT, outcomes
    assert outcomes[LIMIT:] == ["login_rate_limited"] * (10 - LIMIT), outcomes


@pytest.mark.gen_test(timeout=60)
async def test_per_ip_limit_holds_across_two_instances(service, config, mongo_uri, clock):
    other = await build_service(config, mongo_uri)
    other.ctx.clock = clock
    try:
        outcomes = await _attempts(
            [service.ctx, other.ctx], lambda i: f"user-{i}", lambda i: "10.8.0.1", 10
        )
    finally:
        await other.close()
    assert outcomes.count("401") == LIMIT, outcomes
    assert outcomes[LIMIT:] == ["login_rate_limited"] * (10 - LIMIT), outcomes
