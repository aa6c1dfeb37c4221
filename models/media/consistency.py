"""Media consistency (`python -m server check`): attached items whose bytes are gone from the
blob store, and items attached to an owner that no longer exists.

Repair (`--repair`) detaches items whose owner is gone, so the orphan job removes them and
their bytes; an item whose bytes are missing is reported only (nothing can bring them back:
staff hide it in 内容审核 or the owner uploads again).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import safety
from models.media.storage import store_for

Problems = list[dict[str, Any]]
_BATCH = 500


async def drift(ctx: Context) -> Problems:
    store = store_for(ctx)
    problems: Problems = []
    by_owner: dict[str, dict[ObjectId, list[ObjectId]]] = {}
    cursor = ctx.db.media.find({"owner_id": {"$ne": None}}, {"owner_type": 1, "owner_id": 1}).sort(
        [("_id", 1)]
    )
    async for doc in cursor:
        for variant in ("full", "thumb"):
            if not await store.exists(f"{doc['_id']}/{variant}"):
                problems.append(
                    {
                        "kind": "blob_missing",
                        "media_id": doc["_id"],
                        "variant": variant,
                        "owner_type": doc.get("owner_type"),
                        "owner_id": doc["owner_id"],
                    }
                )
        by_owner.setdefault(doc.get("owner_type") or "", {}).setdefault(doc["owner_id"], []).append(
            doc["_id"]
        )
    for owner_type, owners in by_owner.items():
        collection = safety.OWNERS.get(owner_type)
        if collection is None:
            problems += [
                {"kind": "owner_type_unknown", "media_id": m, "owner_type": owner_type}
                for ids in owners.values()
                for m in ids
            ]
            continue
        ids = list(owners)
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            found = {
                d["_id"] async for d in ctx.db[collection].find({"_id": {"$in": chunk}}, {"_id": 1})
            }
            problems += [
                {
                    "kind": "owner_missing",
                    "media_id": m,
                    "owner_type": owner_type,
                    "owner_id": owner,
                }
                for owner in chunk
                if owner not in found
                for m in owners[owner]
            ]
    return problems


async def repair(ctx: Context, problems: Problems) -> int:
    """Detach items whose owner is gone (the orphan job then removes them, bytes too)."""
    gone = [p["media_id"] for p in problems if p["kind"] == "owner_missing"]
    if not gone:
        return 0
    result = await ctx.db.media.update_many(
        {"_id": {"$in": gone}},
        {"$set": {"owner_type": None, "owner_id": None, "attached_at": None}},
    )
    for mid in gone:
        ctx.cache.get("media_facts", {}).pop(mid, None)
    return int(result.modified_count)
