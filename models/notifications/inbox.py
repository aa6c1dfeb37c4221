"""The in-app inbox every part of the service writes to; `notify_many()` is the one way
to tell a person something. Each notice has a deterministic `key` (unique index), so
writing it again changes nothing; a WeChat delivery is queued when its template is set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models.core import paging
from models.core.context import Context
from models.notifications import sms
from models.notifications.subscribe import quota_id, template_data, template_id

log = logging.getLogger("tongxin.notifications")


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
    # a text for when WeChat cannot reach the person (no openid, no quota left)
    sms: sms.SmsText | None = None


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


CHUNK = 500  # notices per bulk write: a digest to thousands of people goes in slices


async def notify_many(ctx: Context, notices: Iterable[Notice]) -> int:
    """Write each notice to its user's inbox (once per key) and queue its WeChat delivery."""
    unique = list({n.key: n for n in notices}.values())
    written = 0
    for first in range(0, len(unique), CHUNK):
        written += await _notify_chunk(ctx, unique[first : first + CHUNK])
    return written


async def _notify_chunk(ctx: Context, notices: list[Notice]) -> int:
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
    texted = [n for n in notices if n.sms is not None]
    users: dict[ObjectId, str | None] = {}
    if pushed or texted:
        users = {
            u["_id"]: u.get("openid")
            async for u in ctx.db.users.find(
                {"_id": {"$in": list({n.user_id for n in pushed + texted})}}, {"openid": 1}
            )
        }
    wechat_reaches = await _with_quota(ctx, texted, users)
    deliveries = []
    for n in pushed:
        openid = users.get(n.user_id)
        if not openid or n.template is None:
            continue
        delivery = {
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
        if n.sms is not None and n.key in wechat_reaches:
            # sent by SMS after all if the quota is gone by the time WeChat is asked
            delivery["sms_fallback"] = sms.text_json(n.sms)
        deliveries.append(delivery)
    await _insert_ignoring_duplicates(ctx.db.subscribe_deliveries, deliveries)
    await sms.queue(ctx, [n.sms for n in texted if n.sms and n.key not in wechat_reaches])
    return created


async def _with_quota(
    ctx: Context, notices: list[Notice], openids: dict[ObjectId, str | None]
) -> set[str]:
    """Keys of the notices WeChat can deliver: an openid, the template set, quota left.

    A notice whose WeChat delivery was written by an earlier run stays with WeChat (its
    fallback text rides on the delivery): a rerun never adds an SMS to a sent message."""
    queued = (
        {
            d["key"]
            async for d in ctx.db.subscribe_deliveries.find(
                {"key": {"$in": [n.key for n in notices]}}, {"key": 1}
            )
        }
        if notices
        else set()
    )
    wanted = {
        n.key: quota_id(n.user_id, tid)
        for n in notices
        # a step with no WeChat message of its own (in-app only) counts as reachable when
        # the order template has quota: such a person is not texted for it either
        if openids.get(n.user_id) and (tid := template_id(ctx, n.template or "order"))
    }
    if not wanted:
        return queued
    left = {
        q["_id"]
        async for q in ctx.db.subscribe_quotas.find(
            {"_id": {"$in": list(set(wanted.values()))}, "remaining": {"$gt": 0}}, {"_id": 1}
        )
    }
    return queued | {key for key, qid in wanted.items() if qid in left}


async def notify(ctx: Context, notice: Notice) -> bool:
    return await notify_many(ctx, [notice]) == 1


async def list_inbox(
    ctx: Context, user_id: ObjectId, *, unread_only: bool, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Unread first, newest first within each group (keyset-paged; the cursor says which
    group it stopped in, so a message read meanwhile is neither skipped nor repeated)."""
    after = paging.decode(cursor)
    rows: list[dict[str, Any]] = []
    if after is None or after.group == 0:
        rows, next_cursor = await paging.newest_of_owner(
            ctx.db.notifications,
            {"user_id": user_id, "read": False},
            cursor=after,
            limit=limit,
            group=0,
        )
        if next_cursor is not None or unread_only:
            return rows, next_cursor
        after = None
    if len(rows) >= limit:
        # the unread group filled this page exactly: the read group starts the next one
        read = await ctx.db.notifications.find_one({"user_id": user_id, "read": True}, {"_id": 1})
        return rows, (paging.start_of(1) if read else None)
    more, next_cursor = await paging.newest_of_owner(
        ctx.db.notifications,
        {"user_id": user_id, "read": True},
        cursor=after,
        limit=limit - len(rows),
        group=1,
    )
    return rows + more, next_cursor


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


def _deep_link(ctx: Context, notice: Notice) -> str | None:
    """Tapping the WeChat message opens the order it is about, else the inbox."""
    if notice.order_id is not None:
        return f"{ctx.config.subscribe.order_page}?id={notice.order_id}"
    return str(ctx.config.subscribe.page) or None
