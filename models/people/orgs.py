"""Organisation tree (省→市→区县→街道→社区→支部) stored with materialised paths.

`path` is the node's ancestors plus itself, so "everything under X" is `{"org_path": X}`.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from server.errors import NotFound, ValidationFailed

ORG_TYPES = {
    "province": "省",
    "city": "市",
    "district": "区县",
    "street": "街道",
    "community": "社区",
    "branch": "支部",
}


async def create_org(
    ctx: Context, name: str, org_type: str, parent_id: ObjectId | None = None, **extra: Any
) -> dict[str, Any]:
    if org_type not in ORG_TYPES:
        raise ValidationFailed(fields={"type": "组织类型无效"})
    ancestors: list[ObjectId] = []
    if parent_id is not None:
        parent = await get_org(ctx, parent_id)
        ancestors = list(parent["path"])
    org_id = ObjectId()
    doc = {
        "_id": org_id,
        "name": name,
        "type": org_type,
        "parent_id": parent_id,
        "ancestors": ancestors,
        "path": [*ancestors, org_id],
        **extra,
    }
    await ctx.db.orgs.insert_one(doc)
    ctx.forget("orgs")
    return doc


async def all_orgs(ctx: Context) -> dict[ObjectId, dict[str, Any]]:
    """The whole tree, cached per process for a short while (it changes rarely)."""

    async def load() -> dict[ObjectId, dict[str, Any]]:
        return {doc["_id"]: doc async for doc in ctx.db.orgs.find({})}

    return await ctx.cached("orgs", load)


async def get_org(ctx: Context, org_id: ObjectId) -> dict[str, Any]:
    orgs = await all_orgs(ctx)
    org = orgs.get(org_id)
    if org is None:
        org = await ctx.db.orgs.find_one({"_id": org_id})
    if org is None:
        raise NotFound("找不到该组织", code="org_not_found")
    return org


async def org_name(ctx: Context, org_id: ObjectId | None) -> str | None:
    if org_id is None:
        return None
    org = (await all_orgs(ctx)).get(org_id)
    return org["name"] if org else None


async def branch_kind(ctx: Context, org_id: ObjectId | None) -> str | None:
    """A branch's kind ("unit": 机关/企事业单位支部, whose members 双报到), else None."""
    if org_id is None:
        return None
    org = (await all_orgs(ctx)).get(org_id)
    return org.get("branch_kind") if org and org.get("type") == "branch" else None


def org_json(org: dict[str, Any], has_children: bool | None = None) -> dict[str, Any]:
    out = {
        "id": str(org["_id"]),
        "name": org["name"],
        "type": org["type"],
        "type_name": ORG_TYPES[org["type"]],
        "parent_id": str(org["parent_id"]) if org.get("parent_id") else None,
        "phone": org.get("phone"),
        "path": [str(x) for x in org["path"]],
    }
    if has_children is not None:
        out["has_children"] = has_children
    return out


async def org_tree(ctx: Context) -> list[dict[str, Any]]:
    orgs = await all_orgs(ctx)
    children: dict[ObjectId | None, list[dict[str, Any]]] = {}
    for org in sorted(orgs.values(), key=lambda o: (o.get("sort", 0), o["name"])):
        children.setdefault(org.get("parent_id"), []).append(org)

    def build(org: dict[str, Any]) -> dict[str, Any]:
        node = org_json(org)
        node["children"] = [build(c) for c in children.get(org["_id"], [])]
        return node

    return [build(root) for root in children.get(None, [])]


async def first_root(ctx: Context) -> ObjectId:
    """The top node of the tree (the first by order and name when there are several)."""
    roots = [o for o in (await all_orgs(ctx)).values() if o.get("parent_id") is None]
    if not roots:
        raise NotFound("找不到该组织", code="org_not_found")
    return min(roots, key=lambda o: (o.get("sort", 0), o["name"]))["_id"]


async def org_children(ctx: Context, parent_id: ObjectId) -> list[dict[str, Any]]:
    await get_org(ctx, parent_id)
    orgs = await all_orgs(ctx)
    parents = {o.get("parent_id") for o in orgs.values()}
    kids = [o for o in orgs.values() if o.get("parent_id") == parent_id]
    kids.sort(key=lambda o: (o.get("sort", 0), o["name"]))
    return [org_json(o, has_children=o["_id"] in parents) for o in kids]
