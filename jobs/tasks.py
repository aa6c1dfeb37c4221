"""The time-driven jobs. Each takes the context and the WeChat gateway, calls model
services only, and returns counts that go into its job-run record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from models import activities, honours, notifications, transfers
from models.core.context import Context
from models.notifications import digests
from models.ops import housekeeping, tallies
from models.orders import notices as order_notices
from models.orders import sla
from models.rewards import expiry, redemptions
from models.voices import jobs as voice_jobs
from models.voices import notices as voice_notices
from models.wishes import notices as wish_notices
from models.wishes import run_wishes

JobFn = Callable[[Context, Any], Awaitable[dict[str, Any]]]


async def notifier(ctx: Context, wechat: Any) -> dict[str, Any]:
    """Order timeline → notifications (and the dashboard's tallies of the orders and of the
    points and hours earned), then the WeChat deliveries and texts that are due."""
    counts: dict[str, Any] = dict(await order_notices.run_notifier(ctx))
    counts["earned_entries_tallied"] = await tallies.catch_up_entries(ctx)
    for name, catch_up in (("wishes", wish_notices.catch_up), ("voices", voice_notices.catch_up)):
        for key, n in (await catch_up(ctx)).items():
            counts[f"{name}_{key}"] = n
    for outcome, n in (await notifications.send_due(ctx, wechat)).items():
        counts[f"wechat_{outcome}"] = n
    for outcome, n in (await notifications.send_due_sms(ctx, ctx.sms)).items():
        counts[f"sms_{outcome}"] = n
    return counts


async def sla_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    return dict(await sla.run_sla(ctx))


async def digests_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    daily = await digests.daily_digest(ctx)
    monthly = await digests.monthly_statement(ctx)
    return {
        "digests": daily.get("digests", 0),
        "statements": monthly.get("statements", 0),
    }


async def housekeeping_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    return dict(await housekeeping.run_housekeeping(ctx))


async def activities_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    """Activities start and end on time (forgotten check-outs closed); reminders before."""
    return dict(await activities.run_activities(ctx))


async def wechat_token(ctx: Context, wechat: Any) -> dict[str, Any]:
    if not wechat.configured:  # no app secret (demo, first run): nothing to refresh
        return {"skipped_not_configured": 1}
    margin = float(ctx.config.jobs.token_refresh_margin_seconds)
    return {"refreshed": int(await wechat.refresh_access_token(margin))}


async def media_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    """Content re-checks WeChat missed, then uploads nobody attached (models/media)."""
    from models.media import safety, service

    return {**await safety.recheck(ctx), **await service.cleanup_orphans(ctx)}


async def transfers_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    """组织关系转接: reminders before the deadline, expiry after it."""
    return dict(await transfers.run_deadlines(ctx))


async def honours_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    """服务标兵/党员之星: last month's candidates proposed per node (once per month and node)."""
    return dict(await honours.propose_month(ctx))


async def rewards_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    """Unclaimed redemptions expire (refunded); expired points written off; reminders."""
    counts: dict[str, Any] = dict(await redemptions.expire_unclaimed(ctx))
    expired = await expiry.expire_points(ctx)
    counts["expired_buckets"] = expired["buckets"]
    counts["expired_points"] = expired["points"]
    counts.update(await expiry.remind_expiring(ctx))
    return counts


async def wishes_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    return dict(await run_wishes(ctx))


async def voices_job(ctx: Context, wechat: Any) -> dict[str, Any]:
    return dict(await voice_jobs.run_voices(ctx))


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    interval_key: str  # the `jobs.<key>` holding its period in seconds


JOBS = (
    JobSpec("notifier", notifier, "notifier_seconds"),
    JobSpec("sla", sla_job, "sla_seconds"),
    JobSpec("digests", digests_job, "digest_check_seconds"),
    JobSpec("housekeeping", housekeeping_job, "housekeeping_seconds"),
    JobSpec("wechat_token", wechat_token, "token_refresh_seconds"),
    JobSpec("media", media_job, "media_seconds"),
    JobSpec("transfers", transfers_job, "transfers_seconds"),
    JobSpec("honours", honours_job, "honours_seconds"),
    JobSpec("activities", activities_job, "activities_seconds"),
    JobSpec("rewards", rewards_job, "rewards_seconds"),
    JobSpec("wishes", wishes_job, "wishes_seconds"),
    JobSpec("voices", voices_job, "voices_seconds"),
)
