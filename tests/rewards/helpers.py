"""Shared set-up of the rewards tests: points for members, items, a redeem in one call."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core import uow
from models.core.context import Context
from models.ops.checks import run_checks
from models.people.users import Actor, create_user
from models.points import ledger
from models.rewards import items


def race_in_database(ctx: Context) -> None:
    """Redemptions of one item race in the database, not in the per-process queue."""
    ctx.config = ctx.config.replace(rewards={"queue_redemptions": False})


async def give_points(ctx: Context, user: dict[str, Any], amount: int, key: str = "") -> None:
    entry = ledger.LedgerEntry(
        member_id=user["_id"],
        kind="points",
        delta=amount,
        reason="志愿活动积分",
        source_type="activity",
        source_id=ObjectId(),
        idempotency_key=key or f"test:{ObjectId()}",
    )

    async def work(session: Any) -> Any:
        return await ledger.append(ctx, session, [entry], org_path=list(user["org_path"]))

    await uow.in_transaction(ctx, work)


async def member(ctx: Context, world: Any, name: str, points: float = 0, org: str = "A1") -> Actor:
    user = await create_user(
        ctx,
        role="member",
        name=name,
        openid=f"openid-{ObjectId()}",
        org_id=world.orgs[org]["_id"],
        party_status="正式党员",
    )
    if points:
        await give_points(ctx, user, points)
    return Actor.from_user(await ctx.db.users.find_one({"_id": user["_id"]}))


async def item(ctx: Context, world: Any, **fields: Any) -> dict[str, Any]:
    data = {
        "org_id": world.orgs["A"]["_id"],
        "name": "洗衣液",
        "price": 10,
        "stock": 10,
        "pickup_place": "阳光社区党群服务中心",
        "pickup_hours": "工作日 9:00-17:00",
        "merchant": "阳光超市",
        **fields,
    }
    return await items.create_item(ctx, world.actor("sec_a"), data)


async def balance(ctx: Context, actor: Actor) -> float:
    user = await ctx.db.users.find_one({"_id": actor.id})
    return float(user["points_balance"])


async def assert_clean(ctx: Context) -> None:
    outcomes = await run_checks(ctx)
    problems = {o.check.name: o.problems for o in outcomes if o.problems}
    assert not problems, problems
