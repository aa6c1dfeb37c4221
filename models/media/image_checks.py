"""Image content safety (mediaCheckAsync): submit each upload, take WeChat's pushed
verdict, hide a risky image everywhere and tell staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import service
from models.media.safety import PASS, REVIEW, RISKY, _gateway, _notify_staff, _owner_path
from models.people.users import Actor
from server.errors import AppError


async def submit_image(ctx: Context, doc: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Send a stored image to mediaCheckAsync; its state after the attempt."""
    wechat = _gateway(ctx)
    openid = actor.doc.get("openid")
    if wechat is None or not openid:  # not configured, or staff: nothing to ask
        return await _set_image(ctx, doc, service.PASSED)
    now = ctx.now()
    try:
        trace = await wechat.media_check_async(
            openid, int(ctx.config.media.check_scene), service.check_url(ctx, doc["_id"])
        )
    except AppError:
        attempts = doc.get("check", {}).get("attempts", 0) + 1
        backoff = timedelta(seconds=min(3600, 30 * 2 ** min(attempts, 7)))
        await ctx.db.media.update_one(
            {"_id": doc["_id"]},
            {
                "$set": {
                    "check": {"attempts": attempts, "next_at": now + backoff},
                    "openid": openid,
                    "updated_at": now,
                }
            },
        )
        return {**doc, "check": {"attempts": attempts, "next_at": now + backoff}}
    await ctx.db.media.update_one(
        {"_id": doc["_id"], "status": service.UNCHECKED},
        {
            "$set": {
                "status": service.CHECKING,
                "trace_id": trace,
                "check": {"attempts": 0, "next_at": None, "submitted_at": now},
                "updated_at": now,
            }
        },
    )
    return {**doc, "status": service.CHECKING, "trace_id": trace}


async def _set_image(ctx: Context, doc: dict[str, Any], status: str) -> dict[str, Any]:
    await ctx.db.media.update_one(
        {"_id": doc["_id"]},
        {"$set": {"status": status, "check.next_at": None, "updated_at": ctx.now()}},
    )
    return {**doc, "status": status}


async def on_image_verdict(ctx: Context, message: dict[str, Any]) -> str:
    """A `wxa_media_check` push: apply WeChat's verdict to the image with that trace_id.

    Idempotent (WeChat retries a push it thinks failed). Returns what was done.
    """
    if message.get("Event") != "wxa_media_check":
        return "ignored"
    trace = str(message.get("trace_id") or "")
    result = message.get("result") or {}
    suggest = str(result.get("suggest") or "")
    if not trace or suggest not in (PASS, REVIEW, RISKY):
        return "ignored"
    doc = await ctx.db.media.find_one({"trace_id": trace})
    if doc is None:
        return "unknown"
    updated = await ctx.db.media.update_one(
        {"_id": doc["_id"], "status": service.CHECKING},
        {
            "$set": {
                "status": suggest,
                "verdict_label": result.get("label"),
                "updated_at": ctx.now(),
            }
        },
    )
    if updated.modified_count != 1:
        return "already"
    if suggest in (REVIEW, RISKY):
        org_path = await _owner_path(ctx, doc)
        now = ctx.now()
        await ctx.db.content_flags.update_one(
            {"media_id": doc["_id"]},
            {
                "$setOnInsert": {
                    "_id": ObjectId(),
                    "kind": "image",
                    "media_id": doc["_id"],
                    "owner_type": doc.get("owner_type"),
                    "owner_id": doc.get("owner_id"),
                    "field": "photos",
                    "text": "",
                    "author_id": doc["uploader_id"],
                    "label": result.get("label"),
                    "org_path": org_path,
                    "status": suggest,
                    "created_at": now,
                    "updated_at": now,
                }
            },
            upsert=True,
        )
        if suggest == RISKY:
            await _notify_staff(ctx, org_path, f"media:{doc['_id']}:risky", "图片")
    return suggest
