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
    counts["due_hours_pruned"] = await prune_due_hours(ctx)
    return counts


async def prune_due_hours(ctx: Context) -> int:
    """Drop the due hours each node's open tally counts down to 0 (models/ops/tallies.py),
    so the document holds the hours of open orders only; each removal is conditional on
    the hour still being 0. Reads one document per node."""
    pruned = 0
    async for doc in ctx.db.open_tallies.find({}, {"due": 1}):
        for hour, n in (doc.get("due") or {}).items():
            if n == 0:
                result = await ctx.db.open_tallies.update_one(
                    {"_id": doc["_id"], f"due.{hour}": 0}, {"$unset": {f"due.{hour}": ""}}
                )
                pruned += result.modified_count
    return pruned
