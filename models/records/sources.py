"""The record's further sources: activities attended (hours, 三会一课 among them), wishes
fulfilled, opinions handled. Each is one indexed range on the member and a period
(indexes in models/ops/indexes.py) and registers itself in `records.EXTRA_SOURCES`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from models.core.context import Context


async def activities_attended(
    ctx: Context, member_id: ObjectId, start: datetime, end: datetime
) -> dict[str, Any]:
    """Settled sign-ups marked attended whose activity ended in the period (member, end_at)."""
    rows = await ctx.db.activity_signups.find(
        {"member_id": member_id, "end_at": {"$gte": start, "$lt": end}},
        {"activity_id": 1, "attended": 1, "hours_awarded": 1, "end_at": 1, "start_at": 1},
    ).to_list(None)
    rows = [r for r in rows if r.get("attended")]
    acts = {
        a["_id"]: a
        async for a in ctx.db.activities.find(
            {"_id": {"$in": [r["activity_id"] for r in rows]}},
            {"title": 1, "kind": 1, "org_name": 1},
        )
    }
    from models.activities.states import KIND_NAMES, ORG_LIFE

    items = []
    for row in sorted(rows, key=lambda r: r["end_at"], reverse=True):
        act = acts.get(row["activity_id"]) or {}
        items.append(
            {
                "id": str(row["activity_id"]),
                "title": act.get("title") or "",
                "kind": act.get("kind"),
                "kind_name": KIND_NAMES.get(act.get("kind") or "", ""),
                "org_name": act.get("org_name"),
                "at": row["start_at"],
                "hours": round(float(row.get("hours_awarded") or 0), 2),
            }
        )
    return {
        "count": len(items),
        "hours": round(sum(i["hours"] for i in items), 2),
        "meetings": sum(1 for i in items if i["kind"] in ORG_LIFE),
        "items": items,
    }


async def wishes_fulfilled(
    ctx: Context, member_id: ObjectId, start: datetime, end: datetime
) -> dict[str, Any]:
    """Wishes this member claimed and the resident confirmed in the period."""
    rows = await ctx.db.wishes.find(
        {"claimant_id": member_id, "confirmed_at": {"$gte": start, "$lt": end}},
        {"title": 1, "category": 1, "org_name": 1, "confirmed_at": 1, "hours": 1, "status": 1},
    ).to_list(None)
    items = [
        {
            "id": str(w["_id"]),
            "title": w.get("title") or "",
            "category": w.get("category"),
            "org_name": w.get("org_name"),
            "at": w["confirmed_at"],
            "hours": round(float(w.get("hours") or 0), 2),
        }
        for w in sorted(rows, key=lambda w: w["confirmed_at"], reverse=True)
        if w.get("status") == "confirmed"
    ]
    return {"count": len(items), "hours": round(sum(i["hours"] for i in items), 2), "items": items}


async def voices_handled(
    ctx: Context, member_id: ObjectId, start: datetime, end: datetime
) -> dict[str, Any]:
    """Opinions this member handled to their first closing in the period, with ratings."""
    rows = await ctx.db.voices.find(
        {"handler_id": member_id, "first_closed_at": {"$gte": start, "$lt": end}},
        {"kind": 1, "category": 1, "org_name": 1, "first_closed_at": 1, "rating": 1},
    ).to_list(None)
    from models.voices.states import KINDS

    items = [
        {
            "id": str(v["_id"]),
            "kind_name": KINDS.get(v.get("kind") or "", ""),
            "category": v.get("category"),
            "org_name": v.get("org_name"),
            "at": v["first_closed_at"],
            "rating": v.get("rating"),
        }
        for v in sorted(rows, key=lambda v: v["first_closed_at"], reverse=True)
    ]
    return {"count": len(items), "items": items}


def register(sources: dict[str, Any]) -> None:
    sources.setdefault("activity_signups", ("activities", activities_attended))
    sources.setdefault("wishes", ("wishes", wishes_fulfilled))
    sources.setdefault("voices", ("voices", voices_handled))
