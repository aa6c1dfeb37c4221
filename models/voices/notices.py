"""Who is told what after each voice transition; one notice per (voice, version, person).

- submit / transfer / escalate → the staff of the node now in charge;
- accept / assign → the submitter ("受理"), and the new handler;
- reply → the submitter (please rate);
- close / auto_close → the submitter and the handler;
- rate → the handler (and, for 不满意 reopening it, the staff in charge);
- followup_reopen → the handler or the staff in charge.
Nobody is told about their own action. Told right after each transition;
`notified_version` and the catch-up pass (models/notifications/outbox.py) tell what a crash
in between lost.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.notifications import outbox
from models.notifications.inbox import Notice, notify_many
from models.orders.notices import staff_in_charge
from models.people.users import Actor
from models.voices.states import KINDS, STATUS_NAMES


def _texts(voice: dict[str, Any], event: dict[str, Any]) -> dict[str, tuple[str, str]]:
    what = f"{KINDS[voice['kind']]}「{voice['text'][:8]}」"
    action, note = event["action"], event.get("note") or ""
    if action in ("submit", "transfer", "escalate"):
        out = {"staff": ("有新的民意待受理", f"{voice['category']}类{what}")}
        if action != "submit":
            out["submitter"] = ("您的民意已转上级办理", f"{what}：{note}")
        return out
    if action in ("accept", "assign"):
        return {
            "submitter": ("您的民意已受理", f"{what}由{voice.get('handler_name') or '专人'}办理"),
            "handler": ("有民意指派给您办理", what),
        }
    if action == "reply":
        return {"submitter": ("您的民意已答复，请评价", f"{what}：{note[:40]}")}
    if action in ("close", "auto_close"):
        return {"submitter": ("您的民意已办结", what), "handler": ("民意已办结", what)}
    if action == "rate":
        return {"handler": (f"群众评价：{voice.get('rating')}", what)}
    if action == "reopen":
        return {
            "handler": ("群众不满意，请再次答复", f"{what}：{note}"),
            "staff": ("有民意评价不满意，已重新办理", what),
        }
    if action == "followup_reopen":
        return {
            "handler": ("回访未解决，请重新办理", what),
            "staff": ("回访未解决的民意已重新办理", what),
        }
    return {}


async def notices_for(ctx: Context, voice: dict[str, Any], index: int) -> list[Notice]:
    """The notices of timeline event `index` (the event that made version `index`)."""
    event = voice["timeline"][index]
    texts = _texts(voice, event)
    who: dict[str, list[ObjectId]] = {
        "submitter": [voice["submitter_id"]],
        "handler": [voice["handler_id"]] if voice.get("handler_id") else [],
    }
    if "staff" in texts:
        who["staff"] = await staff_in_charge(ctx, list(voice["charge_path"]))
    return [
        Notice(
            user_id=user,
            key=f"voice:{voice['_id']}:v{index}:{user}",
            kind=f"voice_{event['action']}",
            title=title,
            body=body,
            template="todo",
            push={
                "subject": f"{KINDS[voice['kind']]}：{voice['category']}",
                "status": STATUS_NAMES[voice["status"]],
                "remark": title,
                "time": event["at"],
            },
        )
        for role, (title, body) in texts.items()
        for user in dict.fromkeys(who.get(role, []))
        if user != event.get("actor_id")
    ]


async def after(ctx: Context, voice: dict[str, Any], actor: Actor) -> int:
    """Right after a transition: tell its event, then mark it told (the outbox)."""
    written = await notify_many(ctx, await notices_for(ctx, voice, len(voice["timeline"]) - 1))
    await outbox.told(ctx.db.voices, voice)
    return written


async def catch_up(ctx: Context) -> dict[str, int]:
    """Job: tell what a crash between a transition and its notices lost."""
    return await outbox.catch_up(ctx, ctx.db.voices, "voice_notifier", notices_for)
