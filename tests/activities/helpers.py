"""Activities built through the model services, and members to fill them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from models import activities
from models.people.users import create_user
from tests.world import World

SITE = {"type": "Point", "coordinates": [116.40, 39.90]}
NEAR_SITE = {"type": "Point", "coordinates": [116.4005, 39.9003]}  # about 45 m away
FAR_AWAY = {"type": "Point", "coordinates": [116.4235, 39.90]}  # about 2 km east


async def make_activity(
    world: World, *, org: str = "A1", by: str = "sec_a1", publish: bool = True, **over: Any
) -> dict[str, Any]:
    ctx = world.ctx
    start = ctx.now() + timedelta(days=2)
    data: dict[str, Any] = {
        "org_id": world.orgs[org]["_id"],
        "kind": "volunteer",
        "title": "社区环境清洁日",
        "description": "清理楼道和绿化带",
        "address": "阳光社区广场",
        "location": SITE,
        "radius_m": 200,
        "start_at": start,
        "end_at": start + timedelta(hours=3),
        "capacity": None,
        "points_mode": "per_hour",
        "points_value": 2,
        "publish": publish,
        **over,
    }
    return await activities.create_activity(ctx, world.actor(by), data)


async def members(world: World, n: int, org: str = "A1", prefix: str = "act") -> list[ObjectId]:
    out = []
    for i in range(n):
        user = await create_user(
            world.ctx,
            role="member",
            name=f"{prefix}队员{i}",
            org_id=world.orgs[org]["_id"],
            openid=f"{prefix}-{i}",
            party_status="正式党员",
        )
        out.append(user["_id"])
    return out


async def move_to(world: World, activity_id: ObjectId, *, minutes_from_start: float) -> None:
    """Shift the activity (and its sign-ups) so that now is `minutes_from_start` after its start."""
    ctx = world.ctx
    act = await ctx.db.activities.find_one({"_id": activity_id})
    span = act["end_at"] - act["start_at"]
    start = ctx.now() - timedelta(minutes=minutes_from_start)
    fields = {"start_at": start, "end_at": start + span}
    await ctx.db.activities.update_one(
        {"_id": activity_id},
        {
            "$set": {
                **fields,
                "signup_closes_at": start,
                "signup_opens_at": start - timedelta(days=3),
            }
        },
    )
    await ctx.db.activity_signups.update_many({"activity_id": activity_id}, {"$set": fields})
