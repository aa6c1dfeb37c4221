"""SIGTERM under load: in-flight requests finish, new ones are refused cleanly, exit < 10 s."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import pytest
import tornado.httpclient

from server.config import ROOT
from server.embedded import free_port
from tests.conftest import Api, server_env


@pytest.mark.gen_test(timeout=90)
async def test_sigterm_drains_in_flight_requests(world, ctx, config, mongo_uri, fake_wechat):
    port = free_port()
    env = server_env(
        config,
        mongo_uri,
        fake_wechat,
        http_port=port,
        log_level="WARNING",
        orders_place_limit=0,  # one client places hundreds of orders here
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        for _ in range(100):
            try:
                if (await api.get("/healthz", timeout=1))[0] == 200:
                    break
            except (OSError, tornado.httpclient.HTTPClientError):
                pass
            await asyncio.sleep(0.1)
        token = await api.login("openid-owner")
        outcomes: list[object] = []

        async def client(n: int) -> None:
            for i in range(40):
                try:
                    status, _ = await api.post(
                        "/api/v1/orders",
                        world.order_body(description=f"并发下单 {n}-{i}"),
                        token=token,
                        timeout=10,
                    )
                    outcomes.append(status)
                except OSError as exc:  # refused once the listener is gone
                    outcomes.append(type(exc).__name__)
                    return

        load = [asyncio.ensure_future(client(n)) for n in range(8)]
        while len(outcomes) < 40:
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        sent_at = time.monotonic()
        await asyncio.gather(*load)
        while proc.poll() is None and time.monotonic() - sent_at < 10:
            await asyncio.sleep(0.05)
        assert proc.poll() == 0, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() - sent_at < 10
    finally:
        if proc.poll() is None:
            proc.kill()
        api.client.close()

    created = outcomes.count(201)
    assert created >= 40
    assert set(outcomes) <= {
        201,
        503,
        "ConnectionRefusedError",
        "ConnectionResetError",
        "StreamClosedError",
    }, set(outcomes)
    # nothing lost and nothing phantom: every 201 is an order, every order got its 201
    assert await ctx.db.orders.count_documents({}) == created
