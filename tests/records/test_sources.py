"""The record counts activities attended (hours, 三会一课 among them), wishes fulfilled and
opinions handled, with the member's handler profile; each source query is indexed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bson import ObjectId


async def seed(ctx, world):
    member, now = world.id("m1"), ctx.now()
    acts = [
        {"_id": ObjectId(), "title": "社区清洁日", "kind": "volunteer", "org_name": "A1"},
        {"_id": ObjectId(), "title": "支部党员大会", "kind": "branch_assembly", "org_name": "A1"},
        {"_id": ObjectId(), "title": "缺席的活动", "kind": "volunteer", "org_name": "A1"},
        {"_id": ObjectId(), "title": "两年前的活动", "kind": "volunteer", "org_name": "A1"},
    ]
    await ctx.db.activities.insert_many(acts)
    ends = [now - timedelta(days=10), now - timedelta(days=5), now - timedelta(days=3)]
    ends.append(now - timedelta(days=800))
    await ctx.db.activity_signups.insert_many(
        [
            {
                "activity_id": a["_id"],
                "member_id": member,
                "status": "confirmed",
                "start_at": end - timedelta(hours=2),
                "end_at": end,
                "attended": i != 2,
                "hours_awarded": 2.0 if i != 2 else 0,
                "settled_at": end,
            }
            for i, (a, end) in enumerate(zip(acts, ends, strict=True))
        ]
    )
    await ctx.db.wishes.insert_one(
        {
            "title": "书包",
            "category": "学习用品",
            "org_name": "A",
            "claimant_id": member,
            "status": "confirmed",
            "confirmed_at": now - timedelta(days=2),
            "hours": 1.0,
        }
    )
    await ctx.db.voices.insert_many(
        [
            {
                "kind": "request",
                "category": "环境卫生",
                "org_name": "A1",
                "handler_id": member,
                "status": "closed",
                "rating": "满意",
                "rating_comment": comment,
                "moderation": moderation,
                "first_closed_at": now - timedelta(days=1),
                "closed_at": now - timedelta(days=1),
            }
            for comment, moderation in (("办得快", {}), ("不宜引用", {"rating_comment": "hidden"}))
        ]
    )


@pytest.mark.gen_test(timeout=90)
async def test_record_counts_activities_wishes_and_voices(api, world, ctx):
    await seed(ctx, world)
    m1 = await api.login("openid-m1")
    status, rec = await api.get("/api/v1/me/record", token=m1)
    assert status == 200, rec
    t = rec["totals"]
    assert (t["activities"], t["meetings"], t["activities_hours"]) == (2, 1, 4.0)
    assert (t["wishes"], t["wishes_hours"], t["voices"]) == (1, 1.0, 2)
    assert [a["title"] for a in rec["sections"]["activities"]] == ["支部党员大会", "社区清洁日"]
    assert [w["title"] for w in rec["sections"]["wishes"]] == ["书包"]
    hp = rec["handler_profile"]
    assert hp["cases_handled"] == 2 and hp["stars"] == 5.0 and hp["reviews"] == ["满意：办得快"]
    sec = await api.login("openid-sec_a1")
    status, dossier = await api.get(
        f"/api/v1/members/{world.id('m1')}/dossier?stage=积极分子", token=sec
    )
    assert status == 200, dossier
    line = next(line for line in dossier["lines"] if line["key"] == "activities")
    assert (line["actual"], line["threshold"], line["met"]) == (2, 4, False)


@pytest.mark.gen_test(timeout=60)
async def test_record_source_queries_use_an_index(ctx):
    now, who = ctx.now(), ObjectId()
    span = {"$gte": now - timedelta(days=365), "$lt": now}
    for collection, query in (
        ("activity_signups", {"member_id": who, "end_at": span}),
        ("wishes", {"claimant_id": who, "confirmed_at": span}),
        ("voices", {"handler_id": who, "first_closed_at": span}),
    ):
        plan = json.dumps(
            await ctx.db.command("explain", {"find": collection, "filter": query}), default=str
        )
        assert "COLLSCAN" not in plan and "IXSCAN" in plan, (collection, plan[:400])
    plan = await ctx.db.command("explain", {"find": "wishes", "filter": {"thanks": "x"}})
    assert "COLLSCAN" in json.dumps(plan, default=str)  # the check can fail
