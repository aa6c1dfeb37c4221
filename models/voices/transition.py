"""The write primitive of the voice state machine (民意): one transaction per transition.

`apply` moves a voice from the state and version it was read in, pushing the timeline event
in the same write, and moves the 民情分析 counters of the voice's month by the difference it
makes (rollup). Of two racing actors exactly one wins, the other gets a 409; a retry whose
first attempt landed is recognised by its event and not refused.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import statemachine, uow
from models.core.context import Context
from models.core.statemachine import timeline_event
from models.people.users import Actor
from models.voices import notices, rollup
from models.voices.states import STATUS_NAMES
from server.errors import Conflict


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
    attempt = ObjectId()  # marks this write: a retried transaction knows its own event
    event = {
        **timeline_event(actor, ctx.now(), action, voice["status"], to, note),
        **(event_extra or {}),
        "attempt": attempt,
    }
    fields = {"status": to, "updated_at": event["at"], **(set_fields or {})}
    # the voice as it will be, before the write: the counters move by what it changes
    merged = {**voice, **fields, "version": voice.get("version", 0) + 1}
    for name, inc in (extra_update or {}).get("$inc", {}).items():
        merged[name] = merged.get(name, 0) + inc
    for name, item in (extra_update or {}).get("$push", {}).items():
        merged[name] = [*merged.get(name, []), item]
    merged["timeline"] = [*voice.get("timeline", []), event]
    counters = rollup.delta(voice, merged)
    conflict = Conflict("该民意状态已变化，请刷新后重试", code="voice_state_changed")

    async def move(session: AsyncClientSession | None) -> None:
        await statemachine.move(
            ctx.db.voices,
            voice,
            event,
            conflict=conflict,
            set_fields=set_fields,
            extra_update=extra_update,
            session=session,
        )

    async def work(session: AsyncClientSession) -> None:
        await move(session)
        ctx.failpoint("voices.before_rollup")
        await rollup.apply(ctx, session, voice["org_path"], voice["month"], counters)

    try:
        if counters:
            await uow.in_transaction(ctx, work)
        else:  # nothing counted changes (assign, reply again…): one conditional update
            await move(None)
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
