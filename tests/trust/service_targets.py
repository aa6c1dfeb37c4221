"""Targets of the member-service domains (transfers, 双报到, records, certificates) for the
trust harness: a fresh object in the state an operation needs, made through the services."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

from bson import ObjectId

from models import certificates, reports, transfers
from models.core.clock import BEIJING
from models.people import orgs
from models.people.users import Actor, create_user

_serial = itertools.count(1)


async def fresh_member(world: Any, branch: str) -> dict[str, Any]:
    return await create_user(
        world.ctx,
        role="member",
        name=f"转接队员{next(_serial)}",
        openid=f"trust-svc-{uuid.uuid4().hex}",
        org_id=world.orgs[branch]["_id"],
        party_status="正式党员",
    )


async def unit_branch(world: Any) -> dict[str, Any]:
    if "U" not in world.orgs:
        world.orgs["U"] = await orgs.create_org(
            world.ctx,
            "和平区机关党支部",
            "branch",
            world.orgs["district"]["_id"],
            branch_kind="unit",
        )
    return world.orgs["U"]


async def community_post(world: Any) -> dict[str, Any]:
    return await reports.save_post(
        world.ctx, world.actor("admin"), world.orgs["A"]["_id"], {"name": "楼栋长"}
    )


async def make(world: Any, kind: str) -> tuple[ObjectId, str, dict[str, Any] | None]:
    """(id, collection, owner) for `kind`; owner is the user the object belongs to."""
    ctx = world.ctx
    if kind in ("transfer pending_out", "transfer pending_in"):
        # out of A1 (to A2) for pending_out; into A1 (from A2) for pending_in
        inbound = kind.endswith("in")
        member = await fresh_member(world, "A2" if inbound else "A1")
        target = world.orgs["A1" if inbound else "A2"]["_id"]
        t = await transfers.request_transfer(ctx, Actor.from_user(member), {"to_org_id": target})
        if inbound:
            await transfers.approve(ctx, world.actor("admin"), t["_id"])
        return t["_id"], "transfers", member
    if kind == "report pending":
        unit = await unit_branch(world)
        post = await community_post(world)
        member = await create_user(
            ctx,
            role="member",
            name=f"机关党员{next(_serial)}",
            openid=f"trust-unit-{uuid.uuid4().hex}",
            org_id=unit["_id"],
            party_status="正式党员",
        )
        rep = await reports.create_report(
            ctx,
            Actor.from_user(member),
            {"community_id": world.orgs["A"]["_id"], "post_ids": [post["_id"]]},
        )
        return rep["_id"], "community_reports", member
    if kind in ("certificate requested", "certificate issued"):
        cert = await certificates.request_certificate(
            ctx,
            world.actor("m1"),
            {
                "from_": date(2020, 1, 1),
                "to": ctx.now().astimezone(BEIJING).date(),
                "id_type": "居民身份证",
                "id_number": "110101199001011234",
            },
        )
        if kind.endswith("issued"):
            await certificates.issue(ctx, world.actor("sec_a1"), cert["_id"], {})
        return cert["_id"], "certificates", None
    if kind == "honour proposed":
        honour_id = ObjectId()
        branch = world.orgs["A1"]
        await ctx.db.honours.insert_one(
            {
                "_id": honour_id,
                "key": f"trust:{uuid.uuid4().hex}",
                "org_id": branch["_id"],
                "org_name": branch["name"],
                "org_path": branch["path"],
                "month": "2026-01",
                "kind": "service",
                "title": "服务标兵",
                "status": "proposed",
                "candidates": [],
                "members": [],
                "created_at": ctx.now(),
            }
        )
        return honour_id, "honours", None
    if kind == "member m1":
        return world.id("m1"), "users", None
    if kind == "community A":
        return world.orgs["A"]["_id"], "orgs", None
    raise KeyError(kind)
