"""SMS (短信) for residents WeChat cannot reach: the outbox, per-number limits, delivery records.

A text is queued when a resident has no WeChat account (no openid: orders placed for them
by staff) or no subscribe-message quota left for the template, at the steps that matter
(accepted, started, completed). `sms_messages` holds one document per (order, step, phone):
its unique `key` makes the message exactly-once however often the outbox runs. The notifier
job sends what is due through the SMS gateway (server/sms.py):
- a number gets at most `sms.daily_limit_per_number` texts per Beijing day, counted
  atomically in `sms_daily_counts` when a send is claimed; over the limit it is recorded
  as `skipped`, not sent;
- a refused or unreachable gateway gives the count back and retries with backoff,
  `sms.max_attempts` times at most, then `failed`; an answer that never came (read
  timeout) is `unknown` and never sent again;
- the full number is kept only while the message is waiting; finished records keep the
  masked number and the gateway's SerialNo/Code, and expire after `sms.retention_days`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models.core import clock, paging
from models.core.context import Context
from server.logging import mask_phone

log = logging.getLogger("tongxin.notifications")

# order timeline action → SMS step (its template is `sms.template_<step>`)
STEPS = {"accept": "accepted", "start": "started", "complete": "completed"}
STEP_NAMES = {"accepted": "已接单", "started": "服务开始", "completed": "服务完成待确认"}
STATUS_NAMES = {
    "queued": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "skipped": "未发送",
    "unknown": "结果未知",
}
REASONS = {
    "daily_limit": "超过该号码每日条数上限",
    "bad_phone": "号码格式无效",
}
COUNTED = ("sending", "sent", "unknown")  # statuses whose send took one from the day's count
PHONE = re.compile(r"^(1[3-9]\d{9}|\+[1-9]\d{6,14})$")


class SmsResultLike(Protocol):
    outcome: str
    code: str
    message: str
    serial_no: str
    fee: int
    request_id: str


class SmsSender(Protocol):
    """What sending needs from the gateway (server.sms.SmsGateway implements it)."""

    configured: bool

    async def send(
        self, phone: str, template_id: str, params: list[str], *, context: str = ""
    ) -> SmsResultLike: ...


@dataclass
class SmsText:
    """One text to one number about one step of one order."""

    user_id: ObjectId
    order_id: ObjectId
    step: str
    phone: str
    params: list[str] = field(default_factory=list)
    org_path: list[ObjectId] = field(default_factory=list)


def template_for(ctx: Context, step: str) -> str:
    return str(getattr(ctx.config.sms, f"template_{step}", "") or "")


def enabled(ctx: Context, step: str) -> bool:
    """SMS goes out for this step only with credentials and an approved template set."""
    cfg = ctx.config.sms
    return bool(cfg.secret_id and cfg.secret_key and cfg.sdk_app_id and template_for(ctx, step))


def cut_params(ctx: Context, params: list[Any]) -> list[str]:
    """Template variables as the gateway accepts them: one line, at most N characters."""
    limit = int(ctx.config.sms.param_max_chars)
    out = []
    for value in params:
        text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip() or "-"
        out.append(text[:limit] if limit > 0 else text)
    return out


def phone_hash(ctx: Context, phone: str) -> str:
    """A keyed hash of the number: keys and counters without the number in clear."""
    key = str(ctx.config.sms.hash_key or "") or str(ctx.config.auth.cookie_secret)
    return hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()[:32]


def _expires(ctx: Context, now: datetime) -> datetime:
    return now + timedelta(days=float(ctx.config.sms.retention_days))


def _doc(ctx: Context, text: SmsText, now: datetime) -> dict[str, Any]:
    phone = (text.phone or "").strip()
    valid = bool(PHONE.match(phone))
    digest = phone_hash(ctx, phone)
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "key": f"order:{text.order_id}:{text.step}:{digest}",
        "user_id": text.user_id,
        "order_id": text.order_id,
        "org_path": list(text.org_path),
        "step": text.step,
        "template_id": template_for(ctx, text.step),
        "params": cut_params(ctx, text.params),
        "phone_masked": mask_phone(phone) if valid else "无效号码",
        "phone_hash": digest,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "log": [],
        "created_at": now,
        "updated_at": now,
        "expires_at": _expires(ctx, now),
    }
    if valid:
        doc["phone"] = phone
    else:
        doc.update(status="skipped", reason="bad_phone")
    return doc


async def queue(ctx: Context, texts: list[SmsText]) -> int:
    """Queue each text once per (order, step, phone); returns how many are new."""
    if not texts:
        return 0
    now = ctx.now()
    docs = list({d["key"]: d for d in (_doc(ctx, t, now) for t in texts)}.values())
    try:
        result = await ctx.db.sms_messages.insert_many(docs, ordered=False)
        return len(result.inserted_ids)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != 11000 for e in errors):
            raise
        return len(docs) - len(errors)
    except DuplicateKeyError:
        return 0


def text_json(text: SmsText) -> dict[str, Any]:
    """A queued-later text as stored on a WeChat delivery (its fallback when quota runs out)."""
    return asdict(text)


async def queue_fallback(ctx: Context, stored: dict[str, Any] | None) -> int:
    if not stored:
        return 0
    return await queue(ctx, [SmsText(**stored)])


# ---------------------------------------------------------------- per-number daily count


def _count_id(digest: str, day: str) -> str:
    return f"{digest}:{day}"


async def _take(ctx: Context, digest: str, day: str) -> bool:
    """One more text to this number today, if the day's limit allows (atomic)."""
    limit = int(ctx.config.sms.daily_limit_per_number)
    if limit <= 0:
        return True
    query = {"_id": _count_id(digest, day), "count": {"$lt": limit}}
    update = {
        "$inc": {"count": 1},
        "$setOnInsert": {
            "phone_hash": digest,
            "day": day,
            "expires_at": ctx.now() + timedelta(days=3),
        },
    }
    try:
        result = await ctx.db.sms_daily_counts.update_one(query, update, upsert=True)
        return result.upserted_id is not None or result.modified_count == 1
    except DuplicateKeyError:  # the day's document exists: at the limit, or just created
        result = await ctx.db.sms_daily_counts.update_one(query, {"$inc": {"count": 1}})
        return result.modified_count == 1


async def _give_back(ctx: Context, digest: str, day: str) -> None:
    if int(ctx.config.sms.daily_limit_per_number) <= 0:
        return
    await ctx.db.sms_daily_counts.update_one(
        {"_id": _count_id(digest, day), "count": {"$gt": 0}}, {"$inc": {"count": -1}}
    )


# ---------------------------------------------------------------- sending


async def _finish(
    ctx: Context,
    doc: dict[str, Any],
    status: str,
    *,
    outcome: str | None = None,
    keep_phone: bool = False,
    uncount: bool = False,
    **extra: Any,
) -> None:
    now = ctx.now()
    attempt = doc["attempts"] + (0 if outcome is None else 1)
    code = extra.get("code")
    entry = {"at": now, "attempt": attempt, "code": code, "outcome": outcome or status}
    update: dict[str, Any] = {
        "$set": {"status": status, "updated_at": now, **extra},
        "$push": {"log": entry},
    }
    unset = {} if keep_phone else {"phone": ""}
    if uncount:
        unset["counted_day"] = ""
    if unset:
        update["$unset"] = unset
    await ctx.db.sms_messages.update_one({"_id": doc["_id"], "status": "sending"}, update)
    log.info(
        "sms delivery",
        extra={
            "sms_id": str(doc["_id"]),
            "order_id": str(doc["order_id"]),
            "step": doc["step"],
            "phone": doc.get("phone_masked"),
            "attempt": attempt,
            "code": code,
            "outcome": outcome or status,
        },
    )


async def send_due_sms(ctx: Context, sender: SmsSender | None, limit: int = 50) -> dict[str, int]:
    """Send the texts that are due; returns how many ended in each outcome."""
    if sender is None or not sender.configured:
        return {}
    now = ctx.now()
    counts: dict[str, int] = {}
    due = await (
        ctx.db.sms_messages.find({"status": "queued", "next_attempt_at": {"$lte": now}})
        .sort([("next_attempt_at", 1)])
        .limit(limit)
        .to_list(limit)
    )
    max_attempts = int(ctx.config.sms.max_attempts)
    base = float(ctx.config.sms.retry_base_seconds)
    for d in due:
        day = clock.local_day(now).isoformat()
        claimed = await ctx.db.sms_messages.update_one(
            {"_id": d["_id"], "status": "queued", "attempts": d["attempts"]},
            {"$set": {"status": "sending", "claimed_at": now, "counted_day": day}},
        )
        if claimed.modified_count != 1:
            continue  # another process is on it
        if not await _take(ctx, d["phone_hash"], day):
            await _finish(ctx, d, "skipped", reason="daily_limit", uncount=True)
            counts["skipped"] = counts.get("skipped", 0) + 1
            continue
        try:
            result = await sender.send(
                d["phone"], d["template_id"], d["params"], context=str(d["_id"])
            )
            outcome, code = result.outcome, result.code
        except Exception:  # the gateway itself broke before a request went out
            log.warning("sms gateway error", extra={"sms_id": str(d["_id"])}, exc_info=True)
            result, outcome, code = None, "retry", "GatewayError"
        attempts = d["attempts"] + 1
        answer: dict[str, Any] = {"attempts": attempts, "code": code}
        if result is not None:
            answer.update(message=result.message, request_id=result.request_id)
        if outcome == "sent" and result is not None:
            await _finish(
                ctx,
                d,
                "sent",
                outcome=outcome,
                serial_no=result.serial_no,
                fee=result.fee,
                sent_at=ctx.now(),
                **answer,
            )
        elif outcome == "unknown":
            await _finish(ctx, d, "unknown", outcome=outcome, **answer)
        else:
            await _give_back(ctx, d["phone_hash"], day)
            if outcome == "retry" and attempts < max_attempts:
                delay = base * 2 ** (attempts - 1)
                await _finish(
                    ctx,
                    d,
                    "queued",
                    outcome="retry",
                    keep_phone=True,
                    uncount=True,
                    next_attempt_at=ctx.now() + timedelta(seconds=delay),
                    **answer,
                )
                outcome = "retry"
            else:
                await _finish(ctx, d, "failed", outcome="failed", uncount=True, **answer)
                outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


async def abandon_stale_sms(ctx: Context, older_than: timedelta) -> int:
    """A process died between claiming and recording a send: it may have gone out, so it
    is `unknown` and never sent again (exactly once)."""
    result = await ctx.db.sms_messages.update_many(
        {"status": "sending", "claimed_at": {"$lt": ctx.now() - older_than}},
        {"$set": {"status": "unknown", "updated_at": ctx.now()}, "$unset": {"phone": ""}},
    )
    return result.modified_count


# ---------------------------------------------------------------- reading


async def recent(
    ctx: Context, org_id: ObjectId, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first inside `org_id` (checked by the caller), in indexed time windows."""
    return await paging.newest_in_windows(
        ctx.db.sms_messages,
        {"org_path": org_id},
        now=ctx.now(),
        field="created_at",
        cursor=paging.decode(cursor),
        limit=limit,
        projection={"phone": 0, "phone_hash": 0, "log": 0},
    )


def sms_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A delivery record as staff see it: the number masked, never in full."""
    return {
        "id": str(doc["_id"]),
        "order_id": str(doc["order_id"]),
        "step": doc["step"],
        "step_name": STEP_NAMES.get(doc["step"], doc["step"]),
        "status": doc["status"],
        "status_name": STATUS_NAMES.get(doc["status"], doc["status"]),
        "reason": REASONS.get(doc.get("reason") or "", doc.get("reason") or ""),
        "phone": doc.get("phone_masked"),
        "attempts": doc.get("attempts", 0),
        "code": doc.get("code"),
        "serial_no": doc.get("serial_no"),
        "created_at": doc["created_at"],
        "updated_at": doc.get("updated_at"),
    }


# ---------------------------------------------------------------- consistency


async def count_drift(ctx: Context) -> list[dict[str, Any]]:
    """Each live day count == the texts of that number and day that took one."""
    counters = await ctx.db.sms_daily_counts.find({}).to_list(None)
    days = sorted({c["day"] for c in counters})
    actual: dict[str, int] = {}
    if days:
        async for m in ctx.db.sms_messages.find(
            {"counted_day": {"$in": days}}, {"phone_hash": 1, "counted_day": 1, "status": 1}
        ):
            if m.get("status") in COUNTED:
                cid = _count_id(m["phone_hash"], m["counted_day"])
                actual[cid] = actual.get(cid, 0) + 1
    problems = []
    for c in counters:
        want = actual.get(c["_id"], 0)
        if int(c.get("count", 0)) != want:
            problems.append({"counter": c["_id"], "count": c.get("count", 0), "texts": want})
    return problems


async def repair_counts(ctx: Context, problems: list[dict[str, Any]]) -> int:
    fixed = 0
    for p in problems:
        result = await ctx.db.sms_daily_counts.update_one(
            {"_id": p["counter"]}, {"$set": {"count": p["texts"]}}
        )
        fixed += result.modified_count
    return fixed
