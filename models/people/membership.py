"""Who is a member where: the per-node member counters (共 N 名) and the search keys of a
member's name and phone, both kept by every write that changes them.

- `member_counts` holds, per organisation node, the members (role member, not erased)
  whose `org_path` passes through it. Every write that makes, moves or removes a member
  (create, registration approval, roster import, transfer, erasure) calls `move` in the same
  transaction, so the member list shows its total without counting the subtree (the
  embedded database reads every match of a count). `python -m server check` recounts it and
  `--repair` sets it right.
- `search_keys` on a user: the characters and bigrams of the name and the 4-digit runs of
  the phone. A regex cannot use an index; a lookup of one key can, in time windows of
  `joined_at` (models/people/directory.py), so a search costs what its page costs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core.context import Context

PHONE_RUN = 4  # digits: a phone search needs at least this many


def _folded(name: str | None) -> str:
    return "".join((name or "").split()).lower()


def search_keys(name: str | None, phone: str | None) -> list[str]:
    """The keys a member is found by: each character and each pair of neighbouring
    characters of the name (Chinese names are 2-4 characters), each run of 4 digits of the
    phone (8 for a mobile number)."""
    text = _folded(name)
    keys = set(text)
    keys.update(text[i : i + 2] for i in range(len(text) - 1))
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    keys.update(digits[i : i + PHONE_RUN] for i in range(len(digits) - PHONE_RUN + 1))
    return sorted(keys)


def query_key(q: str) -> tuple[str, str, str] | None:
    """(the key to look up, the field the whole text must be in, the folded text) for a
    search text, or None for an empty one. Digits (at least 4) search the phone: the key is
    the last 4 (the tail people remember); anything else searches the name: the key is its
    first character pair (or the single character)."""
    text = _folded(q)
    if not text:
        return None
    if text.isdigit() and len(text) >= PHONE_RUN:
        return text[-PHONE_RUN:], "phone", text
    return text[:2], "name", text


def matches_text(row: dict[str, Any], field: str, text: str) -> bool:
    if field == "phone":
        return text in (row.get("phone") or "")
    return text in _folded(row.get("name"))


def _deltas(
    joined: Iterable[Sequence[ObjectId]], left: Iterable[Sequence[ObjectId]]
) -> Counter[ObjectId]:
    delta: Counter[ObjectId] = Counter()
    for path in joined:
        for node in path:
            delta[node] += 1
    for path in left:
        for node in path:
            delta[node] -= 1
    return delta


async def move(
    ctx: Context,
    session: AsyncClientSession | None,
    *,
    joined: Iterable[Sequence[ObjectId]] = (),
    left: Iterable[Sequence[ObjectId]] = (),
) -> None:
    """Members joined (one org path each) and left (their old paths): every node on those
    paths counted up or down, in the caller's transaction."""
    ops = [
        UpdateOne({"_id": node}, {"$inc": {"members": d}}, upsert=True)
        for node, d in _deltas(joined, left).items()
        if d
    ]
    if ops:
        await ctx.db.member_counts.bulk_write(ops, ordered=False, session=session)


async def total(ctx: Context, node: ObjectId) -> int:
    doc = await ctx.db.member_counts.find_one({"_id": node}, {"members": 1})
    return int((doc or {}).get("members") or 0)


async def recount(ctx: Context) -> dict[ObjectId, int]:
    """Members per node, counted from the users (the book of record): reads every member."""
    found: Counter[ObjectId] = Counter()
    cursor = ctx.db.users.find({"role": "member", "deleted_at": None}, {"org_path": 1})
    async for user in cursor:
        for node in user.get("org_path") or []:
            found[node] += 1
    return dict(found)


async def count_drift(ctx: Context) -> list[dict[str, Any]]:
    """Nodes whose member counter differs from a recount of their members."""
    found = await recount(ctx)
    cached = {
        doc["_id"]: int(doc.get("members") or 0)
        async for doc in ctx.db.member_counts.find({}, {"members": 1})
    }
    problems = []
    for node in sorted(set(found) | set(cached), key=str):
        if found.get(node, 0) != cached.get(node, 0):
            problems.append(
                {"node": node, "cached": cached.get(node, 0), "found": found.get(node, 0)}
            )
    return problems


async def repair_counts(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Each drifted node set to its recount (recounted again here: members may have
    changed since the check)."""
    found = await recount(ctx)
    for problem in problems:
        node = problem["node"]
        await ctx.db.member_counts.update_one(
            {"_id": node}, {"$set": {"members": found.get(node, 0)}}, upsert=True
        )
    return len(problems)


async def fill_directory(ctx: Context) -> dict[str, int]:
    """Start-up migration: search keys for users without them, a join time for members
    without one (their creation), and the member counters recounted from the users."""
    counts = {"keys": 0, "joined": 0, "nodes": 0}
    cursor = ctx.db.users.find(
        {"search_keys": {"$exists": False}}, {"name": 1, "phone": 1, "role": 1}
    )
    async for user in cursor:
        result = await ctx.db.users.update_one(
            {"_id": user["_id"]},
            {"$set": {"search_keys": search_keys(user.get("name"), user.get("phone"))}},
        )
        counts["keys"] += result.modified_count
    cursor = ctx.db.users.find(
        {"role": "member", "joined_at": {"$exists": False}}, {"created_at": 1}
    )
    async for user in cursor:
        result = await ctx.db.users.update_one(
            {"_id": user["_id"], "joined_at": {"$exists": False}},
            {"$set": {"joined_at": user.get("created_at") or ctx.now()}},
        )
        counts["joined"] += result.modified_count
    counts["nodes"] = await repair_counts(ctx, await count_drift(ctx))
    return counts
