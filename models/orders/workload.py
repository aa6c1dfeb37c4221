"""A member's open orders (在办工单): the counter the accept limit reads, and its check.

`users.open_orders` counts the orders a member holds in `accepted` or `in_service`. The
transitions keep it; this module recounts it from the orders themselves, so drift after a
crash or a manual edit is found by `python -m server check` and fixed by `--repair`.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.orders.states import ACCEPTED, IN_SERVICE

HELD = (ACCEPTED, IN_SERVICE)


async def held_counts(ctx: Context) -> dict[ObjectId, int]:
    """member id → orders they hold now, counted from the orders (indexed on status)."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"status": {"$in": list(HELD)}}},
        {"$group": {"_id": "$assignee_id", "n": {"$sum": 1}}},
    ]
    return {row["_id"]: row["n"] async for row in await ctx.db.orders.aggregate(pipeline)}


async def open_order_drift(ctx: Context) -> list[dict[str, Any]]:
    """Every member whose `open_orders` differs from the orders they hold."""
    held = await held_counts(ctx)
    problems: list[dict[str, Any]] = []
    seen: set[ObjectId] = set()
    query = {"open_orders": {"$gt": 0}}
    async for user in ctx.db.users.find(query, {"name": 1, "open_orders": 1}):
        seen.add(user["_id"])
        if user["open_orders"] != held.get(user["_id"], 0):
            problems.append(_problem(user, held.get(user["_id"], 0)))
    missing = [m for m in held if m not in seen]
    if missing:
        async for user in ctx.db.users.find(
            {"_id": {"$in": missing}}, {"name": 1, "open_orders": 1}
        ):
            if user.get("open_orders", 0) != held[user["_id"]]:
                problems.append(_problem(user, held[user["_id"]]))
    return problems


def _problem(user: dict[str, Any], held: int) -> dict[str, Any]:
    return {
        "member_id": user["_id"],
        "name": user.get("name"),
        "problem": "open_orders differs from the orders held",
        "cached": user.get("open_orders", 0),
        "actual": held,
    }


async def repair_open_orders(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Set each drifted counter to the recount; conditional on the value that was read."""
    fixed = 0
    for p in problems:
        result = await ctx.db.users.update_one(
            {"_id": p["member_id"], "open_orders": p["cached"]},
            {"$set": {"open_orders": p["actual"]}},
        )
        fixed += result.modified_count
    return fixed
