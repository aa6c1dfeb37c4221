"""Branch standings (支部排名) for `GET /me/points`: the rank without counting the branch.

The rank among the members of one's branch (by spendable points) used to be two counts
over the branch's members on every request, costing the branch's size each time. A
standings snapshot per branch (`rank_standings`) is kept instead and refreshed when older
than `REFRESH`, by the request that finds it old: a member's own balance is always live,
the others' balances and the branch's head count are at most `REFRESH` old. One request
per branch and period pays the branch's read.

The snapshot is two packed binary values, not a list of pairs: the negated balances in
ascending order (doubles) and the member ids in the same order (12 bytes each). The
database reads them as two values whatever the branch's size, and the rank is a binary
search: as an array of pairs, a branch of 1,250 members cost the database 1.9× a branch
of 125 on every request (bench/scale.py at 20k/200k orders).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from datetime import UTC, timedelta
from typing import Any

from bson import Binary, ObjectId

from models.core.context import Context

REFRESH = timedelta(minutes=10)
ID_BYTES = 12


async def _refresh(ctx: Context, org_id: ObjectId) -> dict[str, Any]:
    base = {"org_id": org_id, "role": "member", "deleted_at": None}
    members = [
        (float(u.get("points_balance", 0) or 0), u["_id"])
        async for u in ctx.db.users.find(base, {"points_balance": 1})
    ]
    members.sort(key=lambda bm: (-bm[0], str(bm[1])))
    doc = {
        "_id": org_id,
        "at": ctx.now(),
        "negated": Binary(array("d", [-points for points, _ in members]).tobytes()),
        "ids": Binary(b"".join(member.binary for _, member in members)),
    }
    await ctx.db.rank_standings.replace_one({"_id": org_id}, doc, upsert=True)
    return doc


def _age(ctx: Context, doc: dict[str, Any]) -> timedelta:
    at = doc["at"]
    return ctx.now() - at.replace(tzinfo=at.tzinfo or UTC)


def _position(ids: bytes, member_id: ObjectId) -> int | None:
    """Where `member_id` stands in the packed ids, or None if it is not there."""
    at = ids.find(member_id.binary)
    while at != -1 and at % ID_BYTES:  # a match across two ids: look further
        at = ids.find(member_id.binary, at + 1)
    return None if at == -1 else at // ID_BYTES


async def rank_of(
    ctx: Context, org_id: ObjectId, member_id: ObjectId, balance: int | float
) -> tuple[int, int]:
    """(1 + members of the branch with more points than `balance`, members in the branch)."""
    doc = await ctx.db.rank_standings.find_one({"_id": org_id})
    if doc is None or "negated" not in doc or _age(ctx, doc) > REFRESH:  # or an older layout
        doc = await _refresh(ctx, org_id)
    negated = array("d")
    negated.frombytes(bytes(doc["negated"]))
    above = bisect_left(negated, -float(balance))  # balances strictly above
    mine = _position(bytes(doc["ids"]), member_id)
    if mine is not None and mine < above:  # one's own older balance is not someone above
        above -= 1
    return 1 + above, len(negated) + (0 if mine is not None else 1)
