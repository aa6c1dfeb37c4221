"""组织生活: how many 三会一课 / 主题党日 a branch held per quarter and who attended
(the quarterly count is what a branch is checked on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from models.activities.states import (
    ABSENT,
    CONFIRMED,
    ENDED,
    KIND_NAMES,
    LEAVE,
    ORG_LIFE,
    PRESENT,
    SETTLED,
)
from models.core.clock import BEIJING
from models.core.context import Context


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    first = datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=BEIJING)
    last = datetime(
        year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=BEIJING
    )
    return first, last


async def quarterly(ctx: Context, org_id: ObjectId, year: int) -> dict[str, Any]:
    """Per quarter: meetings held by kind; per member: present / leave / absent counts."""
    since, _ = quarter_bounds(year, 1)
    _, until = quarter_bounds(year, 4)
    held = await ctx.db.activities.find(
        {
            "org_id": org_id,
            "start_at": {"$gte": since, "$lt": until},
            "status": {"$in": [ENDED, SETTLED]},
        },
        {"kind": 1, "start_at": 1, "title": 1},
        hint=[("org_id", 1), ("start_at", -1)],
    ).to_list(None)
    held = [a for a in held if a["kind"] in ORG_LIFE]
    by_quarter: dict[int, dict[str, int]] = {q: dict.fromkeys(ORG_LIFE, 0) for q in (1, 2, 3, 4)}
    quarter_of: dict[ObjectId, int] = {}
    for a in held:
        q = (a["start_at"].astimezone(BEIJING).month - 1) // 3 + 1
        by_quarter[q][a["kind"]] += 1
        quarter_of[a["_id"]] = q
    members: dict[ObjectId, dict[str, Any]] = {}
    if held:
        cursor = ctx.db.activity_signups.find(
            {"activity_id": {"$in": list(quarter_of)}, "status": CONFIRMED},
            {"member_id": 1, "member_name": 1, "attendance": 1, "checkin_at": 1, "activity_id": 1},
        )
        async for row in cursor:
            m = members.setdefault(
                row["member_id"],
                {"name": row.get("member_name", ""), PRESENT: 0, LEAVE: 0, ABSENT: 0},
            )
            mark = row.get("attendance") or (PRESENT if row.get("checkin_at") else ABSENT)
            m[mark] = m.get(mark, 0) + 1
    return {
        "year": year,
        "kinds": {k: KIND_NAMES[k] for k in ORG_LIFE},
        "quarters": by_quarter,
        "members": sorted(members.values(), key=lambda m: (-m[PRESENT], m["name"])),
    }
