"""Every query the media domain repeats is served by an index (no collection scan)."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId

QUERIES = [
    ("media", {"trace_id": "T"}),  # WeChat's pushed verdict
    ("media", {"owner_id": None, "created_at": {"$lt": "2030-01-01"}}),  # orphan cleanup
    ("media", {"status": "unchecked", "check.next_at": {"$lte": "2030-01-01"}}),  # resubmit
    ("content_flags", {"status": "pending", "next_check_at": {"$lte": "2030-01-01"}}),  # recheck
    ("content_flags", {"org_path": ObjectId(), "status": {"$in": ["review", "risky"]}}),  # 内容审核
    ("content_flags", {"media_id": ObjectId()}),
]


@pytest.mark.gen_test(timeout=60)
async def test_media_queries_use_an_index(ctx):
    for collection, query in QUERIES:
        plan = await ctx.db.command("explain", {"find": collection, "filter": query})
        text = json.dumps(plan, default=str)
        assert "COLLSCAN" not in text and "IXSCAN" in text, (collection, query, text[:400])
    # the check can fail: an unindexed field is a scan
    plan = await ctx.db.command("explain", {"find": "media", "filter": {"bytes": 5}})
    assert "COLLSCAN" in json.dumps(plan, default=str)
