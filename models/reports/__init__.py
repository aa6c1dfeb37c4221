"""双报到: members of work-unit branches report to the community where they live.

A branch node whose `branch_kind` is "unit" (机关/企事业单位 支部) has members who report to a
community: they choose service posts (楼栋长, 环境整治 …, a list per community kept by its
secretary), the community secretary confirms or declines; a confirmed member is in the
community's volunteer pool (`pool_orgs` / `pool_path` on the user: the task hall, the
recommendation and the community's figures count it) while staying in their own branch.

pending ─confirm→ confirmed ─end→ ended
   ├─decline→ declined
   └─end (withdrawn)→ ended
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import paging, uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed

PENDING = "pending"
CONFIRMED = "confirmed"
DECLINED = "declined"
ENDED = "ended"
STATUSES = (PENDING, CONFIRMED, DECLINED, ENDED)
STATUS_NAMES = {PENDING: "待确认", CONFIRMED: "已报到", DECLINED: "未通过", ENDED: "已结束"}


def is_unit_branch(org: dict[str, Any] | None) -> bool:
    return org is not None and org.get("type") == "branch" and org.get("branch_kind") == "unit"


# ------------------------------------------------------------------ service posts


async def _community(ctx: Context, org_id: ObjectId) -> dict[str, Any]:
    org = await orgs.get_org(ctx, org_id)
    if org["type"] != "community":
        raise NotFound("找不到该社区", code="community_not_found")
    return org


async def list_posts(ctx: Context, community_id: ObjectId, *, all_posts: bool = False) -> list:
    await _community(ctx, community_id)
    query: dict[str, Any] = {"org_id": community_id}
    cursor = ctx.db.service_posts.find(query).sort([("name", 1)])
    posts = await cursor.to_list(200)
    return posts if all_posts else [p for p in posts if p.get("active", True)]


async def save_post(
    ctx: Context, actor: Actor, community_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """Create a post, or update the one of the same name (description, active)."""
    community = await _community(ctx, community_id)
    if not actor.manages(community["path"]):
        raise NotFound("找不到该社区", code="community_not_found")
    now = ctx.now()
    fields = {
        "description": data.get("description") or "",
        "active": data.get("active", True),
        "updated_at": now,
    }
    await ctx.db.service_posts.update_one(
        {"org_id": community_id, "name": data["name"]},
        {"$set": fields, "$setOnInsert": {"_id": ObjectId(), "created_at": now}},
        upsert=True,
    )
    post = await ctx.db.service_posts.find_one({"org_id": community_id, "name": data["name"]})
    assert post is not None
    # the community's post list changed: its version moves (clients refresh their copy)
    await ctx.db.orgs.update_one({"_id": community_id}, {"$inc": {"posts_version": 1}})
    return post


def post_json(post: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(post["_id"]),
        "org_id": str(post["org_id"]),
        "name": post["name"],
        "description": post.get("description") or "",
        "active": post.get("active", True),
    }


# ------------------------------------------------------------------ the reports


def _event(ctx: Context, actor: Actor, action: str, to: str, note: str = "") -> dict[str, Any]:
    return {"at": ctx.now(), "action": action, "to": to, "actor_name": actor.name, "note": note}


async def create_report(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    if not actor.is_member:
        raise Forbidden("只有党员队员可以双报到")
    branch = await orgs.get_org(ctx, actor.org_id) if actor.org_id else None
    if not is_unit_branch(branch):
        raise Conflict(
            "双报到适用于机关、企事业单位党支部的党员；社区党支部的党员已在社区服务",
            code="not_unit_member",
        )
    community = await _community(ctx, data["community_id"])
    post_ids = list(dict.fromkeys(data["post_ids"]))
    posts = await ctx.db.service_posts.find(
        {"_id": {"$in": post_ids}, "org_id": community["_id"]}
    ).to_list(None)
    if len(posts) != len(post_ids) or not all(p.get("active", True) for p in posts):
        raise ValidationFailed(fields={"post_ids": "岗位不存在或不属于该社区"})
    now = ctx.now()
    doc = {
        "_id": ObjectId(),
        "member_id": actor.id,
        "member_name": actor.name,
        "open_member": actor.id,  # unique while pending or confirmed: one report at a time
        "unit_org_id": actor.org_id,
        "unit_name": branch["name"] if branch else "",
        "unit_path": list(actor.org_path),
        "community_id": community["_id"],
        "community_name": community["name"],
        "community_path": list(community["path"]),
        "scope_paths": list(dict.fromkeys([*actor.org_path, *community["path"]])),
        "post_ids": [p["_id"] for p in posts],
        "post_names": [p["name"] for p in posts],
        "note": data.get("note") or "",
        "status": PENDING,
        "version": 0,
        "timeline": [_event(ctx, actor, "report", PENDING, data.get("note") or "")],
        "created_at": now,
        "updated_at": now,
    }
    try:
        await ctx.db.community_reports.insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("您已有进行中的双报到，请先结束原报到", code="report_open") from None
    return doc


def can_view(report: dict[str, Any], actor: Actor) -> bool:
    return report["member_id"] == actor.id or any(
        actor.manages(report[p]) for p in ("community_path", "unit_path")
    )


async def get_visible(ctx: Context, actor: Actor, report_id: ObjectId) -> dict[str, Any]:
    report = await ctx.db.community_reports.find_one({"_id": report_id})
    if report is None or not can_view(report, actor):
        raise NotFound("找不到该报到记录", code="report_not_found")
    return report


async def _apply(
    ctx: Context,
    report: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    note: str = "",
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    if session is None and actor.is_staff:
        return await uow.in_transaction(
            ctx,
            lambda s: _apply(
                ctx, report, actor, action, to, set_fields=set_fields, note=note, session=s
            ),
        )
    event = _event(ctx, actor, action, to, note)
    fields = {"status": to, "updated_at": event["at"], **(set_fields or {})}
    if to in (DECLINED, ENDED):
        fields["open_member"] = None
    result = await ctx.db.community_reports.update_one(
        {"_id": report["_id"], "status": report["status"], "version": report["version"]},
        {"$set": fields, "$push": {"timeline": event}, "$inc": {"version": 1}},
        session=session,
    )
    if result.modified_count != 1:
        raise Conflict("报到状态已变化，请刷新后重试", code="report_state_changed")
    if actor.is_staff:
        await audit.record(
            ctx,
            actor,
            f"report.{action}",
            org_path=report["community_path"],
            target_type="community_report",
            target_id=report["_id"],
            target_label=f"{report['member_name']} → {report['community_name']}",
            reason=note,
            before={"status": report["status"]},
            after={"status": to},
            session=session,
        )
    return {
        **report,
        **fields,
        "version": report["version"] + 1,
        "timeline": [*report["timeline"], event],
    }


def _need(report: dict[str, Any], *states: str) -> None:
    if report["status"] not in states:
        raise Conflict(
            f"报到当前状态为「{STATUS_NAMES[report['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def confirm(ctx: Context, actor: Actor, report_id: ObjectId) -> dict[str, Any]:
    """The community secretary confirms: the member joins the community's volunteer pool."""
    report = await get_visible(ctx, actor, report_id)
    if not actor.manages(report["community_path"]):
        raise Forbidden("只有报到社区的管理员可以确认")
    _need(report, PENDING)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await _apply(
            ctx,
            report,
            actor,
            "confirm",
            CONFIRMED,
            set_fields={"confirmed_at": ctx.now()},
            session=session,
        )
        await ctx.db.users.update_one(
            {"_id": report["member_id"]},
            {
                "$set": {
                    "pool_orgs": [report["community_id"]],
                    "pool_path": report["community_path"],
                    "updated_at": ctx.now(),
                }
            },
            session=session,
        )
        return done

    return await uow.in_transaction(ctx, work)


async def decline(ctx: Context, actor: Actor, report_id: ObjectId, reason: str) -> dict[str, Any]:
    report = await get_visible(ctx, actor, report_id)
    if not actor.manages(report["community_path"]):
        raise Forbidden("只有报到社区的管理员可以退回")
    _need(report, PENDING)
    return await _apply(ctx, report, actor, "decline", DECLINED, note=reason)


async def end(ctx: Context, actor: Actor, report_id: ObjectId, reason: str) -> dict[str, Any]:
    """The member (moving house) or the community secretary ends it: out of the pool."""
    report = await get_visible(ctx, actor, report_id)
    if not (report["member_id"] == actor.id or actor.manages(report["community_path"])):
        raise Forbidden("只有本人或报到社区的管理员可以结束报到")
    _need(report, PENDING, CONFIRMED)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await _apply(
            ctx,
            report,
            actor,
            "end",
            ENDED,
            set_fields={"ended_at": ctx.now()},
            note=reason,
            session=session,
        )
        await ctx.db.users.update_one(
            {"_id": report["member_id"]},
            {"$set": {"pool_orgs": [], "pool_path": [], "updated_at": ctx.now()}},
            session=session,
        )
        return done

    return await uow.in_transaction(ctx, work)


async def list_reports(
    ctx: Context,
    actor: Actor,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
    org_id: ObjectId | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Staff: the reports to a community in their subtree or from a unit branch in it."""
    if actor.is_staff:
        query: dict[str, Any] = {"scope_paths": org_id or actor.org_id}
    else:
        query = {"member_id": actor.id}
    if status:
        query["status"] = status
    return await paging.newest_of_owner(
        ctx.db.community_reports, query, cursor=paging.decode(cursor), limit=limit
    )


def report_json(report: dict[str, Any], actor: Actor) -> dict[str, Any]:
    actions = []
    status = report["status"]
    community_staff = actor.manages(report["community_path"])
    if status == PENDING and community_staff:
        actions += ["confirm", "decline"]
    if status in (PENDING, CONFIRMED) and (report["member_id"] == actor.id or community_staff):
        actions.append("end")
    return {
        "id": str(report["_id"]),
        "member_id": str(report["member_id"]),
        "member_name": report["member_name"],
        "unit_org_id": str(report["unit_org_id"]),
        "unit_name": report.get("unit_name"),
        "community_id": str(report["community_id"]),
        "community_name": report["community_name"],
        "post_names": report["post_names"],
        "note": report.get("note") or "",
        "status": status,
        "status_name": STATUS_NAMES[status],
        "created_at": report["created_at"],
        "confirmed_at": report.get("confirmed_at"),
        "ended_at": report.get("ended_at"),
        "actions": actions,
    }


# ------------------------------------------------------------------ figures and feedback


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed(fields={"quarter": "季度应为 1 到 4"})
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=BEIJING)
    end = (
        datetime(year + 1, 1, 1, tzinfo=BEIJING)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=BEIJING)
    )
    return start, end


def current_quarter(ctx: Context) -> tuple[int, int]:
    today: date = ctx.now().astimezone(BEIJING).date()
    return today.year, (today.month - 1) // 3 + 1


async def service_in_community(
    ctx: Context, member_id: ObjectId, community_id: ObjectId, start: datetime, end: datetime
) -> dict[str, Any]:
    """What a member did in a community in [start, end): orders closed there, hours, rating."""
    served = []
    cursor = ctx.db.orders.find(
        {"assignee_id": member_id, "closed_at": {"$gte": start, "$lt": end}},
        {"org_path": 1, "status": 1, "hours": 1, "rating": 1},
    )
    async for order in cursor:
        if order.get("status") == "closed" and community_id in order.get("org_path", []):
            served.append(order)
    rated = [o["rating"] for o in served if o.get("rating")]
    return {
        "orders": len(served),
        "hours": round(sum(o.get("hours") or 0 for o in served), 2),
        "rating_avg": round(sum(rated) / len(rated), 2) if rated else None,
        "activities": 0,
    }


async def feedback(ctx: Context, org_id: ObjectId, year: int, quarter: int) -> list[dict[str, Any]]:
    """报到反馈: per reported member and quarter, the service done in the community.

    `org_id` is a node the caller manages (checked by the caller): the unit branch sees its
    members, the community sees those reported to it.
    """
    start, end = quarter_bounds(year, quarter)
    rows = []
    cursor = ctx.db.community_reports.find(
        {"scope_paths": org_id, "status": {"$in": [CONFIRMED, ENDED]}}
    ).sort([("created_at", 1)])
    async for rep in cursor:
        confirmed = rep.get("confirmed_at")
        ended = rep.get("ended_at")
        if confirmed is None or confirmed >= end or (ended is not None and ended < start):
            continue
        done = await service_in_community(ctx, rep["member_id"], rep["community_id"], start, end)
        rows.append(
            {
                "report_id": str(rep["_id"]),
                "member_id": str(rep["member_id"]),
                "member_name": rep["member_name"],
                "unit_name": rep.get("unit_name"),
                "community_name": rep["community_name"],
                "posts": rep["post_names"],
                "status": rep["status"],
                "quarter": f"{year}年第{quarter}季度",
                **done,
            }
        )
    return rows


async def community_figures(ctx: Context, community_id: ObjectId) -> dict[str, Any]:
    """The community's volunteer pool in its figures: reported members and what they did."""
    pool = await ctx.db.users.count_documents(
        {"pool_orgs": community_id, "role": "member", "deleted_at": None}
    )
    pending = await ctx.db.community_reports.count_documents(
        {"community_path": community_id, "status": PENDING}
    )
    year, quarter = current_quarter(ctx)
    rows = await feedback(ctx, community_id, year, quarter)
    here = [r for r in rows if r["community_name"]]
    return {
        "pool_members": pool,
        "pending_reports": pending,
        "quarter_orders": sum(r["orders"] for r in here),
        "quarter_hours": round(sum(r["hours"] for r in here), 2),
    }
