"""The two halves every domain calls around a write of user text and photos.

`screen` runs before the write (text checked, photo ids checked: a refusal writes
nothing); `settle` runs after it (photos bound to the owner, review/pending text flagged).
Orders do the same steps by hand (models/orders/machine.py); wishes, voices, activities and
rewards call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import safety, service
from models.people.users import Actor
from server.errors import ValidationFailed


async def screen(
    ctx: Context,
    actor: Actor,
    texts: dict[str, Any],
    photos: dict[str, Sequence[ObjectId]] | None = None,
    *,
    scene: int = safety.SCENE_FORUM,
    owner_id: ObjectId | None = None,
) -> safety.Verdict:
    """Refuse risky text (400 naming the field) and photo ids the actor may not attach."""
    verdict = await safety.check_text(
        ctx, actor, {k: v for k, v in texts.items() if isinstance(v, str)}, scene=scene
    )
    for field, ids in (photos or {}).items():
        if ids:
            await service.check_attachable(ctx, actor, list(ids), owner_id=owner_id, field=field)
    return verdict


async def settle(
    ctx: Context,
    actor: Actor,
    verdict: safety.Verdict,
    *,
    owner_type: str,
    owner_id: ObjectId,
    org_path: Sequence[ObjectId],
    photos: dict[str, Sequence[ObjectId]] | None = None,
) -> None:
    """After the owner is written: bind its photos and flag the text staff must see."""
    for field, ids in (photos or {}).items():
        if ids:
            await service.attach(
                ctx, actor, list(ids), owner_type=owner_type, owner_id=owner_id, field=field
            )
    await safety.record(
        ctx, verdict, owner_type=owner_type, owner_id=owner_id, org_path=list(org_path)
    )


async def insert_settled(
    ctx: Context,
    actor: Actor,
    verdict: safety.Verdict,
    collection: str,
    doc: dict[str, Any],
    *,
    owner_type: str,
    photos: dict[str, Sequence[ObjectId]],
) -> None:
    """Insert a new owner, then settle its photos and held text; a photo attached elsewhere
    meanwhile takes the owner away again (nobody has seen it yet) and refuses the write."""
    await ctx.db[collection].insert_one(doc)
    try:
        await settle(
            ctx,
            actor,
            verdict,
            owner_type=owner_type,
            owner_id=doc["_id"],
            org_path=doc["org_path"],
            photos=photos,
        )
    except ValidationFailed:
        await ctx.db[collection].delete_one({"_id": doc["_id"]})
        raise


def held_fields(verdict: safety.Verdict) -> dict[str, str]:
    """`$set` entries that mark this write's held fields in the owner's `moderation` map."""
    return {f"moderation.{k}": v for k, v in verdict.held.items()}


def photos_out(
    ctx: Context, doc: dict[str, Any], field: str, viewer: Actor
) -> list[dict[str, Any]]:
    """Signed URLs of an owner's photos (the caller decided the viewer may see the owner)."""
    return service.photo_json(ctx, doc.get(field) or [], viewer=viewer)


async def prefetch(ctx: Context, docs: Sequence[dict[str, Any]], *fields: str) -> None:
    """One query for the check states and sizes of the photos in `fields` of `docs`."""
    await service.prefetch(
        ctx, [m for d in docs for f in fields for m in d.get(f) or [] if isinstance(m, ObjectId)]
    )
