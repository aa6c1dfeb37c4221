"""Media items: upload, attach to what they illustrate, hand out signed URLs, serve, clean up.

A media document holds the facts of one uploaded image (uploader, size, ETags, the content
check's state, what it is attached to); the bytes live in the blob store (storage.py).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core.clock import local_day
from models.core.context import Context
from models.media import images, signing
from models.media.storage import store_for
from models.people.users import Actor
from server.errors import NotFound, RateLimited, ValidationFailed

# The content check of an image (WeChat mediaCheckAsync) and who may see it meanwhile.
UNCHECKED = "unchecked"  # WeChat not reached yet: a job submits it again
CHECKING = "checking"  # submitted, waiting for WeChat's push
PASSED = "pass"
REVIEW = "review"  # WeChat says a person should look: uploader and staff only, flagged
RISKY = "risky"  # hidden everywhere, staff notified
APPROVED = "approved"  # staff looked at a flagged image and let it through
HIDDEN = "hidden"  # staff hid it
PUBLIC = frozenset({PASSED, APPROVED})
PRIVATE = frozenset({UNCHECKED, CHECKING, REVIEW})  # uploader and staff
FLAGGED = frozenset({REVIEW, RISKY})

_CACHE_MAX = 20_000
# Decoding and re-encoding a 5 MB photo takes ~1 s of one core. One image at a time per
# process: concurrent uploads queue here instead of starving the event loop and the
# database of CPU (measured: 4 at once on 2 cores pushed DB calls past their timeout).
_IMAGING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imaging")


def _cfg(ctx: Context) -> Any:
    return ctx.config.media


# ------------------------------------------------------------------ upload


async def upload(ctx: Context, actor: Actor, data: bytes) -> dict[str, Any]:
    """One image: validated and re-encoded off the loop, counted against the daily quota,
    stored (full + thumb), then sent to the content check. Returns the media document."""
    cfg = _cfg(ctx)
    loop = asyncio.get_running_loop()
    processed = await loop.run_in_executor(
        _IMAGING,
        functools.partial(
            images.process,
            data,
            max_bytes=int(cfg.max_bytes),
            max_side=int(cfg.max_side),
            thumb_side=int(cfg.thumb_side),
            max_pixels=int(cfg.max_pixels),
        ),
    )
    await _take_quota(ctx, actor)
    media_id = ObjectId()
    store = store_for(ctx)
    await store.put(f"{media_id}/full", processed.full, processed.content_type)
    await store.put(f"{media_id}/thumb", processed.thumb, processed.content_type)
    now = ctx.now()
    doc: dict[str, Any] = {
        "_id": media_id,
        "uploader_id": actor.id,
        "uploader_org_path": list(actor.org_path),
        "content_type": processed.content_type,
        "width": processed.width,
        "height": processed.height,
        "thumb_width": processed.thumb_width,
        "thumb_height": processed.thumb_height,
        "bytes": len(processed.full),
        "etag": {
            "full": hashlib.sha256(processed.full).hexdigest()[:32],
            "thumb": hashlib.sha256(processed.thumb).hexdigest()[:32],
        },
        "status": UNCHECKED,
        "check": {"attempts": 0, "next_at": now},
        "owner_type": None,
        "owner_id": None,
        "org_path": list(actor.org_path),
        "created_at": now,
        "updated_at": now,
    }
    await ctx.db.media.insert_one(doc)

    from models.media import image_checks  # it reads the owners through this module

    doc = await image_checks.submit_image(ctx, doc, actor)
    _remember(ctx, doc)
    return doc


async def _take_quota(ctx: Context, actor: Actor) -> None:
    """Per-user daily upload quota (Beijing day); exactly `daily_quota` uploads get through."""
    limit = int(_cfg(ctx).daily_quota)
    day = local_day(ctx.now()).strftime("%Y%m%d")
    try:
        await ctx.db.media_quota.update_one(
            {"_id": f"{actor.id}:{day}", "n": {"$lt": limit}},
            {"$inc": {"n": 1}, "$setOnInsert": {"expires_at": ctx.now() + timedelta(days=2)}},
            upsert=True,
        )
    except DuplicateKeyError:
        raise RateLimited(
            f"今天上传的图片已达 {limit} 张，请明天再试", code="media_quota_exceeded"
        ) from None


# ------------------------------------------------------------------ attach


async def attach(
    ctx: Context,
    actor: Actor,
    media_ids: list[ObjectId],
    *,
    owner_type: str,
    owner_id: ObjectId,
    field: str = "photos",
) -> list[ObjectId]:
    """Bind uploaded images to what they illustrate (an order, a completion, a wish …).

    Only the uploader may attach an item, and only once: an id someone else uploaded, an
    unknown id, or one already attached to something else is refused (400 naming the
    field). Attaching again to the same owner is a no-op (a retried request).
    """
    ids = list(dict.fromkeys(media_ids))
    if not ids:
        return []
    docs = await check_attachable(ctx, actor, ids, owner_id=owner_id, field=field)
    done: list[ObjectId] = []
    now = ctx.now()
    for mid in ids:
        if docs[mid].get("owner_id") == owner_id:
            continue
        result = await ctx.db.media.update_one(
            {"_id": mid, "uploader_id": actor.id, "owner_id": None},
            {
                "$set": {
                    "owner_type": owner_type,
                    "owner_id": owner_id,
                    "attached_at": now,
                    "updated_at": now,
                }
            },
        )
        if result.modified_count != 1:  # attached elsewhere by a racing request: undo ours
            if done:
                await ctx.db.media.update_many(
                    {"_id": {"$in": done}, "owner_id": owner_id},
                    {"$set": {"owner_type": None, "owner_id": None, "attached_at": None}},
                )
            raise ValidationFailed(
                "图片无效，请重新上传",
                code="media_not_attachable",
                fields={field: f"图片 {mid} 已被使用"},
            )
        done.append(mid)
    return ids


async def check_attachable(
    ctx: Context,
    actor: Actor,
    media_ids: list[ObjectId],
    *,
    owner_id: ObjectId | None = None,
    field: str = "photos",
) -> dict[ObjectId, dict[str, Any]]:
    """The read-only half of `attach`: call it before writing the owner, so a refused id
    leaves nothing written. Returns the media documents by id."""
    ids = list(dict.fromkeys(media_ids))
    if not ids:
        return {}
    docs = {d["_id"]: d async for d in ctx.db.media.find({"_id": {"$in": ids}})}
    for mid in ids:
        doc = docs.get(mid)
        mine = doc is not None and doc["uploader_id"] == actor.id and doc["status"] != HIDDEN
        elsewhere = doc is not None and doc.get("owner_id") not in (None, owner_id)
        if not mine or elsewhere:
            raise ValidationFailed(
                "图片无效，请重新上传",
                code="media_not_attachable",
                fields={field: f"图片 {mid} 不存在、不是您上传的或已被使用"},
            )
    return docs


# ------------------------------------------------------------------ URLs for viewers


@dataclass(frozen=True)
class _Facts:
    uploader_id: ObjectId
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    status: str


def _remember(ctx: Context, doc: dict[str, Any]) -> None:
    cache: dict[ObjectId, _Facts] = ctx.cache.setdefault("media_facts", {})
    if len(cache) > _CACHE_MAX:
        cache.clear()
    cache[doc["_id"]] = _Facts(
        doc["uploader_id"],
        doc["width"],
        doc["height"],
        doc.get("thumb_width", 0),
        doc.get("thumb_height", 0),
        doc["status"],
    )


async def prefetch(ctx: Context, media_ids: Iterable[ObjectId]) -> None:
    """Load what `photo_json` needs (size, uploader, check state) in one indexed query.

    Call it before serialising owners whose photos are shown; without it `photo_json`
    falls back to what this process last saw (the serving handler checks again anyway).
    """
    ids = list({m for m in media_ids if isinstance(m, ObjectId)})
    if not ids:
        return
    projection = {
        "uploader_id": 1,
        "width": 1,
        "height": 1,
        "thumb_width": 1,
        "thumb_height": 1,
        "status": 1,
    }
    async for doc in ctx.db.media.find({"_id": {"$in": ids}}, projection):
        _remember(ctx, doc)


def may_see(status: str, uploader_id: ObjectId | None, viewer: Actor) -> bool:
    if status in PUBLIC:
        return True
    if status in PRIVATE:
        return viewer.is_staff or viewer.id == uploader_id
    return False  # risky / hidden: only through the moderation page


def photo_json(ctx: Context, media_ids: Iterable[Any], *, viewer: Actor) -> list[dict[str, Any]]:
    """`[{id, url, thumb_url, width, height}]` for the photos `viewer` may see now.

    The caller has already decided that the viewer may see the owner. Photos still being
    checked are given to their uploader and staff only; hidden ones to nobody. Anything
    that is not a media id (a path stored before uploads existed) is left out.
    """
    cfg = _cfg(ctx)
    secret = str(cfg.url_secret)
    base = str(cfg.public_base_url).rstrip("/")
    expires = signing.expiry(ctx.now(), int(cfg.url_ttl_seconds))
    audience = signing.STAFF_AUDIENCE if viewer.is_staff else str(viewer.id)
    cache: dict[ObjectId, _Facts] = ctx.cache.get("media_facts", {})
    out = []
    for mid in media_ids:
        if not isinstance(mid, ObjectId):
            continue
        facts = cache.get(mid)
        if facts is not None and not may_see(facts.status, facts.uploader_id, viewer):
            continue
        out.append(
            {
                "id": str(mid),
                "url": base + signing.signed_path(secret, mid, "full", expires, audience),
                "thumb_url": base + signing.signed_path(secret, mid, "thumb", expires, audience),
                "width": facts.width if facts else None,
                "height": facts.height if facts else None,
            }
        )
    return out


def staff_url(ctx: Context, media_id: ObjectId, variant: str = "thumb") -> str:
    """A signed URL for staff (moderation and admin pages)."""
    cfg = _cfg(ctx)
    expires = signing.expiry(ctx.now(), int(cfg.url_ttl_seconds))
    return str(cfg.public_base_url).rstrip("/") + signing.signed_path(
        str(cfg.url_secret), media_id, variant, expires, signing.STAFF_AUDIENCE
    )


def check_url(ctx: Context, media_id: ObjectId) -> str:
    """An absolute URL WeChat's checker fetches the image from (staff audience, 1 day)."""
    cfg = _cfg(ctx)
    expires = int(ctx.now().timestamp()) + 86400
    return str(cfg.public_base_url).rstrip("/") + signing.signed_path(
        str(cfg.url_secret), media_id, "full", expires, signing.STAFF_AUDIENCE
    )


# ------------------------------------------------------------------ serving


@dataclass(frozen=True)
class Blob:
    data: bytes
    content_type: str
    etag: str
    max_age: int


async def open_signed(
    ctx: Context, media_id: str, variant: str, expires: str, audience: str, sig: str
) -> tuple[str, str, int, Any]:
    """Check a signed URL; (etag, content type, max-age, loader) or 404/403.

    A bad or expired signature is 403; an item the audience may not see (hidden, or still
    checked and not theirs) is 404 like an unknown id. The loader fetches the bytes, so a
    304 never touches the blob store.
    """
    cfg = _cfg(ctx)
    now = ctx.now()
    if not signing.verify(str(cfg.url_secret), media_id, variant, expires, audience, sig, now):
        from server.errors import Forbidden

        raise Forbidden("图片链接无效或已过期，请刷新页面", code="media_url_invalid")
    try:
        oid = ObjectId(media_id)
    except Exception:
        raise NotFound("图片不存在", code="media_not_found") from None
    doc = await ctx.db.media.find_one({"_id": oid}, {"etag": 1, "content_type": 1, **_SEE})
    if doc is None or not _audience_sees(doc, audience):
        raise NotFound("图片不存在", code="media_not_found")
    max_age = max(0, int(expires) - int(now.timestamp()))
    store = store_for(ctx)

    async def load() -> bytes:
        data = await store.get(f"{media_id}/{variant}")
        if data is None:
            raise NotFound("图片不存在", code="media_not_found")
        return data

    return doc["etag"][variant], doc["content_type"], max_age, load


_SEE = {"status": 1, "uploader_id": 1}


def _audience_sees(doc: dict[str, Any], audience: str) -> bool:
    if audience == signing.STAFF_AUDIENCE:
        return True  # staff see flagged and hidden items too (moderation)
    status = doc["status"]
    if status in PUBLIC:
        return True
    return status in PRIVATE and str(doc["uploader_id"]) == audience


# ------------------------------------------------------------------ cleanup


async def remove(ctx: Context, doc: dict[str, Any]) -> bool:
    """Delete one unattached item (document first, so it cannot be attached meanwhile)."""
    result = await ctx.db.media.delete_one({"_id": doc["_id"], "owner_id": None})
    if result.deleted_count != 1:
        return False
    store = store_for(ctx)
    await store.delete(f"{doc['_id']}/full")
    await store.delete(f"{doc['_id']}/thumb")
    ctx.cache.get("media_facts", {}).pop(doc["_id"], None)
    return True


async def cleanup_orphans(ctx: Context, batch: int = 500) -> dict[str, int]:
    """Job: items nobody attached within `media.orphan_hours` are removed, bytes too."""
    cutoff = ctx.now() - timedelta(hours=float(_cfg(ctx).orphan_hours))
    docs = (
        await ctx.db.media.find({"owner_id": None, "created_at": {"$lt": cutoff}}, {"_id": 1})
        .limit(batch)
        .to_list(batch)
    )
    removed = 0
    for doc in docs:
        removed += int(await remove(ctx, doc))
    return {"orphans_removed": removed}


def photo_ids(owners: Iterable[dict[str, Any]]) -> list[ObjectId]:
    """Every media id in the `photos`/`completion_photos` of some owners (for prefetch)."""
    return [
        m
        for o in owners
        for key in ("photos", "completion_photos")
        for m in o.get(key) or []
        if isinstance(m, ObjectId)
    ]
