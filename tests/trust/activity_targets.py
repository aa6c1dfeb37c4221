"""Activities in every state the access matrix calls on, built through the model services
(branch A1's, organised by sec_a1; m1 the member signed up where the kind says so)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from bson import ObjectId

from models import activities
from models.activities import qr
from tests.world import World

SITE = {"type": "Point", "coordinates": [116.40, 39.90]}
SERIAL = itertools.count(1)  # each target at a time of its own: m1's sign-ups never overlap


def create_body_names(world: World) -> dict[str, str]:
    """A start and end in the future, for the create calls' bodies."""
    start = world.ctx.now() + timedelta(days=1)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}


async def activity_target(world: World, kind: str) -> tuple[ObjectId, dict[str, str]]:
    """`activity …` target kinds → the activity's id and the names its calls need."""
    ctx = world.ctx
    state = kind.removeprefix("activity").strip()
    start = ctx.now() + timedelta(days=2, hours=4 * next(SERIAL))
    act = await activities.create_activity(
        ctx,
        world.actor("sec_a1"),
        {
            "org_id": world.orgs["A1"]["_id"],
            "kind": "volunteer",
            "title": f"矩阵活动 {ObjectId()}",
            "address": "阳光社区广场",
            "location": SITE,
            "radius_m": 300,
            "start_at": start,
            "end_at": start + timedelta(hours=3),
            "capacity": 20,
            "points_mode": "per_hour",
            "points_value": 2,
            "publish": state != "draft",
        },
    )
    aid = act["_id"]
    names: dict[str, str] = {}
    if state in ("draft", "of A1"):
        return aid, names
    await activities.sign_up(ctx, world.actor("m1"), aid)
    if state == "m1 signed up":
        return aid, names
    # under way: started 10 minutes ago
    began = ctx.now() - timedelta(minutes=10)
    times: dict[str, Any] = {"start_at": began, "end_at": began + timedelta(hours=3)}
    if state == "ended":
        began = ctx.now() - timedelta(hours=4)
        times = {"start_at": began, "end_at": began + timedelta(hours=3)}
    await ctx.db.activities.update_one({"_id": aid}, {"$set": {**times, "signup_closes_at": began}})
    await ctx.db.activity_signups.update_many({"activity_id": aid}, {"$set": times})
    names["token"] = qr.issue(ctx, aid, "in")[0]
    if state == "in progress":
        return aid, names
    await activities.correct(
        ctx,
        world.actor("sec_a1"),
        aid,
        {
            "member_id": world.id("m1"),
            "action": "checkin",
            "at": times["start_at"],
            "reason": "补签",
        },
    )
    names["token"] = qr.issue(ctx, aid, "out")[0]
    if state == "checked in":
        return aid, names
    await activities.correct(
        ctx,
        world.actor("sec_a1"),
        aid,
        {
            "member_id": world.id("m1"),
            "action": "checkout",
            "at": times["start_at"] + timedelta(hours=2),
            "reason": "补签",
        },
    )
    doc = await ctx.db.activities.find_one({"_id": aid})
    await activities.end_activity(ctx, doc)
    return aid, names
