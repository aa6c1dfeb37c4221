"""The voice state machine (民意): one function per handling transition.

received ─accept/assign→ accepted ─reply→ replied ─close/rate/auto→ closed
   ↑ transfer/escalate (to the parent node) ↑ 不满意 (once) / 回访未解决 reopen ┘

Each reads the voice, checks role and scope and the state it may move from (`need`), then
moves it with `transition.apply`: conditional on the state and version read, counters in
the same transaction. Submitting is in `submitting`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import guard, safety
from models.people import orgs
from models.people.users import STAFF_ROLES, SYSTEM, Actor
from models.voices.states import ACCEPTED, CLOSED, RECEIVED, REPLIED, UNSATISFIED
from models.voices.transition import apply, need
from models.voices.visibility import get_visible, is_handler, is_submitter, manages_charge
from server.errors import Conflict, Forbidden, ValidationFailed


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
