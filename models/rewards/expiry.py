"""Points expiry (积分到期): the job that writes explicit expiry entries, and the reminder.

An expired bucket gets ONE negative ledger entry (key `expiry:<member>:<year>`) through
ledger.append, in the transaction that closes the bucket: append-only, idempotent per
member and period, and `balance == sum(entries)` keeps holding. Hours never expire.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.clock import BEIJING, iso
from models.core.context import Context
from models.notifications import Notice, notify_many
from models.people.users import SYSTEM
from models.points import buckets, ledger

EPS = buckets.EPS


def last_day(expires_at: datetime) -> str:
    """The last Beijing day the points can still be spent, e.g. 2027-12-31."""
    return (expires_at.astimezone(BEIJING) - timedelta(seconds=1)).strftime("%Y-%m-%d")


async def expire_bucket(ctx: Context, bucket_id: str) -> int:
    """Write off what is left of one expired bucket; returns the points expired."""
    now = ctx.now()

    async def work(session: AsyncClientSession) -> int:
        bucket = await ctx.db.point_buckets.find_one({"_id": bucket_id}, session=session)
        if bucket is None or bucket["closed"]:
            return 0
        user = await ctx.db.users.find_one(
            {"_id": bucket["member_id"]}, {"points_balance": 1, "org_path": 1}, session=session
        )
        amount = min(buckets.remaining(bucket), int((user or {}).get("points_balance") or 0))
        if user is None or amount <= 0:
            await ctx.db.point_buckets.update_one(
                {"_id": bucket_id}, {"$set": {"closed": True, "closed_at": now}}, session=session
            )
            return 0
        entry = ledger.LedgerEntry(
            member_id=bucket["member_id"],
            kind="points",
            delta=-amount,
            reason=f"{bucket['year']} 年获得的积分到期",
            source_type="points_expiry",
            source_id=bucket_id,
            idempotency_key=f"expiry:{bucket['member_id']}:{bucket['year']}",
            actor_id=SYSTEM.id,
            extra={"expires_bucket": bucket_id},
        )
        await ledger.append(ctx, session, [entry], org_path=list(user.get("org_path") or []))
        return amount

    try:
        return await uow.in_transaction(ctx, work)
    except ledger.AlreadyRecorded:
        return 0


async def expire_points(ctx: Context, batch: int = 500, parallel: int = 8) -> dict[str, Any]:
    """Job: every bucket past its expiry moment is written off, in batches; the buckets of
    a batch belong to different members (one per member and year), so their transactions
    run side by side (`parallel` at a time) without conflicting."""
    counts: dict[str, Any] = {"buckets": 0, "points": 0}
    now = ctx.now()
    gate = asyncio.Semaphore(parallel)

    async def one(bucket_id: str) -> int:
        async with gate:
            return await expire_bucket(ctx, bucket_id)

    while True:
        cursor = ctx.db.point_buckets.find(
            {"closed": False, "expires_at": {"$lte": now}}, {"_id": 1}
        ).limit(batch)
        due = [b["_id"] async for b in cursor]
        if not due:
            return counts
        for amount in await asyncio.gather(*(one(b) for b in due)):
            counts["points"] += amount
            counts["buckets"] += 1


async def remind_expiring(ctx: Context, batch: int = 1000) -> dict[str, int]:
    """Job: one in-app reminder per bucket, `rewards.expiry_remind_days` before it expires."""
    now = ctx.now()
    horizon = now + timedelta(days=float(ctx.config.rewards.expiry_remind_days))
    cursor = ctx.db.point_buckets.find(
        {"closed": False, "expires_at": {"$gt": now, "$lte": horizon}, "reminded": False}
    ).limit(batch)
    due = await cursor.to_list(batch)
    notices = []
    for bucket in due:
        left = buckets.remaining(bucket)
        if left <= EPS:
            continue
        notices.append(
            Notice(
                user_id=bucket["member_id"],
                key=f"points-expiry:{bucket['_id']}",
                kind="points_expiry",
                title="积分即将到期",
                body=f"{left:g} 积分将于 {last_day(bucket['expires_at'])} 到期，请及时兑换",
            )
        )
    sent = await notify_many(ctx, notices)
    if due:
        await ctx.db.point_buckets.update_many(
            {"_id": {"$in": [b["_id"] for b in due]}}, {"$set": {"reminded": True}}
        )
    return {"reminded": sent}


async def expiring_summary(ctx: Context, member_id: Any) -> dict[str, Any]:
    """For /me/points: the buckets that will expire, soonest first, and one line to show."""
    rows = []
    for bucket in await buckets.open_buckets(ctx, member_id):
        if bucket.get("expires_at") is None:
            continue
        rows.append(
            {
                "year": bucket["year"],
                "points": buckets.remaining(bucket),
                "expires_at": iso(bucket["expires_at"]),
                "last_day": last_day(bucket["expires_at"]),
            }
        )
    notice = None
    if rows:
        notice = f"{rows[0]['points']:g} 积分将于 {rows[0]['last_day']} 到期"
    return {"expiring": rows, "expiry_notice": notice}
