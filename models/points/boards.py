"""党员之星 leaderboard buckets: points earned per period (month, year, all time), member and
branch of earning, kept by ledger.append in the same transaction as the entries.

A board reads the indexed ranges at or above a floor: the last row (points, member) that made
the board of that node and period (`leaderboard_floors`); members tied with the floor are
read only up to its member id. Earned points only grow within a period, so whoever is on
the board now ranks at least as high as that floor: the read costs the board and the
members who passed the floor since, never every member (nor every tie).

Invariant (`python -m server check`): every bucket == the sum of its positive entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core.clock import BEIJING
from models.core.context import Context

PERIODS = ("month", "year", "all")


def period_key(period: str, at: datetime) -> str:
    local = at.astimezone(BEIJING)
    if period == "month":
        return f"m{local.year}-{local.month:02d}"
    if period == "year":
        return f"y{local.year}"
    return "all"


Sums = dict[str, tuple[int, str, ObjectId, list[ObjectId]]]


def bucket_sums(docs: list[dict[str, Any]]) -> Sums:
    """Bucket id → (points, period key, member, org path) for these ledger docs: every
    positive points delta counts, under the branch it was earned in."""
    sums: Sums = {}
    for doc in docs:
        if doc["kind"] != "points" or not doc["delta"] or doc["delta"] <= 0:
            continue
        path = list(doc.get("org_path") or [])
        org = path[-1] if path else None
        for period in PERIODS:
            key = period_key(period, doc["created_at"])
            _id = f"{key}:{doc['member_id']}:{org}"
            total = sums[_id][0] if _id in sums else 0
            sums[_id] = (total + doc["delta"], key, doc["member_id"], path)
    return sums


def bucket_docs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buckets these ledger docs make, as documents (a bulk import inserts them)."""
    return [
        {"_id": _id, "points": pts, "period": key, "member_id": member, "org_path": path}
        for _id, (pts, key, member, path) in bucket_sums(docs).items()
    ]


def _upsert(_id: str, points: int, key: str, member: ObjectId, path: list[ObjectId]) -> UpdateOne:
    return UpdateOne(
        {"_id": _id},
        {
            "$inc": {"points": points},
            "$setOnInsert": {"period": key, "member_id": member, "org_path": path},
        },
        upsert=True,
    )


def bucket_writes(docs: list[dict[str, Any]]) -> list[UpdateOne]:
    return [_upsert(_id, *v) for _id, v in bucket_sums(docs).items()]


async def apply(
    ctx: Context, session: AsyncClientSession | None, docs: list[dict[str, Any]]
) -> None:
    writes = bucket_writes(docs)
    if writes:
        await ctx.db.leaderboard_buckets.bulk_write(writes, ordered=False, session=session)


async def top(
    ctx: Context, org_id: ObjectId, period: str, now: datetime, limit: int
) -> list[tuple[ObjectId, int]]:
    """(member, points) best first, ties by member id, for the members under `org_id`."""
    key = period_key(period, now)
    fid = f"{key}:{org_id}"
    base: dict[str, Any] = {"period": key, "org_path": org_id}
    floor_doc = await ctx.db.leaderboard_floors.find_one({"_id": fid})
    best: list[tuple[ObjectId, int]] = []
    if floor_doc is not None:
        best = await _best(ctx, _above(base, floor_doc), limit)
    if len(best) < limit:  # no floor yet, or fewer than a board above it: read them all
        best = await _best(ctx, [{**base, "points": {"$gt": 0}}], limit)
    if len(best) >= limit:
        await _raise_floor(ctx, fid, floor_doc, *best[-1])
    return best


def _above(base: dict[str, Any], floor: dict[str, Any]) -> list[dict[str, Any]]:
    """The buckets ranked at or above the floor (the board's last row when it was stored):
    more points, or as many and a member id not after it. Points only grow within a period,
    so whoever is on the board now is among them; members tied below the floor are not read."""
    points = int(floor["points"])
    ties: dict[str, Any] = {**base, "points": points}
    if floor.get("member_id") is not None:
        ties["member_id"] = {"$lte": floor["member_id"]}
    return [{**base, "points": {"$gt": points}}, ties]


async def _best(
    ctx: Context, queries: list[dict[str, Any]], limit: int
) -> list[tuple[ObjectId, int]]:
    totals: dict[ObjectId, int] = {}
    for query in queries:
        rows = ctx.db.leaderboard_buckets.find(query, {"member_id": 1, "points": 1})
        async for row in rows:  # a member who changed branch has a bucket per branch
            totals[row["member_id"]] = totals.get(row["member_id"], 0) + row["points"]
    return sorted(totals.items(), key=lambda mp: (-mp[1], str(mp[0])))[:limit]


async def _raise_floor(
    ctx: Context, fid: str, stored: dict[str, Any] | None, member: ObjectId, points: int
) -> None:
    """Store (points, member) as the floor if it ranks higher than the one read (the update
    applies only while that one is still stored: a racing board keeps the one it wrote,
    and any stored floor stays true, points only growing)."""
    doc = {"points": points, "member_id": member}
    if stored is None:
        try:  # the first board of this node and period
            await ctx.db.leaderboard_floors.insert_one({"_id": fid, **doc})
        except DuplicateKeyError:
            pass
        return
    old = (-int(stored["points"]), str(stored.get("member_id") or "f" * 24))
    if (-points, str(member)) < old:
        await ctx.db.leaderboard_floors.update_one(
            {"_id": fid, "points": stored["points"], "member_id": stored.get("member_id")},
            {"$set": doc},
        )


async def drift(ctx: Context) -> list[dict[str, Any]]:
    """Buckets of all time and of the current month and year that differ from the ledger."""
    now = ctx.now()
    keys = {period_key(p, now) for p in PERIODS}
    expected: Sums = {}
    entries = ctx.db.ledger_entries.find(
        {"kind": "points"},
        {"kind": 1, "member_id": 1, "delta": 1, "org_path": 1, "created_at": 1},
    )
    async for doc in entries:
        for _id, (points, key, member, path) in bucket_sums([doc]).items():
            if key in keys:
                total = expected[_id][0] if _id in expected else 0
                expected[_id] = (total + points, key, member, path)
    stored: dict[str, int] = {}
    async for bucket in ctx.db.leaderboard_buckets.find({"period": {"$in": sorted(keys)}}):
        stored[bucket["_id"]] = bucket["points"]
    problems: list[dict[str, Any]] = []
    for _id in sorted(set(expected) | set(stored)):
        want = expected[_id][0] if _id in expected else 0
        have = stored.get(_id, 0)
        if abs(want - have) > 1e-6:
            problem: dict[str, Any] = {"bucket": _id, "points": have, "sum_of_entries": want}
            if _id in expected:
                _, key, member, path = expected[_id]
                problem.update(period=key, member_id=member, org_path=path)
            problems.append(problem)
    return problems


async def rebuild(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Move each drifted bucket to its sum (derived data: the ledger is the record)."""
    writes = [
        _upsert(
            p["bucket"],
            p["sum_of_entries"] - p["points"],
            p["period"],
            p["member_id"],
            p["org_path"],
        )
        if "member_id" in p
        else UpdateOne({"_id": p["bucket"]}, {"$set": {"points": 0}})
        for p in problems
    ]
    if writes:
        await ctx.db.leaderboard_buckets.bulk_write(writes, ordered=False)
    return len(writes)
