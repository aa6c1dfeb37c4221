"""Dashboard counts of activities under a node: how many, attendance rate, hours served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from models.activities.states import CANCELLED, DRAFT
from models.core.context import Context


async def summary(
    ctx: Context, org_id: ObjectId, since: datetime, until: datetime
) -> dict[str, Any]:
    """Activities starting in [since, until) under `org_id` (drafts and cancelled left out)."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"org_path": org_id, "start_at": {"$gte": since, "$lt": until}}},
        {
            "$project": {
                "status": 1,
                "signed_up": {"$ifNull": ["$signed_up", 0]},
                "checked_in": {"$ifNull": ["$checked_in", 0]},
                "hours": {"$ifNull": ["$hours", 0]},
            }
        },
    ]
    held = signed = came = 0
    hours = 0.0
    async for row in await ctx.db.activities.aggregate(pipeline):
        if row["status"] in (DRAFT, CANCELLED):
            continue
        held += 1
        signed += row["signed_up"]
        came += row["checked_in"]
        hours += row["hours"]
    return {
        "activities": held,
        "signed_up": signed,
        "checked_in": came,
        "attendance_rate": round(100 * came / signed, 1) if signed else None,
        "hours": round(hours, 1),
    }
