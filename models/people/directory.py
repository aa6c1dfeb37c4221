"""The member directory of the admin pages: search, profile, pending registrations.

Every query is rooted at an organisation node the caller manages (`org_path` equality on
an indexed field), so a secretary never reads outside their subtree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core import paging
from models.core.context import Context
from models.people import membership, orgs
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


# members join a few a day even in a large street: a day is a page or less at 20,000
# members, and spares a sparse branch the empty hour-long windows (then sized by density)
FIRST_WINDOW = timedelta(days=1)


@dataclass
class MemberPage:
    """A page of the member list; `next_cursor` opens the page after it (下一页) and
    `before` the page before it (上一页), None at either end."""

    rows: list[dict[str, Any]]
    next_cursor: str | None
    before: str | None


async def member_page(
    ctx: Context,
    node: ObjectId,
    *,
    q: str = "",
    party_status: str = "",
    skill: str = "",
    cursor: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> MemberPage:
    """A page of the node's members, newest-joined first: the first page, the one after
    `cursor` or the one just before `before` (the first row of the page the caller is on).

    Read in indexed `joined_at` windows (models/core/paging.py), so a page costs about a
    page of rows at any size of the subtree. Without a search text the range is the node's
    members `{org_path, role, deleted_at, joined_at}`; with one it is the members holding
    one search key of it `{search_keys, role, deleted_at, joined_at}` (a character pair of
    the name, or the last 4 digits of a phone), the node and the whole text checked here.
    Filters the index does not hold (政治面貌, 技能) are checked here too: the windows grow
    until the page is full, so a rare filter reads more windows, never the whole subtree.
    """
    after, upto = paging.decode(cursor), paging.decode(before)
    wanted = membership.query_key(q)

    def keep(row: dict[str, Any]) -> bool:
        if party_status and row.get("party_status") != party_status:
            return False
        if skill and skill not in (row.get("skills") or []):
            return False
        if wanted is None:
            return True
        _, field, text = wanted
        return node in (row.get("org_path") or []) and membership.matches_text(row, field, text)

    base: dict[str, Any]
    if wanted is None:
        base = {"org_path": node, "role": "member", "deleted_at": None}
    else:
        base = {"search_keys": wanted[0], "role": "member", "deleted_at": None}
    read: dict[str, Any] = {
        "field": "joined_at",
        "limit": limit,
        "projection": MEMBER_FIELDS,
        "keep": keep,
    }
    if upto is not None and after is None:
        # the page before: the `limit` rows just newer than `before`, read oldest first
        older, newer = await paging.oldest_in_windows(
            ctx.db.users, base, now=ctx.now(), cursor=upto, **read
        )
        if newer is not None and older:
            top, bottom = older[-1], older[0]
            return MemberPage(
                older[::-1],
                paging.encode(bottom["joined_at"], bottom["_id"]),
                paging.encode(top["joined_at"], top["_id"]),
            )
        after = None  # reached the newest: that is the first page
    rows, next_cursor = await paging.newest_in_windows(
        ctx.db.users, base, now=ctx.now(), cursor=after, first=FIRST_WINDOW, **read
    )
    head = rows[0] if rows and after is not None else None
    return MemberPage(
        rows, next_cursor, paging.encode(head["joined_at"], head["_id"]) if head else None
    )


async def member_total(ctx: Context, node: ObjectId) -> int:
    """Every member of the node's subtree: its counter (models/people/membership.py)."""
    return await membership.total(ctx, node)


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
