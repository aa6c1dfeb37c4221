"""The micro-wish state machine (微心愿): one function per transition.

submitted ─approve→ approved ─claim→ claimed ─fulfil→ fulfilled ─confirm/auto→ confirmed
    └─reject→ rejected          ↖─release/auto_release─┘           (points + hours here)

Each reads the wish, checks role and scope, then applies a conditional update on the state
and version it read, pushing the timeline event in the same write: of two racing actors
exactly one wins, the other gets a 409. Every step tells every other party (notices.py).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import statemachine
from models.core.context import Context
from models.core.statemachine import timeline_event
from models.media import guard, safety
from models.people import orgs
from models.people.users import SYSTEM, Actor
from models.points.ledger import tenths as ledger_tenths
from models.wishes import notices
from models.wishes.states import (
    APPROVED,
    CLAIMED,
    FULFILLED,
    REJECTED,
    STATUS_NAMES,
    SUBMITTED,
)
from models.wishes.visibility import get_visible, is_claimant, is_poster, may_claim
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed


async def apply(
    ctx: Context,
    wish: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    extra_update: dict[str, Any] | None = None,
    note: str = "",
    session: AsyncClientSession | None = None,
    event_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move `wish` from the state it was read in to `to`, or 409 if someone got there first."""
    event = timeline_event(actor, ctx.now(), action, wish["status"], to, note)
    return await statemachine.move(
        ctx.db.wishes,
        wish,
        {**event, **(event_extra or {})},
        conflict=Conflict("心愿状态已变化，请刷新后重试", code="wish_state_changed"),
        set_fields=set_fields,
        extra_update=extra_update,
        session=session,
    )


def need(wish: dict[str, Any], *statuses: str) -> None:
    if wish["status"] not in statuses:
        raise Conflict(
            f"心愿当前状态为「{STATUS_NAMES[wish['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def post_wish(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """发布心愿: a resident for themselves, or a secretary for a resident without a phone."""
    org = await orgs.get_org(ctx, data["org_id"])
    if org["type"] not in ("community", "branch"):
        raise ValidationFailed(fields={"org_id": "请选择社区"})
    cap = float(ctx.config.wishes.max_value)
    if data["value"] > cap:
        raise ValidationFailed(fields={"value": f"微心愿的估计价值不能超过 {cap:g} 元"})
    on_behalf = actor.is_staff
    if on_behalf:
        if not actor.manages(org["path"]):
            raise ValidationFailed(fields={"org_id": "只能为本组织范围内的群众代发心愿"})
        missing = {k: "代群众发布时必填" for k in ("contact_name", "address") if not data.get(k)}
        if missing:
            raise ValidationFailed(fields=missing)
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(
        ctx,
        actor,
        {"title": data["title"], "description": data["description"]},
        {"photos": photos},
    )
    now = ctx.now()
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "status": SUBMITTED,
        "version": 0,
        "notified_version": -1,  # the outbox: nobody told yet
        "poster_id": actor.id,
        "resident_id": None if on_behalf else actor.id,
        "on_behalf": on_behalf,
        "category": data["category"],
        "title": data["title"],
        "description": data["description"],
        "value": float(data["value"]),
        "photos": photos,
        "moderation": verdict.held,
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": list(org["path"]),
        "contact_name": data.get("contact_name") or actor.name,
        "contact_phone": data.get("contact_phone")
        or (None if on_behalf else actor.doc.get("phone")),
        "address": data.get("address") or "",
        "claimant_id": None,
        "claimant_name": None,
        "released_by": [],
        "points": int(ctx.config.wishes.points),
        "hours": ledger_tenths(ctx.config.wishes.hours) / 10,
        "timeline": [timeline_event(actor, now, "submit", None, SUBMITTED)],
        "sla_done": [],
        "created_at": now,
        "updated_at": now,
    }
    await guard.insert_settled(
        ctx, actor, verdict, "wishes", doc, owner_type="wish", photos={"photos": photos}
    )
    await notices.after(ctx, doc, actor)
    return doc


async def _staff_only(ctx: Context, actor: Actor, wish_id: ObjectId) -> dict[str, Any]:
    wish = await get_visible(ctx, actor, wish_id)
    if not actor.manages(wish["org_path"]):
        raise Forbidden("只有本社区的管理员可以审核心愿")
    return wish


async def approve_wish(ctx: Context, actor: Actor, wish_id: ObjectId) -> dict[str, Any]:
    wish = await _staff_only(ctx, actor, wish_id)
    need(wish, SUBMITTED)
    done = await apply(ctx, wish, actor, "approve", APPROVED, set_fields={"approved_at": ctx.now()})
    await notices.after(ctx, done, actor)
    return done


async def reject_wish(ctx: Context, actor: Actor, wish_id: ObjectId, reason: str) -> dict[str, Any]:
    wish = await _staff_only(ctx, actor, wish_id)
    need(wish, SUBMITTED)
    verdict = await guard.screen(ctx, actor, {"reason": reason}, scene=safety.SCENE_COMMENT)
    done = await apply(
        ctx,
        wish,
        actor,
        "reject",
        REJECTED,
        set_fields={"reject_reason": reason, **guard.held_fields(verdict)},
        note=reason,
    )
    await guard.settle(
        ctx, actor, verdict, owner_type="wish", owner_id=wish["_id"], org_path=wish["org_path"]
    )
    await notices.after(ctx, done, actor)
    return done


async def claim_wish(ctx: Context, actor: Actor, wish_id: ObjectId) -> dict[str, Any]:
    """党员认领: exactly one member wins; the poster cannot claim their own wish."""
    if not actor.is_member:
        raise Forbidden("只有党员队员可以认领心愿")
    wish = await get_visible(ctx, actor, wish_id)
    if not may_claim(wish, actor):
        raise NotFound("找不到该心愿", code="wish_not_found")
    if is_poster(wish, actor):
        raise Forbidden("不能认领自己发布的心愿")
    if wish["status"] != APPROVED:
        if wish["status"] in (CLAIMED, FULFILLED):
            raise Conflict("该心愿已被其他党员认领", code="wish_taken")
        need(wish, APPROVED)
    limit = int(ctx.config.wishes.max_claims_per_member)
    open_claims = await ctx.db.wishes.count_documents({"claimant_id": actor.id, "status": CLAIMED})
    if open_claims >= limit:
        raise Conflict(f"您已认领 {limit} 个未实现的心愿，请先完成", code="too_many_claims")
    try:
        done = await apply(
            ctx,
            wish,
            actor,
            "claim",
            CLAIMED,
            set_fields={
                "claimant_id": actor.id,
                "claimant_name": actor.name,
                "claimant_org_path": list(actor.org_path),
                "claimed_at": ctx.now(),
            },
        )
    except Conflict:
        raise Conflict("该心愿已被其他党员认领", code="wish_taken") from None
    await notices.after(ctx, done, actor)
    return done


def _release_fields() -> dict[str, Any]:
    return {
        "claimant_id": None,
        "claimant_name": None,
        "claimant_org_path": None,
        "claimed_at": None,
    }


async def release_wish(
    ctx: Context, actor: Actor, wish_id: ObjectId, reason: str
) -> dict[str, Any]:
    """放弃认领: back on the wall for someone else."""
    wish = await get_visible(ctx, actor, wish_id)
    if not is_claimant(wish, actor):
        raise Forbidden("只有认领人可以放弃认领")
    need(wish, CLAIMED)
    verdict = await guard.screen(ctx, actor, {"reason": reason}, scene=safety.SCENE_COMMENT)
    done = await apply(
        ctx,
        wish,
        actor,
        "release",
        APPROVED,
        set_fields={**_release_fields(), **guard.held_fields(verdict)},
        extra_update={"$addToSet": {"released_by": actor.id}},
        note=reason,
        event_extra={"claimant_id": actor.id},
    )
    await guard.settle(
        ctx, actor, verdict, owner_type="wish", owner_id=wish["_id"], org_path=wish["org_path"]
    )
    await notices.after(ctx, done, actor)
    return done


async def auto_release(ctx: Context, wish: dict[str, Any], days: float) -> dict[str, Any]:
    """SLA: a claim not fulfilled in time goes back on the wall."""
    need(wish, CLAIMED)
    done = await apply(
        ctx,
        wish,
        SYSTEM,
        "auto_release",
        APPROVED,
        set_fields=_release_fields(),
        extra_update={"$addToSet": {"released_by": wish["claimant_id"]}},
        note=f"认领超过 {days:g} 天未实现，已重新上墙",
        event_extra={"claimant_id": wish["claimant_id"]},
    )
    await notices.after(ctx, done, SYSTEM)
    return done


async def fulfil_wish(
    ctx: Context, actor: Actor, wish_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    wish = await get_visible(ctx, actor, wish_id)
    if not is_claimant(wish, actor):
        raise Forbidden("只有认领人可以标记心愿已实现")
    need(wish, CLAIMED)
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(
        ctx, actor, {"fulfil_note": data["note"]}, {"photos": photos}, owner_id=wish["_id"]
    )
    done = await apply(
        ctx,
        wish,
        actor,
        "fulfil",
        FULFILLED,
        set_fields={
            "fulfilled_at": ctx.now(),
            "fulfil_note": data["note"],
            "fulfil_photos": photos,
            **guard.held_fields(verdict),
        },
        note=data["note"],
    )
    await guard.settle(
        ctx,
        actor,
        verdict,
        owner_type="wish",
        owner_id=wish["_id"],
        org_path=wish["org_path"],
        photos={"photos": photos},
    )
    await notices.after(ctx, done, actor)
    return done
