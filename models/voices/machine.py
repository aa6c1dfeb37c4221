"""The voice state machine (民意): one function per transition.

received ─accept/assign→ accepted ─reply→ replied ─close/rate/auto→ closed
   ↑ transfer/escalate (to the parent node) ↑ 不满意 (once) / 回访未解决 reopen ┘

Each transition reads the voice, checks role and scope, then in ONE transaction applies a
conditional update on the state and version it read (timeline event in the same write)
and moves the 民情分析 counters of the voice's month by the difference it makes (rollup).
Two racing actors: exactly one wins, the other gets a 409.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.media import guard, safety
from models.people import orgs
from models.people.users import STAFF_ROLES, SYSTEM, Actor
from models.voices import notices, qr, rollup, words
from models.voices.states import (
    ACCEPTED,
    CLOSED,
    RECEIVED,
    REPLIED,
    STATUS_NAMES,
    UNSATISFIED,
)
from models.voices.visibility import (
    get_visible,
    is_handler,
    is_submitter,
    manages_charge,
)
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed


def _event(actor: Actor, at: Any, action: str, frm: str | None, to: str, note: str = "") -> dict:
    return {
        "at": at,
        "action": action,
        "from": frm,
        "to": to,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "actor_role": actor.role,
        "note": note,
    }


async def apply(
    ctx: Context,
    voice: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    extra_update: dict[str, Any] | None = None,
    note: str = "",
    event_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move `voice` to `to` (conditional on state + version) and its counters, atomically."""
    frm = voice["status"]
    event = {**_event(actor, ctx.now(), action, frm, to, note), **(event_extra or {})}
    fields = {"status": to, "updated_at": event["at"], **(set_fields or {})}
    update: dict[str, Any] = {"$set": fields, "$push": {"timeline": event}, "$inc": {"version": 1}}
    for op, value in (extra_update or {}).items():
        update.setdefault(op, {}).update(value)
    merged = {**voice, **fields, "version": voice.get("version", 0) + 1}
    for name, inc in (extra_update or {}).get("$inc", {}).items():
        merged[name] = merged.get(name, 0) + inc
    for name, item in (extra_update or {}).get("$push", {}).items():
        merged[name] = [*merged.get(name, []), item]
    merged["timeline"] = [*voice.get("timeline", []), event]
    counters = rollup.delta(voice, merged)
    attempt = ObjectId()
    event["attempt"] = attempt

    async def work(session: AsyncClientSession) -> None:
        result = await ctx.db.voices.update_one(
            {"_id": voice["_id"], "status": frm, "version": voice.get("version", 0)},
            update,
            session=session,
        )
        if result.modified_count != 1:
            raise Conflict("该民意状态已变化，请刷新后重试", code="voice_state_changed")
        ctx.failpoint("voices.before_rollup")
        await rollup.apply(ctx, session, voice["org_path"], voice["month"], counters)

    try:
        if counters:
            await uow.in_transaction(ctx, work)
        else:  # nothing counted changes (assign, reply again…): one conditional update
            result = await ctx.db.voices.update_one(
                {"_id": voice["_id"], "status": frm, "version": voice.get("version", 0)}, update
            )
            if result.modified_count != 1:
                raise Conflict("该民意状态已变化，请刷新后重试", code="voice_state_changed")
    except Conflict:
        landed = await ctx.db.voices.find_one({"_id": voice["_id"]})
        if not (landed and landed["timeline"] and landed["timeline"][-1].get("attempt") == attempt):
            raise
    await notices.after(ctx, merged, actor)
    return merged


def need(voice: dict[str, Any], *statuses: str) -> None:
    if voice["status"] not in statuses:
        raise Conflict(
            f"该民意当前状态为「{STATUS_NAMES[voice['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def submit_voice(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """提交民意, to a node chosen in the app or named by a 民意一码通 scene."""
    via = "app"
    org_id = data.get("org_id")
    if data.get("scene"):
        org_id = qr.org_from_scene(ctx, data["scene"])
        via = "qr"
    org = await orgs.get_org(ctx, org_id)  # type: ignore[arg-type]
    about = await _complaint_subject(ctx, actor, data.get("order_id"))
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(ctx, actor, {"text": data["text"]}, {"photos": photos})
    now = ctx.now()
    # off the event loop: the first call loads jieba's dictionary (seconds)
    tokens = await asyncio.get_running_loop().run_in_executor(None, words.tokens, data["text"])
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "status": RECEIVED,
        "version": 0,
        "notified_version": -1,  # the outbox: nobody told yet
        "kind": data["kind"],
        "category": data["category"],
        "text": data["text"],
        "photos": photos,
        "moderation": verdict.held,
        "location": data.get("location"),
        "anonymous": bool(data.get("anonymous")),
        "submitter_id": actor.id,
        "submitter_name": actor.name,
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": list(org["path"]),
        "charge_id": org["_id"],
        "charge_path": list(org["path"]),
        "via": via,
        "handler_id": None,
        "handler_name": None,
        "due_at": None,
        "replies": [],
        "rating": None,
        "rating_comment": None,
        "reopen_count": 0,
        "followup_reopens": 0,
        **about,
        "upheld": None,
        "escalations": 0,
        "close_count": 0,
        "tokens": tokens,
        "month": rollup.month_of(now),
        "first_reply_at": None,
        "first_closed_at": None,
        "closed_at": None,
        "timeline": [_event(actor, now, "submit", None, RECEIVED)],
        "created_at": now,
        "updated_at": now,
    }

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.voices.insert_one(doc, session=session)
        await rollup.apply(
            ctx, session, doc["org_path"], doc["month"], dict(rollup.contrib(doc)), tokens
        )

    await uow.in_transaction(ctx, work)
    await guard.settle(
        ctx,
        actor,
        verdict,
        owner_type="voice",
        owner_id=doc["_id"],
        org_path=doc["org_path"],
        photos={"photos": photos},
    )
    await notices.after(ctx, doc, actor)
    return doc


async def _complaint_subject(
    ctx: Context, actor: Actor, order_id: ObjectId | None
) -> dict[str, Any]:
    """投诉 about a service: only the submitter's own served order names the member it is
    about (what 党员之星 checks for upheld complaints); anyone else's order is not found."""
    if order_id is None:
        return {}
    order = await ctx.db.orders.find_one(
        {"_id": order_id}, {"resident_id": 1, "assignee_id": 1, "assignee_name": 1}
    )
    if order is None or order.get("resident_id") != actor.id:
        raise NotFound("找不到该工单", code="order_not_found")
    if not order.get("assignee_id"):
        raise ValidationFailed(
            "该工单还没有队员接单，无法投诉服务", fields={"order_id": "该工单还没有队员接单"}
        )
    return {
        "about_order_id": order["_id"],
        "about_member_id": order["assignee_id"],
        "about_member_name": order.get("assignee_name"),
    }


def _staff_in_charge(voice: dict[str, Any], actor: Actor) -> None:
    if not manages_charge(voice, actor):
        raise Forbidden("只有负责受理的组织管理员可以执行此操作")


async def _handler(ctx: Context, voice: dict[str, Any], handler_id: ObjectId) -> dict[str, Any]:
    """A handler is a secretary or member of the node in charge (or below it)."""
    user = await ctx.db.users.find_one({"_id": handler_id, "deleted_at": None})
    if (
        user is None
        or user.get("role") not in ("member", *STAFF_ROLES)
        or voice["charge_id"] not in user.get("org_path", [])
    ):
        raise ValidationFailed(fields={"handler_id": "办理人不存在或不在负责组织范围内"})
    return user


def _due(ctx: Context) -> Any:
    return ctx.now() + timedelta(hours=float(ctx.config.voices.reply_due_hours))


async def accept_voice(ctx: Context, actor: Actor, voice_id: ObjectId) -> dict[str, Any]:
    """受理: the secretary takes the voice in hand themselves."""
    voice = await get_visible(ctx, actor, voice_id)
    _staff_in_charge(voice, actor)
    need(voice, RECEIVED)
    return await apply(
        ctx,
        voice,
        actor,
        "accept",
        ACCEPTED,
        set_fields={
            "handler_id": actor.id,
            "handler_name": actor.name,
            "accepted_at": ctx.now(),
            "due_at": _due(ctx),
        },
    )


async def assign_voice(
    ctx: Context, actor: Actor, voice_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """指派: to a secretary or member with the duty; also re-assigns an accepted voice."""
    voice = await get_visible(ctx, actor, voice_id)
    _staff_in_charge(voice, actor)
    need(voice, RECEIVED, ACCEPTED)
    user = await _handler(ctx, voice, data["handler_id"])
    if voice["status"] == ACCEPTED and voice.get("handler_id") == user["_id"]:
        raise Conflict("已是该办理人", code="same_handler")
    fields = {
        "handler_id": user["_id"],
        "handler_name": user.get("name") or "",
        "due_at": _due(ctx),
    }
    if voice["status"] == RECEIVED:
        fields["accepted_at"] = ctx.now()
    note = f"指派给 {user.get('name') or ''}" + (f"；{data['note']}" if data.get("note") else "")
    return await apply(ctx, voice, actor, "assign", ACCEPTED, set_fields=fields, note=note)


async def reply_voice(
    ctx: Context, actor: Actor, voice_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    voice = await get_visible(ctx, actor, voice_id)
    if not (is_handler(voice, actor) or manages_charge(voice, actor)):
        raise Forbidden("只有办理人或负责组织的管理员可以答复")
    need(voice, ACCEPTED)
    verdict = await guard.screen(ctx, actor, {"reply": data["text"]}, scene=safety.SCENE_COMMENT)
    verdict = reply_verdict(verdict, len(voice.get("replies") or []))
    now = ctx.now()
    reply = {
        "at": now,
        "by_id": actor.id,
        "by_name": actor.name,
        "text": data["text"],
        "public": bool(data.get("public")),
    }
    fields: dict[str, Any] = {"reply_public": bool(data.get("public"))}
    fields.update(guard.held_fields(verdict))
    if voice.get("first_reply_at") is None:
        fields["first_reply_at"] = now
    done = await apply(
        ctx,
        voice,
        actor,
        "reply",
        REPLIED,
        set_fields=fields,
        extra_update={"$push": {"replies": reply}},
        note=data["text"],
    )
    await guard.settle(
        ctx, actor, verdict, owner_type="voice", owner_id=voice["_id"], org_path=voice["org_path"]
    )
    return done


def reply_verdict(verdict: safety.Verdict, index: int) -> safety.Verdict:
    """The i-th reply is checked as `reply`, flagged and held as `reply_<i>`."""
    name = f"reply_{index}"

    def rename(values: dict[str, Any]) -> dict[str, Any]:
        return {name if key == "reply" else key: v for key, v in values.items()}

    return replace(
        verdict,
        fields=rename(verdict.fields),
        labels=rename(verdict.labels),
        trace_ids=rename(verdict.trace_ids),
        texts=rename(verdict.texts),
    )


async def _move_up(
    ctx: Context, voice: dict[str, Any], actor: Actor, action: str, note: str
) -> dict[str, Any]:
    path = list(voice["charge_path"])
    if len(path) < 2:
        raise Conflict("已是最高一级组织，无法继续上报", code="no_parent")
    parent = path[-2]
    name = await orgs.org_name(ctx, parent)
    return await apply(
        ctx,
        voice,
        actor,
        action,
        RECEIVED,
        set_fields={
            "charge_id": parent,
            "charge_path": path[:-1],
            "handler_id": None,
            "handler_name": None,
            "due_at": None,
        },
        extra_update={"$inc": {"escalations": 1}},
        note=f"{note}，转{name}办理" if note else f"转{name}办理",
        event_extra={"charge_id": parent},
    )


async def transfer_voice(ctx: Context, actor: Actor, voice_id: ObjectId, reason: str) -> dict:
    """上报: outside this node's power, the parent node takes it over."""
    voice = await get_visible(ctx, actor, voice_id)
    _staff_in_charge(voice, actor)
    need(voice, RECEIVED, ACCEPTED)
    return await _move_up(ctx, voice, actor, "transfer", reason)


async def escalate_voice(ctx: Context, voice: dict[str, Any], note: str) -> dict[str, Any]:
    need(voice, RECEIVED)
    return await _move_up(ctx, voice, SYSTEM, "escalate", note)


def _close_fields(ctx: Context, voice: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    fields: dict[str, Any] = {"closed_at": now, "close_count": voice.get("close_count", 0) + 1}
    if voice.get("first_closed_at") is None:
        fields["first_closed_at"] = now
    return fields


RULING = {True: "属实", False: "不属实"}


async def close_voice(
    ctx: Context, actor: Actor, voice_id: ObjectId, reason: str, *, upheld: bool | None = None
) -> dict:
    """办结 after a reply: by the staff in charge, the handler, or the submitter. Only the
    staff in charge rule on whether a complaint about a member's service is upheld (属实)."""
    voice = await get_visible(ctx, actor, voice_id)
    if not (manages_charge(voice, actor) or is_submitter(voice, actor) or is_handler(voice, actor)):
        raise Forbidden("只有提交人、办理人或负责组织的管理员可以办结")
    if upheld is not None and not manages_charge(voice, actor):
        raise Forbidden("只有负责组织的管理员可以认定投诉是否属实")
    if upheld is not None and not voice.get("about_member_id"):
        raise ValidationFailed(
            "只有关联了服务工单的投诉需要认定是否属实", fields={"upheld": "该民意不是对服务的投诉"}
        )
    need(voice, REPLIED)
    verdict = await guard.screen(ctx, actor, {"reason": reason}, scene=safety.SCENE_COMMENT)
    done = await apply(
        ctx,
        voice,
        actor,
        "close",
        CLOSED,
        set_fields={**_close_fields(ctx, voice), **guard.held_fields(verdict), "upheld": upheld},
        note=reason if upheld is None else f"{reason}（投诉{RULING[upheld]}）",
    )
    await guard.settle(
        ctx, actor, verdict, owner_type="voice", owner_id=voice["_id"], org_path=voice["org_path"]
    )
    return done


async def auto_close(ctx: Context, voice: dict[str, Any], days: float) -> dict[str, Any]:
    need(voice, REPLIED)
    return await apply(
        ctx,
        voice,
        SYSTEM,
        "auto_close",
        CLOSED,
        set_fields=_close_fields(ctx, voice),
        note=f"答复后 {days:g} 天未评价，自动办结",
    )


async def rate_voice(
    ctx: Context, actor: Actor, voice_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """群众评价. 不满意 the first time sends it back to the handler for a second reply."""
    voice = await get_visible(ctx, actor, voice_id)
    if not is_submitter(voice, actor):
        raise Forbidden("只有提交人可以评价")
    need(voice, REPLIED, CLOSED)
    if voice.get("rating") is not None and voice["status"] == CLOSED:
        raise Conflict("已经评价过了", code="already_rated")
    rating, comment = data["rating"], data.get("comment") or ""
    verdict = await guard.screen(
        ctx, actor, {"rating_comment": comment}, scene=safety.SCENE_COMMENT
    )
    note = rating + (f"：{comment}" if comment else "")
    fields: dict[str, Any] = {"rating": rating, "rating_comment": comment, "rated_at": ctx.now()}
    fields.update(guard.held_fields(verdict))
    if rating == UNSATISFIED and voice.get("reopen_count", 0) == 0 and voice.get("handler_id"):
        fields["due_at"] = _due(ctx)
        done = await apply(
            ctx,
            voice,
            actor,
            "reopen",
            ACCEPTED,
            set_fields=fields,
            extra_update={"$inc": {"reopen_count": 1}},
            note=note,
        )
    else:
        if voice["status"] == REPLIED:
            fields.update(_close_fields(ctx, voice))
        done = await apply(ctx, voice, actor, "rate", CLOSED, set_fields=fields, note=note)
    await guard.settle(
        ctx, actor, verdict, owner_type="voice", owner_id=voice["_id"], org_path=voice["org_path"]
    )
    return done


async def reopen_after_followup(ctx: Context, voice: dict[str, Any], note: str) -> dict:
    """回访未解决: a closed voice goes back to its handler (or to the node), history kept."""
    need(voice, CLOSED)
    fields: dict[str, Any] = {"rating": None, "rating_comment": None, "closed_at": None}
    to = ACCEPTED if voice.get("handler_id") else RECEIVED
    if to == ACCEPTED:
        fields["due_at"] = _due(ctx)
    resident = await ctx.db.users.find_one({"_id": voice["submitter_id"]})
    actor = Actor.from_user(resident) if resident else SYSTEM
    return await apply(
        ctx,
        voice,
        actor,
        "followup_reopen",
        to,
        set_fields=fields,
        extra_update={"$inc": {"followup_reopens": 1}},
        note=note,
    )
