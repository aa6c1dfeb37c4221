"""The scheduler: a failing job is recorded and the others go on; two real `python -m server
jobs` processes on one database run each job once per period, and when the leader is
killed the other takes over within the lease time."""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any

import pytest

from jobs.scheduler import JobRunner
from jobs.tasks import JOBS
from server.config import ROOT
from tests.conftest import server_env

LEASE_S = 2.0
RENEW_S = 0.3
NOTIFIER_S = 0.5


@pytest.mark.gen_test(timeout=30)
async def test_failing_job_is_recorded_and_the_scheduler_goes_on(ctx, service):
    ctx.config = ctx.config.replace(
        jobs={"renew_seconds": 0.2, "notifier_seconds": 0.2, "sla_seconds": 0.2}
    )
    jobs = tuple(spec for spec in JOBS if spec.name in ("notifier", "sla"))
    runner = JobRunner(ctx, service.wechat, jobs)
    ctx.failpoints.add("job:sla")
    runner.start()
    try:

        async def runs(job: str, outcome: str) -> int:
            return await ctx.db.job_runs.count_documents({"job": job, "outcome": outcome})

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            await runs("sla", "failed") < 2 or await runs("notifier", "ok") < 2
        ):
            await asyncio.sleep(0.1)
        assert await runs("sla", "failed") >= 2  # failed, and scheduled again
        assert await runs("notifier", "ok") >= 2  # the other job was not affected
        failed = await ctx.db.job_runs.find_one({"job": "sla", "outcome": "failed"})
        assert "FailpointTriggered" in failed["error"] and failed["ended_at"] is not None
        assert failed["holder"] == runner.holder

        ctx.failpoints.discard("job:sla")  # the fault goes away: the job succeeds again
        while time.monotonic() < deadline and await runs("sla", "ok") < 1:
            await asyncio.sleep(0.1)
        assert await runs("sla", "ok") >= 1
    finally:
        await runner.stop()
    lease = await ctx.db.job_leases.find_one({"_id": "scheduler"})
    assert lease["expires_at"] <= ctx.now()  # released on a clean stop


def _spawn(env: dict[str, str], log_path: str) -> subprocess.Popen:
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server", "jobs"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _started(log_path: str) -> bool:
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        return "scheduler started" in fh.read()


@pytest.mark.gen_test(timeout=60)
async def test_two_processes_one_leader_and_takeover(ctx, service, config, mongo_uri, fake_wechat):
    env = {
        **server_env(
            config,
            mongo_uri,
            fake_wechat,
            jobs_lease_seconds=LEASE_S,
            jobs_renew_seconds=RENEW_S,
            jobs_notifier_seconds=NOTIFIER_S,
            jobs_sla_seconds=1,
            jobs_digest_check_seconds=1,
        ),
        "TONGXIN_JOBS_HOUSEKEEPING_SECONDS": "1",
        "TONGXIN_JOBS_TOKEN_REFRESH_SECONDS": "1",
    }
    procs: list[subprocess.Popen] = []
    logs = tempfile.mkdtemp(prefix="tongxin-jobs-")

    async def holder() -> str:
        lease = await ctx.db.job_leases.find_one({"_id": "scheduler"})
        return lease["holder"] if lease and lease["expires_at"] > ctx.now() else ""

    async def wait_for(predicate: Any, seconds: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if await predicate():
                return time.monotonic() - start
            await asyncio.sleep(0.05)
        raise AssertionError(f"condition not met in {seconds}s; logs in {logs}")

    try:
        first = _spawn(env, f"{logs}/a.log")
        procs.append(first)
        await wait_for(lambda: _is(holder, f":{first.pid}:"), 20)
        second = _spawn(env, f"{logs}/b.log")
        procs.append(second)

        async def second_up() -> bool:
            return _started(f"{logs}/b.log")

        await wait_for(second_up, 20)
        await asyncio.sleep(2.5)  # both running: only the leader may run jobs
        assert f":{first.pid}:" in await holder()
        runs = await ctx.db.job_runs.find({}).to_list(None)
        assert runs and all(f":{first.pid}:" in r["holder"] for r in runs)

        first.send_signal(signal.SIGKILL)  # the leader dies without releasing its lease
        first.wait(5)
        took = await wait_for(lambda: _is(holder, f":{second.pid}:"), LEASE_S + 4)
        assert took <= LEASE_S + RENEW_S + 1.5

        async def second_ran() -> bool:
            return (
                await ctx.db.job_runs.count_documents(
                    {"holder": {"$regex": f":{second.pid}:"}, "job": "notifier"}
                )
                >= 2
            )

        await wait_for(second_ran, 5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(5)

    # once per period: no two runs of one job ever started within half an interval
    runs = await ctx.db.job_runs.find({}).sort("started_at", 1).to_list(None)
    by_job: dict[str, list[Any]] = defaultdict(list)
    for run in runs:
        by_job[run["job"]].append(run["started_at"])
    assert set(by_job) == {spec.name for spec in JOBS}
    for job, starts in by_job.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
        interval = NOTIFIER_S if job == "notifier" else 1.0
        assert min(gaps, default=interval) >= interval * 0.5, (job, gaps)
    assert {r["outcome"] for r in runs} <= {"ok", "running"}, [r.get("error") for r in runs]
    holders = {r["holder"].split(":")[1] for r in runs}
    assert holders == {str(first.pid), str(second.pid)}


async def _is(holder: Any, needle: str) -> bool:
    return needle in await holder()
