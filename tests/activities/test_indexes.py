"""The activity queries of requests and jobs are served by an index (no collection scan),
so they cost the same however many activities and sign-ups there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from tests.activities.helpers import make_activity


def stages(plan: dict) -> list[str]:
    out = []
    node = plan["queryPlanner"]["winningPlan"]
    while node:
        out.append(node.get("stage", ""))
        node = node.get("inputStage")
    return out


@pytest.mark.gen_test(timeout=60)
async def test_activity_queries_use_indexes(world, ctx):
    for i in range(3):
        await make_activity(
            world,
            title=f"活动{i}",
            start_at=ctx.now() + timedelta(days=2 + i),
            end_at=ctx.now() + timedelta(days=2 + i, hours=2),
        )
    now = ctx.now()
    acts, signups = ctx.db.activities, ctx.db.activity_signups
    member = world.id("m1")
    queries = {
        "member list": acts.find(
            {"org_id": {"$in": list(world.actor("m1").org_path)}, "status": {"$in": ["published"]}},
            hint=[("org_id", 1), ("start_at", -1)],
        ).sort([("start_at", -1), ("_id", -1)]),
        "staff list": acts.find({"org_path": world.orgs["A1"]["_id"]}).sort(
            [("start_at", -1), ("_id", -1)]
        ),
        "resident list": acts.find(
            {"open_to_residents": True, "status": {"$in": ["published"]}},
            hint=[("open_to_residents", 1), ("start_at", -1)],
        ),
        "job: due to end": acts.find({"status": "published", "end_at": {"$lte": now}}),
        "job: reminders": acts.find(
            {"status": "published", "start_at": {"$gt": now, "$lte": now + timedelta(hours=24)}}
        ),
        "overlap": signups.find(
            {
                "member_id": member,
                "status": {"$in": ["pending", "confirmed", "waiting"]},
                "start_at": {"$lt": now},
                "end_at": {"$gt": now},
            },
            hint=[("member_id", 1), ("end_at", 1)],
        ),
        "waiting list": signups.find({"activity_id": ObjectId(), "status": "waiting"}).sort(
            [("queued_at", 1), ("_id", 1)]
        ),
        "settle batch": signups.find(
            {"activity_id": ObjectId(), "status": "confirmed", "settled_at": None}
        ),
        "my activities": signups.find(
            {"member_id": member, "status": {"$in": ["confirmed"]}},
            hint=[("member_id", 1), ("start_at", -1)],
        ),
    }
    scans = {}
    for name, cursor in queries.items():
        plan = stages(await cursor.explain())
        if "COLLSCAN" in plan:
            scans[name] = plan
    assert scans == {}
