"""Members to recommend or tell about an order, read as a bounded sample of a node's members.

Ranking every member under a community reads every one of them (SecantusDB reads every
match of a range before any limit), so at ten times the members it costs ten times. Each
user carries `pick`, a fixed point in [0, 1) made from its id (models/people/users.py),
and `(org_path, role, pick)` is indexed: a sample walks `pick` upward from a start point
in windows, wrapping at 1, each an indexed range `{org_path, role, pick: [lo, hi)}`, the
first sized from the density the last walk under the same node saw (else a sliver) and
each next one from the density seen (×4 while empty), until `want`
members pass `keep` (the tests the index cannot serve: deleted, the placer and their
phone, declined, skills) or the whole circle is read. Under `want` members a node is read
whole (the answer is exact); over it the reads follow `want`, not the node's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.people.users import pick_of

FIRST_SPAN = 1 / 4096
GROWTH = 4


async def sample_members(
    ctx: Context,
    base: dict[str, Any],
    *,
    want: int,
    start: float,
    keep: Callable[[dict[str, Any]], bool],
    projection: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Up to `want` members matching `base` (bare equalities of an index before `pick`)
    and `keep`, walking `pick` from `start`; in walk order."""
    rows: list[dict[str, Any]] = []
    seen: set[ObjectId] = set()
    fields = {**projection, "pick": 1, "deleted_at": 1, "phone": 1} if projection else None
    offset = 0.0  # how far round the circle from `start` the walk has read
    key = repr(sorted(base.items()))
    density = _DENSITY.get(key)  # members per unit of `pick` last seen under this base
    span = min(1.0, want * 1.1 / density) if density else FIRST_SPAN
    examined = 0
    start = start % 1.0
    while offset < 1.0 - 1e-12 and len(rows) < want:
        width = min(span, 1.0 - offset)
        lo = (start + offset) % 1.0
        hi = lo + width
        ranges = [(lo, min(hi, 1.0))] + ([(0.0, hi - 1.0)] if hi > 1.0 else [])
        for a, b in ranges:
            query = {**base, "pick": {"$gte": a, "$lt": b}}
            batch = await ctx.db.users.find(query, fields).to_list(None)
            batch.sort(key=lambda row: ((row.get("pick", 0.0) - start) % 1.0, row["_id"]))
            examined += len(batch)
            for row in batch:
                if row["_id"] not in seen and keep(row):
                    seen.add(row["_id"])
                    rows.append(row)
        offset += width
        span = _next_span(span, len(rows), offset, want - len(rows))
    if examined:
        _remember(key, examined / offset)
    return rows[:want]


# per process: members per unit of `pick` under a base, so the next walk's first window is
# sized to hold what it wants (one read, most times) instead of growing from a sliver
_DENSITY: dict[str, float] = {}
_DENSITY_KEYS = 4096


def _remember(key: str, density: float) -> None:
    if key not in _DENSITY and len(_DENSITY) >= _DENSITY_KEYS:
        _DENSITY.pop(next(iter(_DENSITY)))
    _DENSITY[key] = density


def _next_span(span: float, kept: int, covered: float, missing: int) -> float:
    """Sized to the members still wanted at the density kept so far; ×4 while none."""
    if kept <= 0 or covered <= 0:
        return span * GROWTH
    sized = covered * (max(missing, 1) / kept) * 1.25
    return max(FIRST_SPAN, min(sized, span * GROWTH))


def excluded(order: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """Members an order's candidates never include: deleted ones, whoever placed it or for
    whom (and their bound phones: their other accounts), and those who declined it."""
    ids = {i for i in (order.get("resident_id"), order.get("placer_id")) if i}
    ids.update(order.get("declined_by", []))
    phones = {p for p in (order.get("resident_phone"), order.get("placer_phone")) if p}

    def out(member: dict[str, Any]) -> bool:
        if member.get("deleted_at") is not None or member["_id"] in ids:
            return True
        return bool(phones) and member.get("phone") in phones

    return out


def start_point(order: dict[str, Any]) -> float:
    """Where an order's walk starts: fixed per order (the same answer twice), different
    between orders (not always the same members read first)."""
    return pick_of(order["_id"])


async def pick_drift(ctx: Context) -> list[dict[str, Any]]:
    """Members whose `pick` is missing or not the one their id makes (a sample would skip
    them, or read them out of place). Reads every member, light."""
    problems: list[dict[str, Any]] = []
    async for user in ctx.db.users.find({"role": "member"}, {"pick": 1}):
        if user.get("pick") != pick_of(user["_id"]):
            problems.append(
                {
                    "user_id": user["_id"],
                    "problem": "pick differs from the one its id makes",
                    "cached": user.get("pick"),
                    "actual": pick_of(user["_id"]),
                }
            )
    return problems


async def repair_picks(ctx: Context, problems: list[dict[str, Any]]) -> int:
    fixed = 0
    for p in problems:
        result = await ctx.db.users.update_one(
            {"_id": p["user_id"]}, {"$set": {"pick": p["actual"]}}
        )
        fixed += result.modified_count
    return fixed
