"""Branch standings (支部排名) for `GET /me/points`: the rank without counting the branch.

The rank among the members of one's branch (by spendable points) used to be two counts
over the branch's members on every request, costing the branch's size each time. A
standings snapshot per branch (`rank_standings`: every member's balance, highest first)
is kept instead and refreshed when older than `REFRESH`, by the request that finds it old:
a member's own balance is always live, the others' balances and the branch's head count
are at most `REFRESH` old. One request per branch and period pays the branch's read.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context

REFRESH = timedelta(minutes=10)


async def _refresh(ctx: Context, org_id: ObjectId) -> dict[str, Any]:
    base = {"org_id": org_id, "role": "member", "deleted_at": None}
    members = [
        [u.get("points_balance", 0) or 0, u["_id"]]
        async for u in ctx.db.users.find(base, {"points_balance": 1})
    ]
    members.sort(key=lambda bm: (-bm[0], str(bm[1])))
    doc = {"_id": org_id, "at": ctx.now(), "members": members}
    await ctx.db.rank_standings.replace_one({"_id": org_id}, doc, upsert=True)
    return doc


async def rank_of(
    ctx: Context, org_id: ObjectId, member_id: ObjectId, balance: int | float
) -> tuple[int, int]:
    """(1 + members of the branch with more points than `balance`, members in the branch)."""
    doc = await ctx.db.rank_standings.find_one({"_id": org_id})
    if doc is None or ctx.now() - doc["at"].replace(tzinfo=doc["at"].tzinfo or UTC) > REFRESH:
        doc = await _refresh(ctx, org_id)
    members = doc["members"]
    above = 0
    for points, other in members:  # highest first: stop at the first one not above
        if points <= balance:
            break
        if other != member_id:
            above += 1
    present = any(other == member_id for _, other in members)
    return 1 + above, len(members) + (0 if present else 1)
