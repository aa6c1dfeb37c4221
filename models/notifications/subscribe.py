"""WeChat subscribe messages (订阅消息): templates, field limits, per-user quotas, the outbox.

- a quota per user and template (`subscribe_quotas`) counts the acceptances the
  mini-program reported; a send takes one, nothing is sent without one;
- errcode 43101 (the user has no subscription left) sets that quota to 0;
- a message that could not go for want of quota goes by SMS when it carries a text
  (`sms_fallback`, models/notifications/sms.py);
- transient errors give the quota back and retry with backoff, `subscribe.max_attempts`
  times at most; an answer that never came (read timeout) is not retried, so no message
  is ever sent twice;
- every attempt is logged, on the delivery document and in the JSON log.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core.clock import tz
from models.core.context import Context
from models.notifications import sms

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


def quota_id(user_id: ObjectId, tid: str) -> str:
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
                    {"_id": quota_id(user_id, tid), "remaining": {"$lt": cap}},
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
            {"_id": {"$in": [quota_id(user_id, t) for t in known]}}
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


async def _finish(
    ctx: Context, delivery: dict[str, Any], status: str, errcode: int | None, **extra: Any
) -> None:
    now = ctx.now()
    entry = {"at": now, "attempt": delivery["attempts"] + 1, "errcode": errcode, "outcome": status}
    update: dict[str, Any] = {
        "$set": {"status": status, "updated_at": now, **extra},
        "$push": {"log": entry},
    }
    if status != "pending" and "sms_fallback" in delivery:
        update["$unset"] = {"sms_fallback": ""}  # it holds a phone number
    await ctx.db.subscribe_deliveries.update_one(
        {"_id": delivery["_id"], "status": "sending"}, update
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
        qid = quota_id(d["user_id"], d["template_id"])
        took = await ctx.db.subscribe_quotas.update_one(
            {"_id": qid, "remaining": {"$gt": 0}}, {"$inc": {"remaining": -1}}
        )
        if took.modified_count != 1:
            outcome = "no_quota"
            await sms.queue_fallback(ctx, d.get("sms_fallback"))
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
            await sms.queue_fallback(ctx, d.get("sms_fallback"))
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
