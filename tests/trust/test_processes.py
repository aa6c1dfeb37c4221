"""Several processes on one database: two API processes (`python -m server serve` with the
scheduler off) and two scheduler processes (`python -m server jobs`), no load balancer: a
client alternates between the two API processes.

- The accept race still has one winner: 20 volunteers accept the same dispatched order at
  once, alternating between the processes — exactly one 200, nineteen 409, and every
  loser's open-order count back where it was. Three rounds.
- Reminders are still sent once: orders made overdue (timestamps moved back) for every SLA
  stage that reminds someone; after many SLA periods, and after the scheduler leader is
  killed and the other process takes over, each recipient has exactly one reminder per
  order and stage, in the inbox and as a WeChat subscribe message (fake WeChat).
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import tornado.httpclient
import tornado.iostream

from models import orders
from models.people.users import create_user
from server.embedded import free_port
from tests.conftest import Api, server_env
from tests.trust.figures import record
from tests.trust.procs import log_lines, spawn, stop_all, tail

RACERS = 20
RACES = 3
LEASE_S = 2.0
TODO_TEMPLATE = "TPL-TODO-trust"
UNKNOWN = (OSError, tornado.httpclient.HTTPClientError, tornado.iostream.StreamClosedError)
REMINDER_TITLES = {
    "reminder_dispatch": "工单待派单，请尽快处理",
    "reminder_accept": "有工单等待接单",
    "reminder_unaccepted": "派出的工单无人接单",
    "reminder_confirm": "请确认服务是否完成",
}


def _env(config: Any, mongo_uri: str, fake_wechat: Any, **extra: str) -> dict[str, str]:
    return {
        **server_env(config, mongo_uri, fake_wechat, subscribe_todo_template_id=TODO_TEMPLATE),
        **extra,
    }


async def _wait_for(predicate: Any, seconds: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if await predicate():
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what}")


@pytest.mark.gen_test(timeout=120)
async def test_two_api_processes_and_two_schedulers(world, ctx, config, mongo_uri, fake_wechat):
    logs = tempfile.mkdtemp(prefix="tongxin-trust-procs-")
    ports = [free_port(), free_port()]
    procs: list[Any] = []
    paths: list[str] = []
    apis = [Api(f"http://127.0.0.1:{port}") for port in ports]
    fake_wechat.state.subscribe_messages.clear()
    try:
        for n, port in enumerate(ports):
            env = _env(
                config,
                mongo_uri,
                fake_wechat,
                TONGXIN_HTTP_PORT=str(port),
                TONGXIN_JOBS_ENABLED="false",
            )
            procs.append(spawn("serve", env, f"{logs}/api{n}.log"))
            paths.append(f"{logs}/api{n}.log")
        jobs_env = _env(
            config,
            mongo_uri,
            fake_wechat,
            TONGXIN_JOBS_LEASE_SECONDS=str(LEASE_S),
            TONGXIN_JOBS_RENEW_SECONDS="0.3",
            TONGXIN_JOBS_NOTIFIER_SECONDS="0.5",
            TONGXIN_JOBS_SLA_SECONDS="0.5",
            TONGXIN_JOBS_DIGEST_CHECK_SECONDS="5",
            TONGXIN_JOBS_HOUSEKEEPING_SECONDS="5",
            TONGXIN_JOBS_TOKEN_REFRESH_SECONDS="5",
        )
        jobs = [spawn("jobs", jobs_env, f"{logs}/jobs{n}.log") for n in range(2)]
        procs += jobs
        paths += [f"{logs}/jobs{n}.log" for n in range(2)]

        # ------------------------------------------------ data, while they start
        a1 = world.orgs["A1"]["_id"]
        racers = [
            await create_user(
                ctx,
                role="member",
                name=f"抢单队员{i}",
                openid=f"race-m{i}",
                org_id=a1,
                skills=["家电维修"],
            )
            for i in range(RACERS)
        ]
        data = {
            **world.order_body(),
            "category_id": world.category["_id"],
            "org_id": a1,
        }
        race_orders = []
        for _ in range(RACES):
            order, _ = await orders.place_order(ctx, world.actor("owner"), data)
            await orders.dispatch_order(
                ctx,
                world.actor("sec_a1"),
                order["_id"],
                {"volunteer_ids": [u["_id"] for u in racers]},
            )
            race_orders.append(order["_id"])

        # overdue orders for every reminding SLA stage (timestamps moved back)
        now = ctx.now()
        submitted = await world.order_in("submitted")  # → secretary: not dispatched
        dispatched, _ = await orders.place_order(ctx, world.actor("owner"), data)
        await orders.dispatch_order(
            ctx,
            world.actor("sec_a1"),
            dispatched["_id"],
            {"volunteer_ids": [world.id("m1"), world.id("m2"), world.id("m3")]},
        )  # → the three candidates, then the secretary: not accepted
        completed = await world.order_in("completed", member="m3")  # → resident: not confirmed
        await ctx.db.orders.update_one(
            {"_id": submitted}, {"$set": {"updated_at": now - timedelta(hours=5)}}
        )
        await ctx.db.orders.update_one(
            {"_id": dispatched["_id"]},
            {
                "$set": {
                    "updated_at": now - timedelta(hours=13),
                    "dispatched_at": now - timedelta(hours=13),
                }
            },
        )
        await ctx.db.orders.update_one(
            {"_id": completed},
            {
                "$set": {
                    "updated_at": now - timedelta(days=4),
                    "completed_at": now - timedelta(days=4),
                }
            },
        )
        expected = {
            (submitted, "reminder_dispatch", world.id("sec_a1")),
            *((dispatched["_id"], "reminder_accept", world.id(m)) for m in ("m1", "m2", "m3")),
            (dispatched["_id"], "reminder_unaccepted", world.id("sec_a1")),
            (completed, "reminder_confirm", world.id("owner")),
        }
        # every recipient has subscribe-message quota, so each reminder is also a WeChat send
        for user in {u for _, _, u in expected}:
            await ctx.db.subscribe_quotas.insert_one(
                {
                    "_id": f"{user}:{TODO_TEMPLATE}",
                    "user_id": user,
                    "template_id": TODO_TEMPLATE,
                    "remaining": 20,
                    "updated_at": now,
                }
            )

        # ------------------------------------------------ both API processes up
        for api in apis:

            async def up(api: Api = api) -> bool:
                try:
                    return (await api.get("/readyz", timeout=1))[0] == 200
                except UNKNOWN:
                    return False

            await _wait_for(up, 30, f"API process up; logs in {logs}")

        # ------------------------------------------------ the accept races
        tokens = [await apis[i % 2].login(f"race-m{i}") for i in range(RACERS)]
        winners_per_race = []
        statuses: Counter[Any] = Counter()
        for order_id in race_orders:

            async def accept(i: int, order_id: Any = order_id) -> Any:
                status, body = await apis[i % 2].post(
                    f"/api/v1/orders/{order_id}/accept", token=tokens[i], timeout=30
                )
                return status, body

            results = await asyncio.gather(*(accept(i) for i in range(RACERS)))
            statuses.update(s for s, _ in results)
            winners = [i for i, (s, _) in enumerate(results) if s == 200]
            losers = [b["error"]["code"] for s, b in results if s == 409]
            winners_per_race.append(len(winners))
            assert len(winners) == 1 and len(losers) == RACERS - 1, results
            assert set(losers) == {"order_taken"}, Counter(losers)
            stored = await ctx.db.orders.find_one({"_id": order_id})
            assert stored["status"] == "accepted"
            assert stored["assignee_id"] == racers[winners[0]]["_id"]
        open_counts = {
            u["_id"]: u.get("open_orders", 0)
            async for u in ctx.db.users.find({"_id": {"$in": [u["_id"] for u in racers]}})
        }
        assigned = Counter(
            [o["assignee_id"] async for o in ctx.db.orders.find({"_id": {"$in": race_orders}})]
        )
        assert open_counts == {u["_id"]: assigned.get(u["_id"], 0) for u in racers}

        # ------------------------------------------------ reminders, once
        async def reminders() -> list[dict[str, Any]]:
            return await ctx.db.notifications.find(
                {"kind": {"$in": list(REMINDER_TITLES)}}
            ).to_list(None)

        def wechat_reminders() -> Counter[tuple[str, str]]:
            titles = set(REMINDER_TITLES.values())
            return Counter(
                (m["touser"], m["data"]["thing3"]["value"])
                for m in fake_wechat.state.subscribe_messages
                if m["data"].get("thing3", {}).get("value") in titles
            )

        async def all_reminded() -> bool:
            return len(await reminders()) >= len(expected) and sum(
                wechat_reminders().values()
            ) >= len(expected)

        await _wait_for(all_reminded, 30, f"reminders sent; logs in {logs}")

        async def leader() -> str:
            lease = await ctx.db.job_leases.find_one({"_id": "scheduler"})
            return lease["holder"] if lease and lease["expires_at"] > ctx.now() else ""

        first = await leader()
        killed = next(p for p in jobs if f":{p.pid}:" in first)
        other = next(p for p in jobs if p is not killed)
        killed.send_signal(signal.SIGKILL)  # the leader dies without releasing its lease
        killed.wait(5)

        async def took_over() -> bool:
            return f":{other.pid}:" in await leader()

        takeover_s = await _wait_for(took_over, LEASE_S + 6, f"takeover; logs in {logs}")

        async def other_ran_sla() -> bool:
            n = await ctx.db.job_runs.count_documents(
                {"job": "sla", "outcome": "ok", "holder": {"$regex": f":{other.pid}:"}}
            )
            return n >= 4

        await _wait_for(other_ran_sla, 20, f"the new leader ran the SLA job; logs in {logs}")
        await asyncio.sleep(1.0)  # a few more periods (and notifier sends) for good measure
        for proc, path in zip(procs, paths, strict=True):
            if proc is not killed:
                assert proc.poll() is None, tail(path)
    finally:
        stop_all(procs)
        for api in apis:
            api.client.close()

    stored = await reminders()
    per = Counter((n["order_id"], n["kind"], n["user_id"]) for n in stored)
    duplicates = sum(c - 1 for c in per.values() if c > 1)
    wechat = wechat_reminders()
    openids = {world.id(k): world.users[k]["openid"] for k in ("sec_a1", "m1", "m2", "m3", "owner")}
    wanted_wechat = Counter((openids[u], REMINDER_TITLES[kind]) for _, kind, u in expected)
    wechat_duplicates = sum(max(0, wechat[k] - 1) for k in wechat)
    sla_runs = await ctx.db.job_runs.find({"job": "sla"}).to_list(None)
    holders = {r["holder"].split(":")[1] for r in sla_runs}
    errors = [x for n in range(2) for x in log_lines(f"{logs}/api{n}.log") if x["level"] == "ERROR"]
    record(
        "several processes",
        api_processes=2,
        scheduler_processes=2,
        accept_races=RACES,
        accepts=RACES * RACERS,
        accept_winners_per_race=max(winners_per_race),
        extra_winners=sum(w - 1 for w in winners_per_race if w > 1),
        reminders=len(stored),
        wechat_reminders=sum(wechat.values()),
        duplicate_reminders=duplicates + wechat_duplicates,
        sla_runs=len(sla_runs),
        scheduler_leaders=len(holders),
        takeover_seconds=round(takeover_s, 2),
        api_errors_logged=len(errors),
    )
    assert statuses == {200: RACES, 409: RACES * (RACERS - 1)}, statuses
    assert set(per) == expected, set(per) ^ expected
    assert duplicates == 0 and wechat_duplicates == 0
    assert wechat == wanted_wechat, (wechat, wanted_wechat)
    assert len(holders) == 2  # both schedulers led, one after the other
    assert errors == [], errors[:3]
