"""What activities tell people, through the one inbox: every key deterministic, so a
retried job or request never tells anyone twice."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models import notifications
from models.activities.states import HOLDING
from models.core.clock import local_time
from models.core.context import Context
from models.notifications import Notice


def _push(activity: dict[str, Any], status: str, remark: str) -> dict[str, Any]:
    return {
        "subject": activity["title"],
        "status": status,
        "remark": remark,
        "time": activity["start_at"],
    }


async def holders(ctx: Context, activity_id: ObjectId) -> list[ObjectId]:
    """Everyone holding a place or a waiting-list spot."""
    cursor = ctx.db.activity_signups.find(
        {"activity_id": activity_id, "status": {"$in": list(HOLDING)}}, {"member_id": 1}
    )
    return [s["member_id"] async for s in cursor]


async def tell_all(
    ctx: Context,
    activity: dict[str, Any],
    members: list[ObjectId],
    key: str,
    title: str,
    body: str,
    status: str,
) -> int:
    notices = [
        Notice(
            user_id=m,
            key=f"activity:{activity['_id']}:{key}:{m}",
            kind="activity",
            title=title,
            body=body,
            template="todo",
            push=_push(activity, status, body),
        )
        for m in members
    ]
    return await notifications.notify_many(ctx, notices)


async def cancelled(ctx: Context, activity: dict[str, Any], reason: str) -> int:
    members = await holders(ctx, activity["_id"])
    body = f"「{activity['title']}」已取消" + (f"：{reason}" if reason else "")
    return await tell_all(ctx, activity, members, "cancelled", "活动已取消", body, "已取消")


async def changed(ctx: Context, activity: dict[str, Any], what: str) -> int:
    members = await holders(ctx, activity["_id"])
    when = local_time(activity["start_at"])
    body = f"「{activity['title']}」{what}已调整：{when}，{activity.get('address', '')}"
    key = f"changed:{activity.get('version', 0)}"
    return await tell_all(ctx, activity, members, key, "活动时间或地点变更", body, "已变更")


async def promoted(ctx: Context, activity: dict[str, Any], signup: dict[str, Any]) -> int:
    body = f"有人取消报名，您已从候补转为正式报名「{activity['title']}」"
    key = f"promoted:{signup.get('version', 0)}"
    return await tell_all(ctx, activity, [signup["member_id"]], key, "候补成功", body, "已报名")


async def full(ctx: Context, activity: dict[str, Any]) -> int:
    """The organiser (who created it) is told once when the last place goes."""
    organiser = activity.get("created_by")
    if organiser is None:
        return 0
    body = f"「{activity['title']}」{activity.get('capacity')} 个名额已报满，之后的报名进入候补"
    return await tell_all(ctx, activity, [organiser], "full", "活动已报满", body, "已报满")


async def reminder(ctx: Context, activity: dict[str, Any], label: str) -> int:
    from models.activities.states import CONFIRMED

    cursor = ctx.db.activity_signups.find(
        {"activity_id": activity["_id"], "status": CONFIRMED}, {"member_id": 1}
    )
    members = [s["member_id"] async for s in cursor]
    when = local_time(activity["start_at"])
    body = f"「{activity['title']}」将于 {when} 开始，地点：{activity.get('address', '')}"
    return await tell_all(ctx, activity, members, f"remind:{label}", "活动提醒", body, "即将开始")
