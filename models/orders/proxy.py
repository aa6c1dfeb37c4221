"""代下单: who may place an order on a resident's behalf, and how the order records it.

Staff (secretaries, committee admins) place orders anywhere in their subtree; a grid worker
(网格员: a member holding the `grid_worker` duty, models/people/users.py) in the community
of their branch. The order keeps who placed it (`placer_*`) and how (`channel`): the placer
is left out of serving it exactly like the resident (models/orders/visibility.placed_by).
"""

from __future__ import annotations

from typing import Any

from models.core.context import Context
from models.people import orgs
from models.people.users import Actor
from server.errors import Forbidden, ValidationFailed

SELF = "self"  # placed by the resident in the mini-program
CHANNELS = ("phone", "visit", "counter")
CHANNEL_NAMES = {SELF: "小程序", "phone": "电话", "visit": "上门", "counter": "窗口"}


def channel_of(order: dict[str, Any]) -> str:
    return str(order.get("channel") or SELF)


async def grid_node(ctx: Context, actor: Actor) -> Any:
    """The node a grid worker works for: the community on their branch's path."""
    tree = await orgs.all_orgs(ctx)
    for node in reversed(actor.org_path):
        if tree.get(node, {}).get("type") == "community":
            return node
    return actor.org_id


async def check_may_place(ctx: Context, actor: Actor, org: dict[str, Any]) -> None:
    """403 for a caller who may not place orders for others; 400 for a node out of scope."""
    if actor.is_staff:
        if not actor.manages(org["path"]):
            raise ValidationFailed(fields={"org_id": "只能为本组织范围内的群众代下单"})
        return
    if actor.is_grid_worker:
        if await grid_node(ctx, actor) not in org["path"]:
            raise ValidationFailed(fields={"org_id": "网格员只能为本社区的群众代下单"})
        return
    raise Forbidden("只有社区工作人员或网格员可以代群众下单", code="on_behalf_not_allowed")


def placer_fields(actor: Actor, channel: str) -> dict[str, Any]:
    return {
        "channel": channel,
        "placer_id": actor.id,
        "placer_name": actor.name,
        "placer_role": actor.role,
        # the placer's other accounts (bound to the same phone) never serve it either
        "placer_phone": actor.doc.get("phone"),
    }


async def earlier_contact(ctx: Context, actor: Actor, phone: str) -> dict[str, Any]:
    """电话点单 autocomplete: the name and addresses of earlier orders for `phone` in the
    actor's scope. Indexed and bounded: users by phone, then each one's newest orders."""
    from models.people import residents

    phone = residents.normalise_phone(phone)
    people = await ctx.db.users.find(
        {"phone": phone, "deleted_at": None}, {"name": 1, "role": 1}
    ).to_list(5)
    name = ""
    addresses: list[str] = []
    for person in sorted(people, key=lambda u: u.get("role") != "resident"):
        rows = (
            await ctx.db.orders.find(
                {"resident_id": person["_id"]}, {"address": 1, "org_path": 1, "contact_name": 1}
            )
            .sort("created_at", -1)
            .limit(20)
            .to_list(20)
        )
        mine = [o for o in rows if actor.manages(o["org_path"])]
        if mine and not name:
            name = mine[0].get("contact_name") or person.get("name") or ""
        addresses += [o["address"] for o in mine if o.get("address")]
    return {"name": name, "addresses": list(dict.fromkeys(addresses))[:10]}
