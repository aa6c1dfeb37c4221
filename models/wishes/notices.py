"""Who is told what after each wish transition; one notice per (wish, version, person).

The key makes a retry a no-op. Nobody is told about their own action. Told right after
each transition; `notified_version` and the catch-up pass (models/notifications/outbox.py)
tell what a crash in between lost.
- submit → the staff in charge of the wish's community;
- approve / reject → the poster;
- claim → the poster and the staff; release / auto_release → the poster, the staff and
  (auto) the member who lost the claim;
- fulfil → the poster (please confirm);
- confirm / auto_confirm → the claimant (points and hours); auto also the poster.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.notifications import outbox
from models.notifications.inbox import Notice, notify_many
from models.orders.notices import staff_in_charge
from models.people.users import Actor
from models.wishes.states import STATUS_NAMES


def _texts(wish: dict[str, Any], event: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """role → (title, body) for the event that made the wish's current version."""
    title = wish["title"]
    action = event["action"]
    note = event.get("note") or ""
    if action == "submit":
        return {"staff": ("有新的微心愿待审核", f"「{title}」等待审核")}
    if action == "approve":
        return {"poster": ("心愿已上墙", f"「{title}」已审核通过，等待党员认领")}
    if action == "reject":
        return {"poster": ("心愿未通过审核", f"「{title}」：{note}")}
    if action == "claim":
        who = wish.get("claimant_name") or "党员"
        body = f"「{title}」已由{who}认领"
        return {"poster": ("您的心愿已被认领", body), "staff": ("微心愿已被认领", body)}
    if action in ("release", "auto_release"):
        body = f"「{title}」已重新上墙" + (f"：{note}" if note else "")
        out = {"poster": ("心愿认领已取消", body), "staff": ("微心愿重新待认领", body)}
        if action == "auto_release":
            out["former"] = ("认领的心愿已被释放", body)
        return out
    if action == "fulfil":
        return {"poster": ("心愿已实现，请确认", f"「{title}」：{note}")}
    if action in ("confirm", "auto_confirm"):
        gain = f"获得 {wish['points']:g} 积分、{wish['hours']:g} 小时服务时长"
        out = {"claimant": ("心愿已确认，感谢您的付出", f"「{title}」{gain}")}
        if action == "auto_confirm":
            out["poster"] = ("心愿已自动确认", f"「{title}」超时未确认，系统已自动确认")
        return out
    return {}


async def notices_for(ctx: Context, wish: dict[str, Any], index: int) -> list[Notice]:
    """The notices of timeline event `index` (the event that made version `index`)."""
    event = wish["timeline"][index]
    texts = _texts(wish, event)
    who: dict[str, list[ObjectId]] = {
        "poster": [wish["poster_id"]],
        "claimant": [wish["claimant_id"]] if wish.get("claimant_id") else [],
        "former": [event["claimant_id"]] if event.get("claimant_id") else [],
    }
    if "staff" in texts:
        who["staff"] = await staff_in_charge(ctx, list(wish["org_path"]))
    return [
        Notice(
            user_id=user,
            key=f"wish:{wish['_id']}:v{index}:{user}",
            kind=f"wish_{event['action']}",
            title=title,
            body=body,
            template="todo",
            push={
                "subject": wish["title"],
                "status": STATUS_NAMES[wish["status"]],
                "remark": title,
                "time": event["at"],
            },
        )
        for role, (title, body) in texts.items()
        for user in who.get(role, [])
        if user != event.get("actor_id")
    ]


async def after(ctx: Context, wish: dict[str, Any], actor: Actor) -> int:
    """Right after a transition: tell its event, then mark it told (the outbox)."""
    written = await notify_many(ctx, await notices_for(ctx, wish, len(wish["timeline"]) - 1))
    await outbox.told(ctx.db.wishes, wish)
    return written


async def catch_up(ctx: Context) -> dict[str, int]:
    """Job: tell what a crash between a transition and its notices lost."""
    return await outbox.catch_up(ctx, ctx.db.wishes, "wish_notifier", notices_for)
