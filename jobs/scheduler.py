"""APScheduler on the running (Tornado) asyncio loop, with a leader lease in MongoDB.

Every process that runs jobs schedules them all, but a job body only runs in the process
holding the `scheduler` lease: N API processes never duplicate a reminder. The lease is
renewed every `jobs.renew_seconds` and expires after `jobs.lease_seconds`; when the leader
dies another process takes over on its next renewal attempt after the expiry.

Every run that executes is recorded in `job_runs` (start, end, outcome, counts, error); a
job that raises is recorded as failed and the scheduler carries on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs.tasks import JOBS, JobSpec
from models.core.context import Context
from models.ops import jobruns

log = logging.getLogger("tongxin.jobs")
LEASE = "scheduler"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class JobRunner:
    def __init__(self, ctx: Context, wechat: Any, jobs: tuple[JobSpec, ...] = JOBS):
        self.ctx = ctx
        self.wechat = wechat
        self.jobs = {spec.name: spec for spec in jobs}
        self.holder = holder_id()
        self.lease_until: datetime | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.zone = ZoneInfo(str(ctx.config.jobs.timezone))

    # ---------------------------------------------------------- leadership

    @property
    def is_leader(self) -> bool:
        return self.lease_until is not None and self.lease_until > self.ctx.now()

    async def renew(self) -> bool:
        was = self.is_leader
        try:
            self.lease_until = await jobruns.acquire_lease(
                self.ctx, LEASE, self.holder, float(self.ctx.config.jobs.lease_seconds)
            )
        except Exception:
            log.warning("lease renewal failed", exc_info=True)
            if not self.is_leader:
                self.lease_until = None
        if self.is_leader and not was:
            log.info("became scheduler leader", extra={"holder": self.holder})
        elif was and not self.is_leader:
            log.warning("lost scheduler leadership", extra={"holder": self.holder})
        return self.is_leader

    # ---------------------------------------------------------- running

    async def run_job(self, name: str) -> dict[str, Any]:
        """Run one job now and record it (tests call this directly)."""
        spec = self.jobs[name]
        started = self.ctx.now()
        run_id = await jobruns.start_run(self.ctx, name, self.holder)
        try:
            self.ctx.failpoint(f"job:{name}")
            counts = await spec.fn(self.ctx, self.wechat)
        except Exception as exc:
            log.error("job failed", extra={"job": name}, exc_info=True)
            try:
                await jobruns.finish_run(self.ctx, run_id, started, error=exc)
            except Exception:
                log.warning("could not record the failed run", extra={"job": name})
            return {"outcome": "failed", "error": str(exc)}
        await jobruns.finish_run(self.ctx, run_id, started, counts)
        log.info("job done", extra={"job": name, "counts": counts})
        return {"outcome": "ok", "counts": counts}

    async def _tick(self, name: str) -> None:
        if not self.is_leader:
            return
        try:
            await self.run_job(name)
        except Exception:  # recording itself failed (DB down): try again next period
            log.warning("job run not recorded", extra={"job": name}, exc_info=True)

    def start(self) -> AsyncIOScheduler:
        """Schedule everything on the running loop; call from a coroutine."""
        cfg = self.ctx.config.jobs
        loop = asyncio.get_running_loop()
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=self.zone)
        now = datetime.now(self.zone)
        scheduler.add_job(
            self.renew,
            IntervalTrigger(seconds=float(cfg.renew_seconds), timezone=self.zone),
            id="lease",
            next_run_time=now,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        for index, spec in enumerate(self.jobs.values()):
            seconds = float(getattr(cfg, spec.interval_key))
            scheduler.add_job(
                self._tick,
                IntervalTrigger(seconds=seconds, timezone=self.zone),
                args=[spec.name],
                id=spec.name,
                # first runs spread out a little after the first lease attempt
                next_run_time=now + timedelta(seconds=min(seconds, 0.2 * (index + 1))),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler started", extra={"holder": self.holder, "jobs": list(self.jobs)})
        return scheduler

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self.is_leader:
            try:
                await jobruns.release_lease(self.ctx, LEASE, self.holder)
            except Exception:
                log.warning("could not release the lease", exc_info=True)
        self.lease_until = None
        log.info("scheduler stopped", extra={"holder": self.holder})
