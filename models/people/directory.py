"""The member directory of the admin pages: search, profile, pending registrations.

Every query is rooted at an organisation node the caller manages (`org_path` equality on
an indexed field), so a secretary never reads outside their subtree.
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.people import orgs
from models.people.users import Actor
from server.errors import NotFound

MEMBER_FIELDS = {
    "name": 1,
    "phone": 1,
    "org_id": 1,
    "org_path": 1,
    "party_status": 1,
    "skills": 1,
    "points_balance": 1,
    "hours_tenths": 1,
    "open_orders": 1,
    "rating_sum": 1,
    "rating_count": 1,
    "joined_at": 1,
    "created_at": 1,
    "source": 1,
    "openid": 1,
}


def member_query(
    node: ObjectId, q: str = "", party_status: str = "", skill: str = ""
) -> dict[str, Any]:
    query: dict[str, Any] = {"org_path": node, "role": "member", "deleted_at": None}
    if party_status:
        query["party_status"] = party_status
    if skill:
        query["skills"] = skill
    if q:
        pattern = re.escape(q.strip())
        if re.fullmatch(r"\d{4,11}", q.strip()):
            query["phone"] = {"$regex": pattern}
        else:
            query["name"] = {"$regex": pattern}
    return query


async def search_members(
    ctx: Context,
    node: ObjectId,
    *,
    q: str = "",
    party_status: str = "",
    skill: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of members (by name) and the total that match."""
    query = member_query(node, q, party_status, skill)
    rows = await ctx.db.users.find(query, MEMBER_FIELDS).to_list(None)
    rows.sort(key=lambda u: (u.get("name") or "", str(u["_id"])))
    return rows[offset : offset + limit], len(rows)


async def all_members(ctx: Context, query: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await ctx.db.users.find(query, MEMBER_FIELDS).to_list(None)
    rows.sort(key=lambda u: (u.get("name") or "", str(u["_id"])))
    return rows


async def get_member(ctx: Context, actor: Actor, member_id: ObjectId) -> dict[str, Any]:
    member = await ctx.db.users.find_one({"_id": member_id, "deleted_at": None})
    if member is None or member.get("role") != "member" or not actor.manages(member["org_path"]):
        raise NotFound("找不到该队员", code="member_not_found")
    return member


async def member_orders(ctx: Context, member_id: ObjectId, limit: int = 30) -> list[dict]:
    cursor = ctx.db.orders.find({"assignee_id": member_id}, {"timeline": 0})
    return await cursor.sort([("created_at", -1)]).limit(limit).to_list(limit)


async def member_entries(ctx: Context, member_id: ObjectId, limit: int = 100) -> list[dict]:
    cursor = ctx.db.ledger_entries.find({"member_id": member_id})
    return await cursor.sort([("created_at", -1), ("_id", -1)]).limit(limit).to_list(limit)


async def pending_registrations(
    ctx: Context, node: ObjectId, limit: int = 100
) -> list[dict[str, Any]]:
    cursor = ctx.db.member_registrations.find({"org_path": node, "status": "pending"})
    return await cursor.sort([("created_at", 1), ("_id", 1)]).limit(limit).to_list(limit)


async def subtree(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """The nodes the actor manages, in tree order, each with its depth below the actor."""
    tree = await orgs.all_orgs(ctx)
    mine = [o for o in tree.values() if actor.org_id in o["path"]]
    base = len(tree[actor.org_id]["path"]) if actor.org_id in tree else 0

    def key(o: dict[str, Any]) -> list[str]:
        return [tree[p]["name"] if p in tree else "" for p in o["path"]]

    mine.sort(key=key)
    return [{**o, "depth": len(o["path"]) - base} for o in mine]


async def skills_in_use(ctx: Context) -> list[str]:
    from models.orders import catalogue

    cats = await catalogue.all_categories(ctx)
    return sorted({s for c in cats.values() for s in c.get("skills", [])})
