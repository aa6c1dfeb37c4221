"""Housekeeping: what expires is removed even where TTL indexes are slow or absent.

TTL indexes (models/ops/indexes.py) already expire `auth_tokens`, `idempotency_records`,
`notifications`, `subscribe_deliveries` and `job_runs`; MongoDB's TTL monitor runs about
once a minute, so this job also deletes what is past due, and forgets order idempotency
keys older than `jobs.idempotency_retention_hours` (a retry after that places a new order).
"""

from __future__ import annotations

from datetime import timedelta

from models.core.context import Context
from models.notifications.sms import abandon_stale_sms
from models.notifications.subscribe import abandon_stale_sends

STALE_SEND = timedelta(minutes=10)


async def run_housekeeping(ctx: Context) -> dict[str, int]:
    now = ctx.now()
    counts: dict[str, int] = {}
    for name in ("auth_tokens", "idempotency_records"):
        result = await ctx.db[name].delete_many({"expires_at": {"$lte": now}})
        counts[f"{name}_deleted"] = result.deleted_count
    cutoff = now - timedelta(hours=float(ctx.config.jobs.idempotency_retention_hours))
    forgot = await ctx.db.orders.update_many(
        {"keyed_at": {"$lt": cutoff}},
        {"$unset": {"idempotency_key": "", "request_hash": "", "keyed_at": ""}},
    )
    counts["order_keys_forgotten"] = forgot.modified_count
    counts["stale_sends"] = await abandon_stale_sends(ctx, STALE_SEND)
    counts["stale_sms"] = await abandon_stale_sms(ctx, STALE_SEND)
    return counts
