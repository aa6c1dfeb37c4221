"""Order notifications derived from the order timeline (the outbox pattern).

Every transition pushes a timeline event, bumps `version` and sets `notify_due` (the
outbox mark, in the same write). The notifier job reads the marked orders (a sparse
index: only orders waiting are in it), writes the notices for the events after
`notified_version` (key = order + event index + recipient, so a retry or a second
scheduler never duplicates), then moves `notified_version` forward and clears the mark
with a conditional update.

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

SMS (`SMS` below): at accept, start and complete the resident's notice also carries a text,
sent instead of the WeChat message when WeChat cannot reach them (no openid — an order
placed for them by staff — or no subscribe quota left); models/notifications/sms.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from models import orders
from models.core.clock import tz
from models.core.context import Context
from models.notifications import sms
from models.notifications.inbox import Notice, notify_many
from models.ops import audit, tallies
from models.orders import candidates, timeline
from models.people.orgs import all_orgs
from models.people.users import STAFF_ROLES
from server.logging import mask_phone

FIRST_RUN_LOOKBACK = timedelta(days=1)  # the outbox migration marks what changed since


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
    """Members under the hall node whose skills match the order, at most the cap.

    Read as a bounded sample (models/orders/candidates.py) walked from a point fixed per
    order, so different orders tell different members (the rotation), least recently
    served first; a node with fewer matching members than the cap is read whole."""
    cap = int(ctx.config.sla.hall_max_recipients)
    if hall_org_id is None or cap <= 0:
        return []
    out = candidates.excluded(order)  # the placer's own member account is not told
    wanted = set(order.get("skills") or [])

    def keep(member: dict[str, Any]) -> bool:
        return not out(member) and (not wanted or bool(wanted & set(member.get("skills", []))))

    rows = await candidates.sample_members(
        ctx,
        {"org_path": hall_org_id, "role": "member"},
        want=cap,
        start=candidates.start_point(order),
        keep=keep,
        projection={"last_served_at": 1, "skills": 1},
    )
    never = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda r: (_utc(r.get("last_served_at") or never), r["_id"]))
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


Tell = tuple[list[ObjectId], str, str, str, str | None]  # who, kind, title, body, template


async def _on_submit(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    staff = await staff_in_charge(ctx, path_to(order, order["org_id"]))
    body = f"{order.get('org_name') or ''}收到「{order['category_name']}」工单："
    return [
        (staff, "order_submitted", "新的服务工单待派单", body + order["description"][:60], "todo")
    ]


async def _on_dispatch(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    volunteers = await volunteers_for(ctx, order, event)
    due = _local(ctx, order.get("due_at"))
    # the community only: the address is shown once a member has taken the order
    body = f"「{order['category_name']}」{order.get('org_name') or ''}" + (
        f"，请在 {due} 前完成" if due else ""
    )
    return [(volunteers, "order_dispatched", "有新的服务工单待接单", body, "todo")]


async def _on_accept(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    who = event.get("actor_name") or ""
    body = f"队员{who}已接下您的「{order['category_name']}」工单，将尽快与您联系"
    return [([order["resident_id"]], "order_accepted", "您的工单已有队员接单", body, "order")]


async def _on_start(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    body = f"「{order['category_name']}」服务已开始"
    return [([order["resident_id"]], "order_started", "队员已开始服务", body, None)]


async def _on_complete(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    days = float(ctx.config.sla.confirm_auto_close_days)
    body = (
        f"队员{event.get('actor_name') or ''}已完成「{order['category_name']}」服务，请确认并评价；"
        f"{days:g} 天内未确认将自动确认"
    )
    return [([order["resident_id"]], "order_completed", "服务已完成，请确认", body, "order")]


async def _on_close(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    out: list[Tell] = []
    category = order["category_name"]
    if order.get("assignee_id"):
        how = "群众已确认" if event["action"] == "confirm" else "超时自动确认"
        out.append(
            (
                [order["assignee_id"]],
                "points_awarded",
                f"获得 {order['points']:g} 积分",
                f"「{category}」工单{how}，您获得 {order['points']:g} 积分、"
                f"{order['hours']:g} 小时服务时长",
                "order",
            )
        )
    if event["action"] == "auto_confirm":
        body = f"「{category}」工单已完成"
        out.append(([order["resident_id"]], "order_closed", "工单已自动确认", body, None))
    return out


async def _on_decline(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    category = order["category_name"]
    resident = [order["resident_id"]]
    if event["to"] != orders.SUBMITTED:  # back to the task hall / other candidates
        if event.get("from") != orders.ACCEPTED:
            return []
        body = f"「{category}」工单的队员因故退回，正在等待其他队员接单"
        return [(resident, "order_reassigning", "正在为您重新安排队员", body, "order")]
    node = event.get("org_id") or in_charge(order)
    staff = await staff_in_charge(ctx, path_to(order, node))
    title = "工单已上报，待您重新派单" if event.get("escalated") else "工单被退回，待重新派单"
    out: list[Tell] = [
        (staff, "order_returned", title, f"「{category}」：{event.get('note') or ''}", "todo")
    ]
    if event.get("from") == orders.ACCEPTED:
        body = f"「{category}」工单的队员因故退回，组织正在重新派单"
        out.append((resident, "order_reassigning", "正在为您重新安排队员", body, "order"))
    return out


async def _on_escalate(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    node = event.get("org_id") or in_charge(order)
    staff = await staff_in_charge(ctx, path_to(order, node))
    body = f"「{order['category_name']}」：{event.get('note') or ''}"
    return [(staff, "order_escalated", "超时未派单的工单已上报", body, "todo")]


async def _on_reject(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    body = f"「{order['category_name']}」工单已驳回：{event.get('note') or ''}"
    return [([order["resident_id"]], "order_rejected", "您的工单未被受理", body, "order")]


async def _on_cancel(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Tell]:
    category = order["category_name"]
    body = f"「{category}」工单已取消：{event.get('note') or ''}"
    out: list[Tell] = [([order["resident_id"]], "order_cancelled", "工单已取消", body, "order")]
    if event.get("from") == orders.DISPATCHED:
        volunteers = await volunteers_for(ctx, order, {})
        out.append((volunteers, "order_cancelled", "工单已取消", f"「{category}」工单已取消", None))
    return out


# who is told what, per transition (the timeline event's action): one entry each
NOTICES: dict[str, Callable[[Context, dict[str, Any], dict[str, Any]], Awaitable[list[Tell]]]] = {
    "submit": _on_submit,
    "dispatch": _on_dispatch,
    "accept": _on_accept,
    "start": _on_start,
    "complete": _on_complete,
    "confirm": _on_close,
    "auto_confirm": _on_close,
    "decline": _on_decline,
    "escalate": _on_escalate,
    "reject": _on_reject,
    "cancel": _on_cancel,
}


async def _volunteer(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    if not order.get("assignee_id"):
        return {}
    return await ctx.db.users.find_one({"_id": order["assignee_id"]}, {"name": 1, "phone": 1}) or {}


async def _community_phone(ctx: Context, order: dict[str, Any]) -> str:
    """The nearest node's service phone on the order's path, else `sms.community_phone`."""
    tree = await all_orgs(ctx)  # cached per process
    for node in reversed(order.get("org_path", [])):
        phone = (tree.get(node) or {}).get("phone")
        if phone:
            return str(phone)
    return str(ctx.config.sms.community_phone or "") or "所在社区"


async def _sms_accept(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Any]:
    volunteer = await _volunteer(ctx, order)
    name = volunteer.get("name") or event.get("actor_name") or ""
    return [order["category_name"], name, mask_phone(volunteer.get("phone")) or "-"]


async def _sms_start(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Any]:
    volunteer = await _volunteer(ctx, order)
    return [order["category_name"], volunteer.get("name") or event.get("actor_name") or ""]


async def _sms_complete(ctx: Context, order: dict[str, Any], event: dict[str, Any]) -> list[Any]:
    return [order["category_name"], await _community_phone(ctx, order)]


# the resident's text, per transition: the template variables of its step
SMS: dict[str, Callable[[Context, dict[str, Any], dict[str, Any]], Awaitable[list[Any]]]] = {
    "accept": _sms_accept,
    "start": _sms_start,
    "complete": _sms_complete,
}


async def sms_for_event(
    ctx: Context, order: dict[str, Any], event: dict[str, Any]
) -> sms.SmsText | None:
    """The resident's text for this event, when SMS is set up for its step."""
    rule = SMS.get(event["action"])
    step = sms.STEPS.get(event["action"])
    if rule is None or step is None or not sms.enabled(ctx, step):
        return None
    resident = await ctx.db.users.find_one({"_id": order["resident_id"]}, {"phone": 1}) or {}
    phone = resident.get("phone") or order.get("contact_phone")
    if not phone:
        return None
    return sms.SmsText(
        user_id=order["resident_id"],
        order_id=order["_id"],
        step=step,
        phone=str(phone),
        params=await rule(ctx, order, event),
        org_path=list(order.get("org_path", [])),
    )


async def notices_for_event(
    ctx: Context, order: dict[str, Any], index: int, event: dict[str, Any]
) -> list[Notice]:
    rule = NOTICES.get(event["action"])
    if rule is None:
        return []
    category = order["category_name"]
    oid = order["_id"]
    status = orders.STATUS_NAMES.get(event["to"], event["to"])
    text = await sms_for_event(ctx, order, event)
    notices = []
    for who, kind, title, body, template in await rule(ctx, order, event):
        for user_id in who:
            if user_id == event.get("actor_id"):
                continue  # nobody is told about their own action
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
                    sms=text if user_id == order["resident_id"] else None,
                )
            )
    return notices


async def notify_order(ctx: Context, order: dict[str, Any]) -> int:
    """Notices for the events after `notified_version`; then move it (conditionally) and
    clear the outbox mark `notify_due` unless a newer transition landed meanwhile."""
    done = order.get("notified_version")
    start = -1 if done is None else int(done)
    version = int(order.get("version", 0))
    notices: list[Notice] = []
    # event i of the history (archived ones first: models/orders/timeline.py) made version i
    last = min(version, timeline.total(order) - 1)
    for index, event in await timeline.events_between(ctx, order, start + 1, last + 1):
        notices += await notices_for_event(ctx, order, index, event)
        if event.get("audit"):
            await audit.from_order_event(ctx, order, index, event)
    written = await notify_many(ctx, notices)
    told = await ctx.db.orders.update_one(
        {"_id": order["_id"], "notified_version": done, "version": order.get("version")},
        {"$set": {"notified_version": version}, "$unset": {"notify_due": ""}},
    )
    if told.modified_count == 0:  # moved on meanwhile: its mark stays for the next run
        await ctx.db.orders.update_one(
            {"_id": order["_id"], "notified_version": done},
            {"$set": {"notified_version": version}},
        )
    return written


async def run_notifier(ctx: Context, batch: int = 200, max_batches: int = 50) -> dict[str, int]:
    """One pass over the orders with events not told yet: those carrying `notify_due`.

    Every transition sets `notify_due` in its own write (models/orders/transition.py, and
    place_order), and telling clears it: the sparse index on it holds exactly the orders
    waiting, so a run reads the orders changed since the last one, not the collection, and
    not the last minutes of changes a watermark with a clock-skew margin re-read every run
    (a transaction committing late is found all the same). `python -m server check` finds
    an order behind with no mark (`untold_orders`) and `--repair` marks it.
    """
    pending = await ctx.db.orders.find(
        {"notify_due": {"$exists": True}}, {"notify_due": 1}
    ).to_list(None)
    pending.sort(key=lambda row: (_utc(row["notify_due"]), row["_id"]))
    ids = [row["_id"] for row in pending[: batch * max_batches]]
    written = 0
    for start in range(0, len(ids), batch):
        chunk = await ctx.db.orders.find({"_id": {"$in": ids[start : start + batch]}}).to_list(None)
        # the dashboard's tallies first: the mark is cleared only once everything is done
        await tallies.apply_many(ctx, chunk)
        for order in chunk:
            written += await notify_order(ctx, order)
    return {"orders": len(ids), "notifications": written}


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=at.tzinfo or UTC)


async def untold_orders(ctx: Context) -> list[dict[str, Any]]:
    """Orders with events not told and no `notify_due` mark: the notifier would never see
    them (a write that bypassed the transitions, a restore). Reads every order, light."""
    problems: list[dict[str, Any]] = []
    light = {"version": 1, "notified_version": 1, "notify_due": 1}
    async for row in ctx.db.orders.find({}, light):
        done = row.get("notified_version")
        if "notify_due" not in row and (-1 if done is None else int(done)) < int(
            row.get("version", 0)
        ):
            problems.append(
                {
                    "order_id": row["_id"],
                    "problem": "events not told and no notify_due mark",
                    "version": row.get("version", 0),
                    "notified_version": done,
                }
            )
    return problems


async def mark_untold(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """Mark each untold order for the next notifier run (conditional on what was read)."""
    fixed = 0
    for p in problems:
        result = await ctx.db.orders.update_one(
            {"_id": p["order_id"], "notify_due": {"$exists": False}},
            {"$set": {"notify_due": ctx.now()}},
        )
        fixed += result.modified_count
    return fixed
