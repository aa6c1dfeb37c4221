"""Voice SLAs, auto-close and follow-ups, run by the `voices` job; every step happens once.

Like the order SLA job (models/orders/sla.py): a reminder's notice key is voice + version
(the round: a transfer or a reopen starts a new one) + stage + recipient, so a second run
writes nothing; escalation is a conditional transition, so two runs cannot both move it.
- received, not accepted for `accept_remind_hours` → remind the staff in charge;
  for `accept_escalate_hours` → transferred up to the parent (at most `max_escalations`);
- accepted, past `due_at` → remind the handler; past it by `reply_escalate_hours` →
  remind the staff in charge;
- replied, not rated for `auto_close_days` → closed;
- closed `followup_days` ago → "still solved?" (followups.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.orders.notices import staff_in_charge
from models.voices.followups import run_followups
from models.voices.machine import auto_close, escalate_voice
from models.voices.states import ACCEPTED, KINDS, RECEIVED, REPLIED
from server.errors import Conflict

LIGHT = {"timeline": 0, "replies": 0, "photos": 0, "tokens": 0}


async def _remind(
    ctx: Context, voice: dict[str, Any], stage: str, who: list[ObjectId], title: str
) -> int:
    what = f"{KINDS[voice['kind']]}「{voice['text'][:16]}」"
    return await notify_many(
        ctx,
        [
            Notice(
                user_id=user,
                key=f"voice-sla:{voice['_id']}:v{voice['version']}:{stage}:{user}",
                kind=f"voice_reminder_{stage}",
                title=title,
                body=what,
                template="todo",
                push={
                    "subject": what,
                    "status": "待办",
                    "remark": title,
                    "time": voice.get("due_at"),
                },
            )
            for user in who
        ],
    )


async def run_voice_sla(ctx: Context) -> dict[str, int]:
    cfg = ctx.config.voices
    now = ctx.now()
    counts = {"reminded": 0, "escalated": 0, "overdue": 0, "auto_closed": 0}
    remind_h, escalate_h = float(cfg.accept_remind_hours), float(cfg.accept_escalate_hours)
    async for voice in ctx.db.voices.find(
        {
            "status": RECEIVED,
            "updated_at": {"$lte": now - timedelta(hours=min(remind_h, escalate_h))},
        },
        {**LIGHT, "timeline": 0},
    ):
        age = (now - voice["updated_at"]).total_seconds() / 3600
        if age >= escalate_h and voice.get("escalations", 0) < int(cfg.max_escalations):
            # the version read by this pass: another pass that escalated it meanwhile wins
            full = await ctx.db.voices.find_one({"_id": voice["_id"], "version": voice["version"]})
            if full is None:
                continue
            try:
                await escalate_voice(ctx, full, f"超过 {escalate_h:g} 小时未受理")
                counts["escalated"] += 1
                continue
            except Conflict:
                continue
        staff = await staff_in_charge(ctx, list(voice["charge_path"]))
        counts["reminded"] += await _remind(ctx, voice, "accept", staff, "有民意待受理，请尽快处理")
    late_h = float(cfg.reply_escalate_hours)
    async for voice in ctx.db.voices.find({"status": ACCEPTED, "due_at": {"$lte": now}}, LIGHT):
        if voice.get("handler_id"):
            counts["overdue"] += await _remind(
                ctx, voice, "due", [voice["handler_id"]], "民意已超过答复时限"
            )
        if now >= voice["due_at"] + timedelta(hours=late_h):
            staff = await staff_in_charge(ctx, list(voice["charge_path"]))
            counts["overdue"] += await _remind(ctx, voice, "late", staff, "有民意超时未答复")
    days = float(cfg.auto_close_days)
    async for voice in ctx.db.voices.find(
        {"status": REPLIED, "updated_at": {"$lte": now - timedelta(days=days)}}
    ):
        try:
            await auto_close(ctx, voice, days)
            counts["auto_closed"] += 1
        except Conflict:
            pass
    return counts


async def run_voices(ctx: Context) -> dict[str, int]:
    return {**await run_voice_sla(ctx), **await run_followups(ctx)}
