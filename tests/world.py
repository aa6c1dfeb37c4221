"""A small organisation with people in every role, built through the model services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pymongo
from bson import ObjectId
from pymongo.asynchronous.mongo_client import AsyncMongoClient

from models import orders
from models.core.context import Context
from models.orders import catalogue
from models.people import orgs
from models.people.users import Actor, create_user

HERE = {"type": "Point", "coordinates": [116.40, 39.90]}


async def drop_database(client: AsyncMongoClient, name: str) -> None:
    """A test's database dropped at its end: not a request, so not under the app's 1.5 s
    bound, which cancelled it when the suite's workers loaded the machine."""
    with pymongo.timeout(120):
        await client.drop_database(name)


@dataclass
class World:
    ctx: Context
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    category: dict[str, Any] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return Actor.from_user(self.users[name])

    def id(self, name: str) -> ObjectId:
        return ObjectId(self.users[name]["_id"])

    async def refresh(self, name: str) -> Actor:
        self.users[name] = await self.ctx.db.users.find_one({"_id": self.id(name)})
        return self.actor(name)

    def order_body(self, **extra: Any) -> dict[str, Any]:
        return {
            "category_id": str(self.category["_id"]),
            "org_id": str(self.orgs["A1"]["_id"]),
            "description": "家里空调不制冷，需要上门看看",
            "address": "阳光社区 3 号楼 2 单元 501",
            "location": HERE,
            "contact_phone": "13812345678",
            **extra,
        }

    async def order_in(self, state: str, *, member: str = "m1", owner: str = "owner") -> ObjectId:
        """A fresh order driven through the real transitions up to `state`."""
        ctx = self.ctx
        body = self.order_body()
        data = {
            **body,
            "category_id": self.category["_id"],
            "org_id": self.orgs["A1"]["_id"],
        }
        order, _ = await orders.place_order(ctx, self.actor(owner), data)
        oid = order["_id"]
        if state == "submitted":
            return oid
        await orders.dispatch_order(
            ctx,
            self.actor("sec_a1"),
            oid,
            {"volunteer_ids": [self.id(member)], "due_at": ctx.now() + timedelta(days=1)},
        )
        if state == "dispatched":
            return oid
        await orders.accept_order(ctx, await self.refresh(member), oid)
        if state == "accepted":
            return oid
        await orders.start_order(ctx, self.actor(member), oid)
        if state == "in_service":
            return oid
        await orders.complete_order(ctx, self.actor(member), oid, {"note": "已修好"})
        if state == "completed":
            return oid
        raise ValueError(state)


async def build_world(ctx: Context) -> World:
    w = World(ctx)
    city = await orgs.create_org(ctx, "同心市", "city")
    district = await orgs.create_org(ctx, "和平区", "district", city["_id"])
    street = await orgs.create_org(ctx, "幸福街道", "street", district["_id"])
    comm_a = await orgs.create_org(ctx, "阳光社区", "community", street["_id"])
    comm_b = await orgs.create_org(ctx, "春风社区", "community", street["_id"])
    w.orgs.update(city=city, district=district, street=street, A=comm_a, B=comm_b)
    w.orgs["A1"] = await orgs.create_org(ctx, "阳光社区第一党支部", "branch", comm_a["_id"])
    w.orgs["A2"] = await orgs.create_org(ctx, "阳光社区第二党支部", "branch", comm_a["_id"])
    w.orgs["B1"] = await orgs.create_org(ctx, "春风社区第一党支部", "branch", comm_b["_id"])
    w.category = await catalogue.create_category(
        ctx,
        code="appliance",
        name="家电维修",
        skills=["家电维修", "电工"],
        base_points=10,
        service_hours=2.0,
        sla_hours=48,
    )
    await catalogue.create_category(
        ctx,
        code="legal",
        name="法律咨询",
        skills=["法律"],
        base_points=8,
        service_hours=1.0,
        sla_hours=72,
    )

    async def person(key: str, role: str, org: str | None = None, **extra: Any) -> None:
        w.users[key] = await create_user(
            ctx,
            role=role,
            name=extra.pop("name", key),
            openid=f"openid-{key}",
            org_id=w.orgs[org]["_id"] if org else None,
            **extra,
        )

    await person("owner", "resident", name="林阿姨", phone="13912340000")
    await person("other", "resident", name="郑大爷")
    for i, skills in enumerate((["家电维修"], ["助老"], ["电工", "家电维修"]), start=1):
        await person(
            f"m{i}",
            "member",
            "A1",
            name=f"队员{i}",
            skills=skills,
            party_status="正式党员",
            home_location={"type": "Point", "coordinates": [116.40 + i / 100, 39.90]},
        )
    await person("m_a2", "member", "A2", name="二支部队员", skills=["家电维修"])
    await person("m_b1", "member", "B1", name="春风队员", skills=["家电维修"])
    await person("sec_a1", "secretary", "A1", name="一支部书记")
    await person("sec_b1", "secretary", "B1", name="春风书记")
    await person("sec_a", "secretary", "A", name="阳光社区书记")  # the parent node of A1/A2
    await person("admin", "admin", "street", name="街道管理员")
    return w


async def place(world: Any) -> ObjectId:
    body = world.order_body()
    data = {**body, "category_id": world.category["_id"], "org_id": world.orgs["A1"]["_id"]}
    order, _ = await orders.place_order(world.ctx, world.actor("owner"), data)
    return order["_id"]
