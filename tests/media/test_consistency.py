"""The media check of `python -m server check`: missing bytes and vanished owners found;
`--repair` detaches photos whose owner is gone (the orphan job removes them) and nothing else."""

from __future__ import annotations

import pytest
from bson import ObjectId

from models.media import consistency
from models.media.storage import store_for
from models.ops.checks import run_checks
from tests.media.conftest import upload
from tests.media.samples import photo


@pytest.mark.gen_test(timeout=90)
async def test_media_check_finds_missing_bytes_and_owners(api, world, ctx):
    owner = await api.login("openid-owner")
    ids = []
    for _ in range(2):
        status, up = await upload(api, owner, photo(size=(80, 60)))
        assert status == 201
        ids.append(up["id"])
    placed = []
    for mid in ids:
        status, order = await api.post(
            "/api/v1/orders", world.order_body(photos=[mid]), token=owner
        )
        assert status == 201, order
        placed.append(ObjectId(order["id"]))
    assert await consistency.drift(ctx) == []

    await store_for(ctx).delete(f"{ids[0]}/thumb")
    await ctx.db.orders.delete_one({"_id": placed[1]})
    problems = await consistency.drift(ctx)
    kinds = sorted((p["kind"], str(p["media_id"])) for p in problems)
    assert kinds == [("blob_missing", ids[0]), ("owner_missing", ids[1])]

    outcome = next(o for o in await run_checks(ctx, repair=True) if o.check.name == "media")
    assert outcome.repaired == 1
    detached = await ctx.db.media.find_one({"_id": ObjectId(ids[1])})
    assert detached["owner_id"] is None and detached["owner_type"] is None
    kept = await ctx.db.media.find_one({"_id": ObjectId(ids[0])})
    assert kept["owner_id"] == placed[0]  # missing bytes are reported, never "repaired"
    assert [p["kind"] for p in await consistency.drift(ctx)] == ["blob_missing"]
