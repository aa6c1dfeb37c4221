"""Points ledger (志愿服务积分): the book of record. Balances are a cache of its sums.

Entries are append-only. Each carries an idempotency key with a unique index, and is
written in the same transaction as the member's balance cache, so an award is exactly-once
under retries and races and `balance == sum(entries)` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bson import ObjectId
from pymongo import UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models.core import paging
from models.core.clock import BEIJING
from models.core.context import Context
from models.people import orgs
from models.people.users import Actor
from models.points import boards, buckets, standings
from server.errors import Conflict, NotFound, ValidationFailed

KINDS = ("points", "hours")
# balances and deltas are integers in the unit of their kind: whole points, tenths of an hour
BALANCE_FIELD = {"points": "points_balance", "hours": "hours_tenths"}
UNIT = {"points": "point", "hours": "tenth_hour"}


class NotWhole(ValidationFailed):
    code = "not_whole"


def tenths(hours: float | int) -> int:
    """Hours (a decimal with at most one digit after the point) → whole tenths."""
    return int(Decimal(str(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) * 10)


def hours_of_tenths(value: int | float | None) -> float:
    """Tenths as the decimal hours API clients see (one digit after the point)."""
    return int(value or 0) / 10


def whole_points(value: float | int) -> int:
    """A points value computed by a rule (per-hour × hours) as whole points, half up."""
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def shown(kind: str, delta: int | float) -> int | float:
    """A stored delta as clients see it: points as they are, hours in hours."""
    return hours_of_tenths(delta) if kind == "hours" else int(delta)


class AlreadyRecorded(Conflict):
    code = "already_recorded"
    message = "该积分已记录，不会重复发放"


@dataclass
class LedgerEntry:
    member_id: ObjectId
    kind: str
    delta: int  # whole points, or tenths of an hour for kind "hours"
    reason: str
    source_type: str
    source_id: Any
    idempotency_key: str
    rule: str = ""
    actor_id: ObjectId | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_doc(self, now: datetime, org_path: list[ObjectId]) -> dict[str, Any]:
        if self.kind not in KINDS:
            raise ValidationFailed(fields={"kind": "积分类型无效"})
        if isinstance(self.delta, bool) or not isinstance(self.delta, int):
            # a float here is a bug in the caller, not user input: never store one
            raise TypeError(f"ledger delta must be an int, got {self.delta!r}")
        return {
            "_id": ObjectId(),
            "member_id": self.member_id,
            "kind": self.kind,
            "delta": self.delta,
            "unit": UNIT[self.kind],
            "reason": self.reason,
            "source": {"type": self.source_type, "id": self.source_id},
            "rule": self.rule,
            "actor_id": self.actor_id,
            "idempotency_key": self.idempotency_key,
            "org_path": org_path,
            "created_at": now,
            **self.extra,
            # earned points and hours wait for the dashboard's tallies (models/ops/tallies.py)
            **({"tally_due": now} if self.delta > 0 and org_path else {}),
        }


async def append(
    ctx: Context,
    session: AsyncClientSession,
    entries: list[LedgerEntry],
    *,
    org_path: list[ObjectId],
    also_inc: dict[str, Any] | None = None,
    also_set: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Write entries for ONE member and move their balance cache, inside `session`'s txn.

    A repeated idempotency key raises AlreadyRecorded (the transaction aborts); a spend
    that would make a balance negative raises Conflict.
    """
    if not entries:
        return []
    member_id = entries[0].member_id
    if any(e.member_id != member_id for e in entries):
        raise ValueError("append() takes the entries of one member")
    now = ctx.now()
    docs = [e.to_doc(now, org_path) for e in entries]
    bucket_writes = await buckets.plan(ctx, session, member_id, docs, org_path)
    try:
        await ctx.db.ledger_entries.insert_many(docs, session=session)
    except DuplicateKeyError:
        raise AlreadyRecorded() from None
    except BulkWriteError as exc:
        if any(e.get("code") == 11000 for e in exc.details.get("writeErrors", [])):
            raise AlreadyRecorded() from None
        raise
    ctx.failpoint("ledger.after_entries")
    inc: dict[str, Any] = dict(also_inc or {})
    filt: dict[str, Any] = {"_id": member_id}
    for entry in entries:
        field_name = BALANCE_FIELD[entry.kind]
        inc[field_name] = inc.get(field_name, 0) + entry.delta
    for field_name, delta in inc.items():
        if field_name in BALANCE_FIELD.values() and delta < 0:
            filt[field_name] = {"$gte": -delta}
    update: dict[str, Any] = {"$inc": inc}
    if also_set:
        update["$set"] = also_set
    result = await ctx.db.users.update_one(filt, update, session=session)
    if result.matched_count != 1:
        raise Conflict("余额不足，无法扣减", code="insufficient_balance")
    await buckets.apply(ctx, session, bucket_writes)
    await boards.apply(ctx, session, docs)
    return docs


async def check_ledger(ctx: Context) -> list[dict[str, Any]]:
    """Every member whose cached balance differs from the sum of their entries."""
    sums: dict[ObjectId, dict[str, int]] = {}
    pipeline = [{"$group": {"_id": {"m": "$member_id", "k": "$kind"}, "total": {"$sum": "$delta"}}}]
    async for row in await ctx.db.ledger_entries.aggregate(pipeline):
        sums.setdefault(row["_id"]["m"], {})[row["_id"]["k"]] = row["total"]
    problems: list[dict[str, Any]] = []
    projection = {"name": 1, "points_balance": 1, "hours_tenths": 1}
    query = {"$or": [{"points_balance": {"$ne": 0}}, {"hours_tenths": {"$ne": 0}}]}
    seen: set[ObjectId] = set()
    async for user in ctx.db.users.find(query, projection):
        seen.add(user["_id"])
        _compare(user, sums.get(user["_id"], {}), problems)
    missing = [m for m in sums if m not in seen]
    if missing:
        async for user in ctx.db.users.find({"_id": {"$in": missing}}, projection):
            seen.add(user["_id"])
            _compare(user, sums[user["_id"]], problems)
        for member_id in missing:
            if member_id not in seen:
                problems.append({"member_id": member_id, "name": None, "problem": "no such user"})
    return problems


def _compare(user: dict[str, Any], sums: dict[str, int], problems: list[dict[str, Any]]) -> None:
    """Exact: balances and deltas are integers, so any difference (even 1e-9) is a problem,
    and so is a balance or a sum that is not an integer (a float left by old data)."""
    for kind, field_name in BALANCE_FIELD.items():
        cached = user.get(field_name) or 0
        total = sums.get(kind, 0)
        if cached != total or not _is_int(cached) or not _is_int(total):
            problems.append(
                {
                    "member_id": user["_id"],
                    "name": user.get("name"),
                    "kind": kind,
                    "balance": cached,
                    "sum_of_entries": total,
                }
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def entry_json(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(doc["_id"]),
        "kind": doc["kind"],
        "delta": shown(doc["kind"], doc["delta"]),
        "reason": doc["reason"],
        "source": {"type": doc["source"]["type"], "id": str(doc["source"]["id"])},
        "created_at": doc["created_at"],
    }


async def list_entries(
    ctx: Context, member_id: ObjectId, kind: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A member's entries, newest first (keyset-paged on `(member_id, created_at)`)."""
    return await paging.newest_of_owner(
        ctx.db.ledger_entries,
        {"member_id": member_id},
        cursor=paging.decode(cursor),
        limit=limit,
        keep=(lambda entry: entry["kind"] == kind) if kind else None,
    )


async def points_summary(ctx: Context, actor: Actor) -> dict[str, Any]:
    """Balances and rank among the members of the same branch (by spendable points): the
    others' balances from the branch's standings, at most `standings.REFRESH` old."""
    user = actor.doc
    points = user.get("points_balance", 0)
    rank = rank_total = None
    if actor.org_id is not None and actor.is_member:
        rank, rank_total = await standings.rank_of(ctx, actor.org_id, actor.id, points)
    return {
        "points_balance": points,
        "hours_balance": hours_of_tenths(user.get("hours_tenths")),
        "rank": rank,
        "rank_total": rank_total,
        "org_id": str(actor.org_id) if actor.org_id else None,
        "org_name": await orgs.org_name(ctx, actor.org_id),
    }


def period_start(now: datetime, period: str) -> datetime | None:
    local = now.astimezone(BEIJING)
    if period == "month":
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "year":
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


async def leaderboard(
    ctx: Context, org_id: ObjectId, period: str, limit: int = 50
) -> list[dict[str, Any]]:
    """党员之星: points earned in the period by members under `org_id`, best first."""
    await orgs.get_org(ctx, org_id)
    # earned points per period from the buckets ledger.append keeps (models/points/boards.py)
    best = await boards.top(ctx, org_id, period, ctx.now(), limit)
    rows = [{"_id": member, "points": points} for member, points in best]
    users = {
        u["_id"]: u
        async for u in ctx.db.users.find(
            {"_id": {"$in": [r["_id"] for r in rows]}}, {"name": 1, "org_id": 1}
        )
    }
    out = []
    for rank, row in enumerate(rows, start=1):
        user = users.get(row["_id"], {})
        out.append(
            {
                "rank": rank,
                "member_id": str(row["_id"]),
                "name": user.get("name") or "已注销用户",
                "org_name": await orgs.org_name(ctx, user.get("org_id")),
                "points": row["points"],
            }
        )
    return out


async def get_entry(ctx: Context, entry_id: ObjectId) -> dict[str, Any]:
    doc = await ctx.db.ledger_entries.find_one({"_id": entry_id})
    if doc is None:
        raise NotFound("找不到该积分记录")
    return doc


async def append_bulk(
    ctx: Context,
    session: AsyncClientSession,
    entries: list[LedgerEntry],
    *,
    org_paths: dict[ObjectId, list[ObjectId]],
    also_inc: dict[ObjectId, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Awards to MANY members in one transaction with two bulk writes (settling an activity).

    Credits only (no balance can go negative). As with `append`, a repeated idempotency key
    raises AlreadyRecorded and the whole transaction aborts, so each entry and its balance
    move land together or not at all.
    """
    if not entries and not also_inc:
        return []
    if any(e.delta < 0 for e in entries):
        raise ValueError("append_bulk() takes credits only")
    now = ctx.now()
    docs = [e.to_doc(now, org_paths.get(e.member_id, [])) for e in entries]
    try:
        if docs:
            await ctx.db.ledger_entries.insert_many(docs, ordered=True, session=session)
    except DuplicateKeyError:
        raise AlreadyRecorded() from None
    except BulkWriteError as exc:
        if any(e.get("code") == 11000 for e in exc.details.get("writeErrors", [])):
            raise AlreadyRecorded() from None
        raise
    ctx.failpoint("ledger.bulk_after_entries")
    await boards.apply(ctx, session, docs)
    incs: dict[ObjectId, dict[str, Any]] = {m: dict(v) for m, v in (also_inc or {}).items()}
    for entry in entries:
        inc = incs.setdefault(entry.member_id, {})
        field_name = BALANCE_FIELD[entry.kind]
        inc[field_name] = inc.get(field_name, 0) + entry.delta
    # members with the same movement share one update (an activity's attendees mostly do)
    groups: dict[tuple[tuple[str, Any], ...], list[ObjectId]] = {}
    for member, inc in incs.items():
        groups.setdefault(tuple(sorted(inc.items())), []).append(member)
    ops = [
        UpdateMany({"_id": {"$in": members}}, {"$inc": dict(key)})
        if len(members) > 1
        else UpdateOne({"_id": members[0]}, {"$inc": dict(key)})
        for key, members in groups.items()
    ]
    if not ops:
        return docs
    result = await ctx.db.users.bulk_write(ops, ordered=False, session=session)
    if result.matched_count != len(incs):
        raise NotFound("找不到获得积分的成员")
    return docs
