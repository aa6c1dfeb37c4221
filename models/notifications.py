"""Notifications: the in-app inbox every part of the service writes to, and WeChat
subscribe messages (订阅消息) sent from an outbox while the user's quota lasts.

`notify_many()` is the one way to tell a person something. Each notice carries a
deterministic `key` (unique index), so writing it again — a retried job, a second
scheduler — changes nothing. The inbox entry is always written; a WeChat delivery is
queued only when the notice's template is configured, and `send_due()` sends it:

- a quota per user and template (`subscribe_quotas`) counts the acceptances the
  mini-program reported; a send takes one, nothing is sent without one;
- errcode 43101 (the user has no subscription left) sets that quota to 0;
- transient errors give the quota back and retry with backoff, `subscribe.max_attempts`
  times at most; an answer that never came (read timeout) is not retried, so no message
  is ever sent twice;
- every attempt is logged, on the delivery document and in the JSON log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models.context import Context

log = logging.getLogger("tongxin.notifications")

TEMPLATES = ("order", "todo")
TEMPLATE_NAMES = {"order": "工单状态提醒", "todo": "待办事项提醒"}
SLOTS = ("subject", "status", "remark", "time")

QUOTA_USED_UP = 43101
# Errors that will not go away by trying again: bad openid, template or data.
PERMANENT_ERRORS = {40003, 40037, 41028, 41029, 41030, 47003}
NO_ANSWER = -2  # the request went out but no answer came back: it may have been delivered
UNREACHABLE = -1  # the request never reached WeChat

# Subscribe-message field limits by type (the key without its number: thing1 → thing).
FIELD_LIMITS = {
    "thing": 20,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "name": 10,
    "phrase": 5,
    "phone_number": 17,
    "car_number": 8,
    "amount": 14,
}


class SubscribeSender(Protocol):
    """What sending needs from WeChat (server.wechat.WeChatGateway implements it)."""

    async def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: dict[str, dict[str, str]],
        *,
        page: str | None = None,
        miniprogram_state: str | None = None,
    ) -> int: ...


@dataclass
class Notice:
    user_id: ObjectId
    key: str
    kind: str
    title: str
    body: str
    template: str | None = None  # "order" | "todo" | None (in-app only)
    order_id: ObjectId | None = None
    push: dict[str, Any] = field(default_factory=dict)  # subject, status, remark, time


# ---------------------------------------------------------------- templates and fields


def tz(ctx: Context) -> ZoneInfo:
    return ZoneInfo(str(ctx.config.jobs.timezone))


def template_id(ctx: Context, template: str | None) -> str:
    if template not in TEMPLATES:
        return ""
    return str(getattr(ctx.config.subscribe, f"{template}_template_id") or "")


def configured_templates(ctx: Context) -> dict[str, str]:
    """template id → our template name, for the templates that are configured."""
    return {tid: t for t in TEMPLATES if (tid := template_id(ctx, t))}


def field_type(key: str) -> str:
    return re.sub(r"\d+$", "", key)


def cut_value(key: str, value: Any, zone: ZoneInfo) -> str:
    """A value as WeChat accepts it for this field type: dates formatted, text cut."""
    kind = field_type(key)
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        return local.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M")
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    limit = FIELD_LIMITS.get(kind)
    if limit is None or len(text) <= limit:
        return text or "-"
    if kind == "thing":
        return text[: limit - 1] + "…"
    return text[:limit]


def template_data(ctx: Context, template: str, push: dict[str, Any]) -> dict[str, dict[str, str]]:
    raw = str(getattr(ctx.config.subscribe, f"{template}_template_keys"))
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    zone = tz(ctx)
    return {
        key: {"value": cut_value(key, push.get(slot), zone)}
        for key, slot in zip(keys, SLOTS, strict=False)
    }


# ---------------------------------------------------------------- writing


def _retention(ctx: Context, now: datetime) -> datetime:
    return now + timedelta(days=float(ctx.config.notifications.retention_days))


async def _insert_ignoring_duplicates(collection: Any, docs: list[dict[str, Any]]) -> int:
    """Insert what is new; documents whose key exists already are skipped. Returns new count."""
    if not docs:
        return 0
    try:
        result = await collection.insert_many(docs, ordered=False)
        return len(result.inserted_ids)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != 11000 for e in errors):
            raise
        return len(docs) - len(errors)
    except DuplicateKeyError:
        return 0


async def notify_many(ctx: Context, notices: Iterable[Notice]) -> int:
    """Write each notice to its user's inbox (once per key) and queue its WeChat delivery."""
    notices = list({n.key: n for n in notices}.values())
    if not notices:
        return 0
    now = ctx.now()
    expires = _retention(ctx, now)
    docs = [
        {
            "_id": ObjectId(),
            "key": n.key,
            "user_id": n.user_id,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "order_id": n.order_id,
            "read": False,
            "read_at": None,
            "created_at": now,
            "expires_at": expires,
        }
        for n in notices
    ]
    created = await _insert_ignoring_duplicates(ctx.db.notifications, docs)
    pushed = [n for n in notices if template_id(ctx, n.template)]
    if pushed:
        users = {
            u["_id"]: u.get("openid")
            async for u in ctx.db.users.find(
                {"_id": {"$in": list({n.user_id for n in pushed})}}, {"openid": 1}
            )
        }
        deliveries = []
        for n in pushed:
            openid = users.get(n.user_id)
            if not openid or n.template is None:
                continue
            deliveries.append(
                {
                    "_id": ObjectId(),
                    "key": n.key,
                    "user_id": n.user_id,
                    "openid": openid,
                    "template": n.template,
                    "template_id": template_id(ctx, n.template),
                    "data": template_data(ctx, n.template, n.push),
                    "page": _deep_link(ctx, n),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "log": [],
                    "created_at": now,
                    "expires_at": expires,
                }
            )
        await _insert_ignoring_duplicates(ctx.db.subscribe_deliveries, deliveries)
    return created


async def notify(ctx: Context, notice: Notice) -> bool:
    return await notify_many(ctx, [notice]) == 1


# ---------------------------------------------------------------- the inbox


async def list_inbox(
    ctx: Context, user_id: ObjectId, *, unread_only: bool, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Unread first, newest first within each group."""
    query: dict[str, Any] = {"user_id": user_id}
    if unread_only:
        query["read"] = False
    cursor = ctx.db.notifications.find(query).sort([("read", 1), ("created_at", -1), ("_id", -1)])
    return await cursor.skip(offset).limit(limit + 1).to_list(limit + 1)


async def unread_count(ctx: Context, user_id: ObjectId) -> int:
    return await ctx.db.notifications.count_documents({"user_id": user_id, "read": False})


async def mark_read(
    ctx: Context, user_id: ObjectId, ids: list[ObjectId] | None, everything: bool
) -> int:
    """Only the caller's own notifications change; ids of others' are silently ignored."""
    query: dict[str, Any] = {"user_id": user_id, "read": False}
    if not everything:
        query["_id"] = {"$in": ids or []}
    result = await ctx.db.notifications.update_many(
        query, {"$set": {"read": True, "read_at": ctx.now()}}
    )
    return result.modified_count


def notification_json(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(doc["_id"]),
        "kind": doc["kind"],
        "title": doc["title"],
        "body": doc["body"],
        "order_id": str(doc["order_id"]) if doc.get("order_id") else None,
        "read": bool(doc.get("read")),
        "read_at": doc.get("read_at"),
        "created_at": doc["created_at"],
    }


# ---------------------------------------------------------------- quotas


def _deep_link(ctx: Context, notice: Notice) -> str | None:
    """Tapping the WeChat message opens the order it is about, else the inbox."""
    if notice.order_id is not None:
        return f"{ctx.config.subscribe.order_page}?id={notice.order_id}"
    return str(ctx.config.subscribe.page) or None


def _quota_id(user_id: ObjectId, tid: str) -> str:
    return f"{user_id}:{tid}"


async def report_subscriptions(
    ctx: Context, user_id: ObjectId, template_ids: list[str], idempotency_key: str | None
) -> list[dict[str, Any]]:
    """The mini-program reports the templates the user accepted: one more send for each."""
    known = configured_templates(ctx)
    # ids the server no longer uses (its config changed mid-session) are ignored, not fatal
    template_ids = [t for t in template_ids if t in known]
    fresh = True
    if idempotency_key:
        try:
            await ctx.db.idempotency_records.insert_one(
                {
                    "_id": f"subscriptions:{user_id}:{idempotency_key}",
                    "created_at": ctx.now(),
                    "expires_at": ctx.now()
                    + timedelta(hours=float(ctx.config.jobs.idempotency_retention_hours)),
                }
            )
        except DuplicateKeyError:
            fresh = False  # a retry of a report already counted
    if fresh:
        cap = int(ctx.config.subscribe.quota_cap)
        for tid in dict.fromkeys(template_ids):
            try:
                await ctx.db.subscribe_quotas.update_one(
                    {"_id": _quota_id(user_id, tid), "remaining": {"$lt": cap}},
                    {
                        "$inc": {"remaining": 1},
                        "$set": {"user_id": user_id, "template_id": tid, "updated_at": ctx.now()},
                    },
                    upsert=True,
                )
            except DuplicateKeyError:
                pass  # already at the cap
    return await quotas(ctx, user_id)


async def quotas(ctx: Context, user_id: ObjectId) -> list[dict[str, Any]]:
    known = configured_templates(ctx)
    rows = {
        q["template_id"]: q.get("remaining", 0)
        async for q in ctx.db.subscribe_quotas.find(
            {"_id": {"$in": [_quota_id(user_id, t) for t in known]}}
        )
    }
    return [
        {
            "template": name,
            "template_name": TEMPLATE_NAMES[name],
            "template_id": tid,
            "remaining": rows.get(tid, 0),
        }
        for tid, name in known.items()
    ]


# ---------------------------------------------------------------- delivery


async def _finish(
    ctx: Context, delivery: dict[str, Any], status: str, errcode: int | None, **extra: Any
) -> None:
    now = ctx.now()
    entry = {"at": now, "attempt": delivery["attempts"] + 1, "errcode": errcode, "outcome": status}
    await ctx.db.subscribe_deliveries.update_one(
        {"_id": delivery["_id"], "status": "sending"},
        {"$set": {"status": status, "updated_at": now, **extra}, "$push": {"log": entry}},
    )
    log.info(
        "subscribe delivery",
        extra={
            "delivery_id": str(delivery["_id"]),
            "user_id": str(delivery["user_id"]),
            "template": delivery["template"],
            "attempt": entry["attempt"],
            "errcode": errcode,
            "outcome": status,
        },
    )


async def send_due(ctx: Context, sender: SubscribeSender, limit: int = 100) -> dict[str, int]:
    """Send the deliveries that are due; returns how many ended in each outcome."""
    now = ctx.now()
    counts: dict[str, int] = {}
    due = await (
        ctx.db.subscribe_deliveries.find({"status": "pending", "next_attempt_at": {"$lte": now}})
        .sort([("next_attempt_at", 1)])
        .limit(limit)
        .to_list(limit)
    )
    max_attempts = int(ctx.config.subscribe.max_attempts)
    base = float(ctx.config.subscribe.retry_base_seconds)
    for d in due:
        claimed = await ctx.db.subscribe_deliveries.update_one(
            {"_id": d["_id"], "status": "pending", "attempts": d["attempts"]},
            {"$set": {"status": "sending", "claimed_at": now}},
        )
        if claimed.modified_count != 1:
            continue  # someone else is on it
        qid = _quota_id(d["user_id"], d["template_id"])
        took = await ctx.db.subscribe_quotas.update_one(
            {"_id": qid, "remaining": {"$gt": 0}}, {"$inc": {"remaining": -1}}
        )
        if took.modified_count != 1:
            outcome = "no_quota"
            await _finish(ctx, d, outcome, None)
            counts[outcome] = counts.get(outcome, 0) + 1
            continue
        errcode = await sender.send_subscribe_message(
            d["openid"],
            d["template_id"],
            d["data"],
            page=d.get("page"),
            miniprogram_state=str(ctx.config.subscribe.miniprogram_state) or None,
        )
        attempts = d["attempts"] + 1
        if errcode == 0:
            outcome = "sent"
            await _finish(ctx, d, outcome, 0, attempts=attempts, sent_at=ctx.now())
        elif errcode == QUOTA_USED_UP:
            outcome = "quota_exhausted"
            await ctx.db.subscribe_quotas.update_one(
                {"_id": qid}, {"$set": {"remaining": 0, "updated_at": ctx.now()}}
            )
            await _finish(ctx, d, outcome, errcode, attempts=attempts)
        elif errcode == NO_ANSWER:
            outcome = "unknown"  # may have arrived: never send it again
            await _finish(ctx, d, outcome, errcode, attempts=attempts)
        else:
            await ctx.db.subscribe_quotas.update_one({"_id": qid}, {"$inc": {"remaining": 1}})
            if errcode in PERMANENT_ERRORS or attempts >= max_attempts:
                outcome = "failed"
                await _finish(ctx, d, outcome, errcode, attempts=attempts)
            else:
                outcome = "retry"
                delay = base * 2 ** (attempts - 1)
                await _finish(
                    ctx,
                    d,
                    "pending",
                    errcode,
                    attempts=attempts,
                    next_attempt_at=ctx.now() + timedelta(seconds=delay),
                )
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


async def abandon_stale_sends(ctx: Context, older_than: timedelta) -> int:
    """A process died between claiming and recording a send: it may have been sent, so it
    is marked `unknown` and never retried (at most once)."""
    result = await ctx.db.subscribe_deliveries.update_many(
        {"status": "sending", "claimed_at": {"$lt": ctx.now() - older_than}},
        {"$set": {"status": "unknown", "updated_at": ctx.now()}},
    )
    return result.modified_count
