"""The scheduler's book-keeping: the leader lease and the record of every job run.

Lease: one document per lease name in `job_leases`. A process holds it while
`expires_at` is in the future and renews it every `jobs.renew_seconds`; when the holder
dies, the lease expires and the next process to try takes it over. Time is each process's
clock (`ctx.now()`): keep hosts on NTP; skew shortens or lengthens the takeover by as much.
"""

from __future__ import annotations

import traceback
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core import paging
from models.core.context import Context
from server.logging import mask_text


async def acquire_lease(ctx: Context, name: str, holder: str, seconds: float) -> datetime | None:
    """Take or renew the lease; its new expiry when we hold it, None when someone else does."""
    now = ctx.now()
    expires = now + timedelta(seconds=seconds)
    try:
        result = await ctx.db.job_leases.update_one(
            {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lte": now}}]},
            {"$set": {"holder": holder, "expires_at": expires, "renewed_at": now}},
            upsert=True,
        )
    except DuplicateKeyError:
        return None  # held by another process and not expired
    if result.matched_count == 0 and result.upserted_id is None:
        return None
    return expires


async def release_lease(ctx: Context, name: str, holder: str) -> None:
    await ctx.db.job_leases.update_one(
        {"_id": name, "holder": holder}, {"$set": {"expires_at": ctx.now()}}
    )


async def lease_holder(ctx: Context, name: str) -> dict[str, Any] | None:
    return await ctx.db.job_leases.find_one({"_id": name})


async def start_run(ctx: Context, job: str, holder: str) -> ObjectId:
    now = ctx.now()
    run_id = ObjectId()
    await ctx.db.job_runs.insert_one(
        {
            "_id": run_id,
            "job": job,
            "holder": holder,
            "started_at": now,
            "ended_at": None,
            "outcome": "running",
            "counts": {},
            "error": None,
            "expires_at": now + timedelta(days=float(ctx.config.jobs.run_retention_days)),
        }
    )
    return run_id


async def finish_run(
    ctx: Context,
    run_id: ObjectId,
    started_at: datetime,
    counts: dict[str, Any] | None = None,
    error: BaseException | None = None,
) -> None:
    now = ctx.now()
    fields: dict[str, Any] = {
        "ended_at": now,
        "duration_ms": round((now - started_at).total_seconds() * 1000, 1),
        "outcome": "failed" if error is not None else "ok",
        "counts": {str(k): v for k, v in (counts or {}).items()},
    }
    if error is not None:
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        fields["error"] = mask_text(text)[:500]
    await ctx.db.job_runs.update_one({"_id": run_id}, {"$set": fields})


async def list_runs(
    ctx: Context, *, job: str | None, outcome: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; runs expire (TTL), so the collection stays small."""
    query: dict[str, Any] = {}
    if job:
        query["job"] = job
    return await paging.newest_of_owner(
        ctx.db.job_runs,
        query,
        field="started_at",
        cursor=paging.decode(cursor),
        limit=limit,
        keep=(lambda run: run.get("outcome") == outcome) if outcome else None,
    )


def run_json(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(doc["_id"]),
        "job": doc["job"],
        "holder": doc["holder"],
        "started_at": doc["started_at"],
        "ended_at": doc.get("ended_at"),
        "duration_ms": doc.get("duration_ms"),
        "outcome": doc["outcome"],
        "counts": doc.get("counts") or {},
        "error": doc.get("error"),
    }
