"""Member registration (队员注册): a logged-in user asks to join a branch; its secretary
(or anyone above) approves or rejects. Approval is what makes a user a member.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import paging, uow
from models.core.context import Context
from models.ops import audit
from models.people import membership, orgs
from models.people.users import Actor
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


async def register(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    if actor.is_staff:
        raise Conflict("管理员账号不能注册为队员", code="staff_cannot_register")
    org = await orgs.get_org(ctx, data["org_id"])
    if org["type"] != "branch":
        raise ValidationFailed(fields={"org_id": "请选择一个党支部"})
    if actor.is_member and actor.org_id == org["_id"]:
        raise Conflict("您已是该支部的队员", code="already_member")
    from models.media import safety  # content safety of what the secretary will read

    verdict = await safety.check_text(
        ctx, actor, {"name": data["name"]}, scene=safety.SCENE_PROFILE
    )
    now = ctx.now()
    doc = {
        "_id": ObjectId(),
        "user_id": actor.id,
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": org["path"],
        "name": data["name"],
        "party_status": data["party_status"],
        "skills": data.get("skills", []),
        "phone": data.get("phone"),
        "home_location": data.get("home_location"),
        "status": PENDING,
        "reason": None,
        "created_at": now,
        "decided_at": None,
        "decided_by": None,
    }
    try:
        await ctx.db.member_registrations.insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("您已有一份待审核的申请", code="registration_pending") from None
    await safety.record(
        ctx, verdict, owner_type="registration", owner_id=doc["_id"], org_path=org["path"]
    )
    return doc


async def list_registrations(
    ctx: Context, actor: Actor, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Secretaries see their subtree (pending: oldest first, the review queue; otherwise
    newest first in time windows); anyone else sees their own applications, newest first.
    """
    after = paging.decode(cursor)
    coll = ctx.db.member_registrations
    if not actor.is_staff:
        keep = (lambda reg: reg["status"] == status) if status else None
        return await paging.newest_of_owner(
            coll, {"user_id": actor.id}, cursor=after, limit=limit, keep=keep
        )
    query: dict[str, Any] = {"org_path": actor.org_id}
    if status == "pending":
        query["status"] = status
        return await paging.newest_of_owner(coll, query, cursor=after, limit=limit, direction=1)
    if status:
        query["status"] = status
    return await paging.newest_in_windows(coll, query, now=ctx.now(), cursor=after, limit=limit)


async def _get_managed(ctx: Context, actor: Actor, reg_id: ObjectId) -> dict[str, Any]:
    reg = await ctx.db.member_registrations.find_one({"_id": reg_id})
    if reg is None or not (actor.manages(reg["org_path"]) or reg["user_id"] == actor.id):
        raise NotFound("找不到该申请", code="registration_not_found")
    if not actor.manages(reg["org_path"]):
        raise Forbidden("只有该支部或上级组织的管理员可以审核")
    if reg["status"] != PENDING:
        raise Conflict("该申请已审核", code="registration_decided")
    return reg


async def approve(ctx: Context, actor: Actor, reg_id: ObjectId) -> dict[str, Any]:
    reg = await _get_managed(ctx, actor, reg_id)
    now = ctx.now()
    decided = {"status": APPROVED, "decided_at": now, "decided_by": actor.id}

    async def work(session: AsyncClientSession) -> None:
        done = await ctx.db.member_registrations.update_one(
            {"_id": reg["_id"], "status": PENDING}, {"$set": decided}, session=session
        )
        if done.modified_count != 1:
            raise Conflict("该申请已审核", code="registration_decided")
        member = {
            "role": "member",
            "org_id": reg["org_id"],
            "org_path": reg["org_path"],
            "name": reg["name"],
            "party_status": reg["party_status"],
            "skills": reg["skills"],
            "joined_at": now,
            "updated_at": now,
        }
        if reg.get("phone"):
            member["phone"] = reg["phone"]
        if reg.get("home_location"):
            member["home_location"] = reg["home_location"]
        # the applicant as they are now: a resident joins, a member moves between nodes;
        # the update is conditional on what was read, so the member counters stay exact
        before = await ctx.db.users.find_one(
            {"_id": reg["user_id"], "deleted_at": None},
            {"role": 1, "org_id": 1, "org_path": 1, "phone": 1},
            session=session,
        )
        if before is None or before.get("role") not in ("resident", "member"):
            raise Conflict("申请人账号已不可用", code="applicant_unavailable")
        member["search_keys"] = membership.search_keys(
            reg["name"], member.get("phone") or before.get("phone")
        )
        moved = await ctx.db.users.update_one(
            {
                "_id": reg["user_id"],
                "role": before["role"],
                "org_id": before.get("org_id"),
                "deleted_at": None,
            },
            {"$set": member},
            session=session,
        )
        if moved.matched_count != 1:
            raise Conflict("申请人账号已不可用", code="applicant_unavailable")
        was_member = before["role"] == "member"
        await membership.move(
            ctx,
            session,
            joined=[reg["org_path"]],
            left=[before.get("org_path") or []] if was_member else [],
        )
        await _audit(ctx, actor, reg, "registration.approve", session=session)

    try:
        await uow.in_transaction(ctx, work)
    except DuplicateKeyError:  # users: one member per bound phone (models/ops/indexes.py)
        raise Conflict("申请人的手机号已登记在另一名队员名下", code="phone_taken") from None
    return {**reg, **decided}


async def reject(ctx: Context, actor: Actor, reg_id: ObjectId, reason: str) -> dict[str, Any]:
    reg = await _get_managed(ctx, actor, reg_id)
    decided = {
        "status": REJECTED,
        "reason": reason,
        "decided_at": ctx.now(),
        "decided_by": actor.id,
    }

    async def work(session: AsyncClientSession) -> None:
        done = await ctx.db.member_registrations.update_one(
            {"_id": reg["_id"], "status": PENDING}, {"$set": decided}, session=session
        )
        if done.modified_count != 1:
            raise Conflict("该申请已审核", code="registration_decided")
        await _audit(ctx, actor, reg, "registration.reject", reason=reason, session=session)

    await uow.in_transaction(ctx, work)
    return {**reg, **decided}


async def _audit(
    ctx: Context,
    actor: Actor,
    reg: dict[str, Any],
    action: str,
    *,
    reason: str = "",
    session: AsyncClientSession,
) -> None:
    """A decision on an application is a staff action: audited in its own transaction."""
    approved = action == "registration.approve"
    after: dict[str, Any] = {"status": APPROVED if approved else REJECTED}
    if approved:
        after["party_status"] = reg["party_status"]
    await audit.record(
        ctx,
        actor,
        action,
        org_path=reg["org_path"],
        target_type="registration",
        target_id=reg["_id"],
        target_label=f"{reg['name']}（{reg['org_name']}）",
        reason=reason,
        before={"status": PENDING},
        after=after,
        session=session,
    )


def registration_json(reg: dict[str, Any], actor: Actor) -> dict[str, Any]:
    from server.logging import mask_phone

    return {
        "id": str(reg["_id"]),
        "user_id": str(reg["user_id"]),
        "org_id": str(reg["org_id"]),
        "org_name": reg["org_name"],
        "name": reg["name"],
        "party_status": reg["party_status"],
        "skills": reg["skills"],
        "phone": reg.get("phone") if reg["user_id"] == actor.id else mask_phone(reg.get("phone")),
        "status": reg["status"],
        "reason": reg.get("reason"),
        "created_at": reg["created_at"],
        "decided_at": reg.get("decided_at"),
    }
