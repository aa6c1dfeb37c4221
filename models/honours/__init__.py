"""服务标兵 and 党员之星: monthly proposals per branch, confirmed by the secretary, published.

The monthly job proposes, per branch and title, the members with the most hours (服务标兵)
or points (党员之星, members who are party members) earned under that branch last month,
above a floor of hours and a rating floor. The secretary confirms the list as proposed or
edited; only confirmed lists are published and shown on each member's record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from models.points import ledger
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed

PROPOSED = "proposed"
CONFIRMED = "confirmed"
TITLES = {"service": "服务标兵", "star": "党员之星"}
PARTY_MEMBERS = ("预备党员", "正式党员")


def last_month(now: datetime) -> tuple[str, datetime, datetime]:
    local = now.astimezone(BEIJING)
    end = datetime(local.year, local.month, 1, tzinfo=BEIJING)
    prev = end.replace(day=1)
    start = (
        prev.replace(year=prev.year - 1, month=12)
        if prev.month == 1
        else prev.replace(month=prev.month - 1)
    )
    return start.strftime("%Y-%m"), start, end


async def _earned(
    ctx: Context, org_id: ObjectId, kind: str, start: datetime, end: datetime
) -> dict[ObjectId, float]:
    pipeline: list[dict[str, Any]] = [
        {
            "$match": {
                "org_path": org_id,
                "kind": kind,
                "created_at": {"$gte": start, "$lt": end},
            }
        },
        {"$group": {"_id": "$member_id", "total": {"$sum": "$delta"}}},
    ]
    rows = await (await ctx.db.ledger_entries.aggregate(pipeline)).to_list(None)
    return {r["_id"]: ledger.shown(kind, r["total"]) for r in rows if r["total"] > 0}


async def propose_month(ctx: Context) -> dict[str, int]:
    """Job: last month's candidates for every branch, once per branch, month and title."""
    month, start, end = last_month(ctx.now())
    per_node = int(ctx.config.honours.candidates_per_node)
    min_hours = float(ctx.config.honours.min_hours)
    floor = float(ctx.config.honours.rating_floor)
    proposed = 0
    for org in (await orgs.all_orgs(ctx)).values():
        if org["type"] != "branch":
            continue
        keys = {t: f"{org['_id']}:{month}:{t}" for t in TITLES}
        if await ctx.db.honours.count_documents({"key": {"$in": list(keys.values())}}) == 2:
            continue
        hours = await _earned(ctx, org["_id"], "hours", start, end)
        points = await _earned(ctx, org["_id"], "points", start, end)
        users = {
            u["_id"]: u
            async for u in ctx.db.users.find(
                {"_id": {"$in": list(hours)}},
                {"name": 1, "party_status": 1, "rating_sum": 1, "rating_count": 1},
            )
        }

        upheld = await _upheld_complaints(ctx, list(hours), start, end)
        pool = [
            m
            for m in hours
            if m not in upheld and _eligible(users.get(m), hours[m], min_hours, floor)
        ]
        ranked = {
            "service": sorted(pool, key=lambda m: (-hours[m], str(m))),
            "star": sorted(
                (m for m in pool if users[m].get("party_status") in PARTY_MEMBERS),
                key=lambda m: (-points.get(m, 0), str(m)),
            ),
        }
        for title, members in ranked.items():
            doc = {
                "_id": ObjectId(),
                "key": keys[title],
                "org_id": org["_id"],
                "org_name": org["name"],
                "org_path": org["path"],
                "month": month,
                "kind": title,
                "title": TITLES[title],
                "status": PROPOSED,
                "candidates": [_line(users[m], hours, points) for m in members[:per_node]],
                "members": [],
                "created_at": ctx.now(),
            }
            try:
                await ctx.db.honours.insert_one(doc)
                proposed += 1
            except DuplicateKeyError:
                pass
    return {"proposed": proposed}


async def _upheld_complaints(
    ctx: Context, members: list[ObjectId], start: datetime, end: datetime
) -> set[ObjectId]:
    """Members with a complaint about their service ruled 属实 and closed in the period."""
    if not members:
        return set()
    rows = ctx.db.voices.find(
        {"about_member_id": {"$in": members}, "closed_at": {"$gte": start, "$lt": end}},
        {"about_member_id": 1, "upheld": 1},
    )
    return {r["about_member_id"] async for r in rows if r.get("upheld") is True}


def _eligible(user: dict[str, Any] | None, hours: float, min_hours: float, floor: float) -> bool:
    """Enough hours in the month and no average rating under the floor."""
    if user is None or hours < min_hours:
        return False
    count = user.get("rating_count") or 0
    return not count or user.get("rating_sum", 0) / count >= floor


def _line(user: dict[str, Any], hours: dict, points: dict) -> dict[str, Any]:
    return {
        "member_id": user["_id"],
        "name": user.get("name") or "",
        "hours": round(hours.get(user["_id"], 0), 2),
        "points": round(points.get(user["_id"], 0)),
    }


async def get_managed(ctx: Context, actor: Actor, honour_id: ObjectId) -> dict[str, Any]:
    honour = await ctx.db.honours.find_one({"_id": honour_id})
    if honour is None or not actor.manages(honour["org_path"]):
        raise NotFound("找不到该荣誉名单", code="honour_not_found")
    return honour


async def confirm(
    ctx: Context, actor: Actor, honour_id: ObjectId, member_ids: list[ObjectId]
) -> dict[str, Any]:
    """The secretary confirms the list, as proposed or edited (members of the branch only)."""
    honour = await get_managed(ctx, actor, honour_id)
    if not actor.is_staff:
        raise Forbidden()
    if honour["status"] != PROPOSED:
        raise Conflict("该名单已确认", code="honour_confirmed")
    member_ids = list(dict.fromkeys(member_ids))
    found = await ctx.db.users.find(
        {"_id": {"$in": member_ids}, "role": "member", "deleted_at": None},
        {"name": 1, "org_path": 1},
    ).to_list(None)
    ok = {u["_id"]: u for u in found if honour["org_id"] in (u.get("org_path") or [])}
    if len(ok) != len(member_ids):
        raise ValidationFailed(fields={"member_ids": "只能选择本支部的队员"})
    known = {c["member_id"]: c for c in honour["candidates"]}
    members = [
        known.get(m) or {"member_id": m, "name": ok[m].get("name") or "", "hours": 0, "points": 0}
        for m in member_ids
    ]
    now = ctx.now()
    done = await ctx.db.honours.update_one(
        {"_id": honour["_id"], "status": PROPOSED},
        {
            "$set": {
                "status": CONFIRMED,
                "members": members,
                "confirmed_at": now,
                "confirmed_by": actor.id,
            }
        },
    )
    if done.modified_count != 1:
        raise Conflict("该名单已确认", code="honour_confirmed")
    await audit.record(
        ctx,
        actor,
        "honours.confirm",
        org_path=honour["org_path"],
        target_type="honour",
        target_id=honour["_id"],
        target_label=f"{honour['month']} {honour['title']}",
        after={"members": [m["name"] for m in members]},
    )
    return {**honour, "status": CONFIRMED, "members": members, "confirmed_at": now}


async def list_for_node(
    ctx: Context, org_id: ObjectId, *, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"org_path": org_id}
    if status:
        query["status"] = status
    cursor = ctx.db.honours.find(query).sort([("month", -1), ("_id", -1)])
    return await cursor.limit(limit).to_list(limit)


async def published(ctx: Context, org_id: ObjectId, limit: int) -> list[dict[str, Any]]:
    await orgs.get_org(ctx, org_id)
    return await list_for_node(ctx, org_id, status=CONFIRMED, limit=limit)


def honour_json(honour: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(honour["_id"]),
        "org_id": str(honour["org_id"]),
        "org_name": honour["org_name"],
        "month": honour["month"],
        "title": honour["title"],
        "members": [
            {"member_id": str(m["member_id"]), "name": m["name"], "hours": m["hours"]}
            for m in honour["members"]
        ],
        "confirmed_at": honour.get("confirmed_at"),
    }
