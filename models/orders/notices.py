"""Order notifications derived from the order timeline (the outbox pattern).

The order endpoints write nothing extra: every transition already pushes a timeline event
and bumps `version`. The notifier job finds orders whose `notified_version` is behind
their `version`, writes the notices for the new events (key = order + event index +
recipient, so a retry or a second scheduler never duplicates) and then moves
`notified_version` forward with a conditional update.

Event index i of the timeline is the event that made the order's version i (place_order
writes version 0 with the submit event; every transition pushes one event and adds 1).

Who is told what:
- submit → the staff in charge of the order's node (nearest node upward with staff);
- dispatch → the named candidates, plus, for the task hall, up to
  `sla.hall_max_recipients` members under the hall node whose skills match the order;
- accept / start / complete / reject → the resident; complete asks for confirmation;
- decline → back to `submitted`: the staff in charge of the node it went to (escalated or
  not); the resident too when an accepted order was given back;
- escalate (SLA job) → the staff of the node it was escalated to;
- confirm / auto_confirm → the volunteer ("获得 N 积分"), auto_confirm also the resident;
- cancel → the resident (when someone else cancelled) and the candidates it was sent to.
Nobody is told about their own action.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from models import orders
from models.core.clock import tz
from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.ops import audit
from models.orders.visibility import not_placed_by
from models.people.users import STAFF_ROLES

STATE_ID = "notifier"
FIRST_RUN_LOOKBACK = timedelta(days=1)
CLOCK_SKEW_MARGIN = timedelta(minutes=5)


async def staff_in_charge(ctx: Context, path: list[ObjectId]) -> list[ObjectId]:
    """The secretaries/admins of the deepest node on `path` (root … node) that has any."""
    if not path:
        return []
    staff = await ctx.db.users.find(
        {"role": {"$in": list(STAFF_ROLES)}, "org_id": {"$in": path}, "deleted_at": None},
        {"org_id": 1},
    ).to_list(None)
    by_node: dict[ObjectId, list[ObjectId]] = {}
    for user in staff:
        by_node.setdefault(user["org_id"], []).append(user["_id"])
    for node in reversed(path):
        if node in by_node:
            return sorted(by_node[node])
    return []


def path_to(order: dict[str, Any], node: ObjectId | None) -> list[ObjectId]:
    """The order's org path cut at `node` (the node in charge), root first."""
    path = list(order["org_path"])
    if node in path:
        return path[: path.index(node) + 1]
    return path


def in_charge(order: dict[str, Any]) -> ObjectId:
    return order.get("escalated_to") or order["org_id"]


async def hall_members(
    ctx: Context, order: dict[str, Any], hall_org_id: ObjectId | None
) -> list[ObjectId]:
    """Members under the hall node whose skills match the order (capped, rotation first)."""
    cap = int(ctx.config.sla.hall_max_recipients)
    if hall_org_id is None or cap <= 0:
        return []
    query: dict[str, Any] = {
        "role": "member",
        "org_path": hall_org_id,
        "deleted_at": None,
        "_id": {"$nin": order.get("declined_by", [])},
    }
    others = not_placed_by(order)  # the placer's own member account is not told
    query["_id"] = {**query["_id"], **others.pop("_id")}
    query.update(others)
    if order.get("skills"):
        query["skills"] = {"$in": order["skills"]}
    rows = (
        await ctx.db.users.find(query, {"last_served_at": 1})
        .sort([("last_served_at", 1), ("_id", 1)])
        .limit(cap)
        .to_list(cap)
    )
    return [r["_id"] for r in rows]


async def volunteers_for(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list:
    candidates = event.get("candidates", order.get("candidates", []))
    hall = event.get("hall_org_id", order.get("hall_org_id"))
    declined = set(order.get("declined_by", []))
    found = [c for c in candidates if c not in declined]
    for member in await hall_members(ctx, order, hall):
        if member not in found:
            found.append(member)
    return found


def _local(ctx: Context, when: datetime | None) -> str:
    if when is None:
        return ""
    return when.astimezone(tz(ctx)).strftime("%m月%d日 %H:%M")


async def notices_for_event(
    ctx: Context, order: dict[str, Any], index: int, event: dict[str, Any]
) -> list[Notice]:
    action = event["action"]
    category = order["category_name"]
    oid = order["_id"]
    status = orders.STATUS_NAMES.get(event["to"], event["to"])
    out: list[tuple[Iterable[ObjectId], str, str, str, str | None]] = []

    def tell(
        who: Iterable[ObjectId], kind: str, title: str, body: str, template: str | None
    ) -> None:
        out.append((who, kind, title, body, template))

    resident = [order["resident_id"]]
    note = event.get("note") or ""
    if action == "submit":
        staff = await staff_in_charge(ctx, path_to(order, order["org_id"]))
        tell(
            staff,
            "order_submitted",
            "新的服务工单待派单",
            f"{order.get('org_name') or ''}收到「{category}」工单：{order['description'][:60]}",
            "todo",
        )
    elif action == "dispatch":
        volunteers = await volunteers_for(ctx, order, event)
        due = _local(ctx, order.get("due_at"))
        tell(
            volunteers,
            "order_dispatched",
            "有新的服务工单待接单",
            f"「{category}」{order['address']}" + (f"，请在 {due} 前完成" if due else ""),
            "todo",
        )
    elif action == "accept":
        tell(
            resident,
            "order_accepted",
            "您的工单已有队员接单",
            f"队员{event.get('actor_name') or ''}已接下您的「{category}」工单，将尽快与您联系",
            "order",
        )
    elif action == "start":
        tell(resident, "order_started", "队员已开始服务", f"「{category}」服务已开始", None)
    elif action == "complete":
        days = float(ctx.config.sla.confirm_auto_close_days)
        tell(
            resident,
            "order_completed",
            "服务已完成，请确认",
            f"队员{event.get('actor_name') or ''}已完成「{category}」服务，请确认并评价；"
            f"{days:g} 天内未确认将自动确认",
            "order",
        )
    elif action in ("confirm", "auto_confirm"):
        if order.get("assignee_id"):
            how = "群众已确认" if action == "confirm" else "超时自动确认"
            tell(
                [order["assignee_id"]],
                "points_awarded",
                f"获得 {order['points']:g} 积分",
                f"「{category}」工单{how}，您获得 {order['points']:g} 积分、"
                f"{order['hours']:g} 小时服务时长",
                "order",
            )
        if action == "auto_confirm":
            tell(resident, "order_closed", "工单已自动确认", f"「{category}」工单已完成", None)
    elif action == "decline" and event["to"] == orders.SUBMITTED:
        node = event.get("org_id") or in_charge(order)
        staff = await staff_in_charge(ctx, path_to(order, node))
        title = "工单已上报，待您重新派单" if event.get("escalated") else "工单被退回，待重新派单"
        tell(staff, "order_returned", title, f"「{category}」：{note}", "todo")
        if event.get("from") == orders.ACCEPTED:
            tell(
                resident,
                "order_reassigning",
                "正在为您重新安排队员",
                f"「{category}」工单的队员因故退回，组织正在重新派单",
                "order",
            )
    elif action == "decline" and event.get("from") == orders.ACCEPTED:
        tell(
            resident,
            "order_reassigning",
            "正在为您重新安排队员",
            f"「{category}」工单的队员因故退回，正在等待其他队员接单",
            "order",
        )
    elif action == "escalate":
        node = event.get("org_id") or in_charge(order)
        staff = await staff_in_charge(ctx, path_to(order, node))
        tell(staff, "order_escalated", "超时未派单的工单已上报", f"「{category}」：{note}", "todo")
    elif action == "reject":
        tell(
            resident,
            "order_rejected",
            "您的工单未被受理",
            f"「{category}」工单已驳回：{note}",
            "order",
        )
    elif action == "cancel":
        tell(
            resident, "order_cancelled", "工单已取消", f"「{category}」工单已取消：{note}", "order"
        )
        if event.get("from") == orders.DISPATCHED:
            volunteers = await volunteers_for(ctx, order, {})
            tell(volunteers, "order_cancelled", "工单已取消", f"「{category}」工单已取消", None)

    notices = []
    for who, kind, title, body, template in out:
        for user_id in who:
            if user_id == event.get("actor_id"):
                continue
            notices.append(
                Notice(
                    user_id=user_id,
                    key=f"order:{oid}:e{index}:{user_id}",
                    kind=kind,
                    title=title,
                    body=body,
                    template=template,
                    order_id=oid,
                    push={
                        "subject": category,
                        "status": status,
                        "remark": title,
                        "time": event["at"],
                    },
                )
            )
    return notices


async def notify_order(ctx: Context, order: dict[str, Any]) -> int:
    """Notices for the events after `notified_version`; then move it (conditionally)."""
    done = order.get("notified_version")
    start = -1 if done is None else int(done)
    version = int(order.get("version", 0))
    timeline = order.get("timeline", [])
    notices: list[Notice] = []
    for index in range(start + 1, min(version, len(timeline) - 1) + 1):
        notices += await notices_for_event(ctx, order, index, timeline[index])
        if timeline[index].get("audit"):
            await audit.from_order_event(ctx, order, index)
    written = await notify_many(ctx, notices)
    await ctx.db.orders.update_one(
        {"_id": order["_id"], "notified_version": done},
        {"$set": {"notified_version": version}},
    )
    return written


async def run_notifier(ctx: Context, batch: int = 200) -> dict[str, int]:
    """One pass over the orders changed since the watermark whose events are not told yet."""
    now = ctx.now()
    state = await ctx.db.job_state.find_one({"_id": STATE_ID})
    since: datetime = state["since"] if state else now - FIRST_RUN_LOOKBACK
    query = {
        "updated_at": {"$gte": since - CLOCK_SKEW_MARGIN},
        "$expr": {"$lt": [{"$ifNull": ["$notified_version", -1]}, "$version"]},
    }
    rows = await ctx.db.orders.find(query).sort([("updated_at", 1)]).limit(batch).to_list(batch)
    written = 0
    for order in rows:
        written += await notify_order(ctx, order)
    watermark = now if len(rows) < batch else rows[-1]["updated_at"]
    await ctx.db.job_state.update_one(
        {"_id": STATE_ID}, {"$set": {"since": watermark, "updated_at": now}}, upsert=True
    )
    return {"orders": len(rows), "notifications": written}
