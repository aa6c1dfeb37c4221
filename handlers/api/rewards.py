"""积分商城: items, redeem (Idempotency-Key), my redemptions, cancel, 核销 by code."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models.core.schemas import EmptyRequest
from models.core.validation import page, parse_id
from models.media import guard
from models.people import orgs
from models.rewards import items, listing, redemptions
from models.rewards.schemas import (
    CreateItemRequest,
    ItemList,
    ItemOut,
    MallQuery,
    PickupRequest,
    RedemptionList,
    RedemptionOut,
    RedemptionQuery,
    UpdateItemRequest,
)
from server.errors import NotFound

STAFF = ("secretary", "admin")


class RewardsHandler(BaseHandler):
    @endpoint(
        summary="积分商城商品（我所在组织的商城）",
        query=MallQuery,
        response=ItemList,
        tag="rewards",
    )
    async def get(self) -> None:
        a = self.args
        if a["scope"] == "managed" and self.me.is_staff and self.me.org_id is not None:
            org_id = a.get("org_id") or self.me.org_id
            if not self.me.manages((await orgs.get_org(self.ctx, org_id))["path"]):
                raise NotFound("找不到该组织", code="org_not_found")
            rows, nxt = await items.list_managed(self.ctx, org_id, a.get("cursor"), a["limit"])
        else:
            rows, nxt = await items.list_mall(
                self.ctx, self.me, a.get("org_id"), a.get("cursor"), a["limit"]
            )
        await guard.prefetch(self.ctx, rows, "photos")
        self.write_json(page([items.item_json(self.ctx, i, self.me) for i in rows], nxt))

    @endpoint(
        summary="新增积分商品",
        body=CreateItemRequest,
        response=ItemOut,
        status=201,
        roles=STAFF,
        tag="rewards",
    )
    async def post(self) -> None:
        item = await items.create_item(self.ctx, self.me, self.data)
        await guard.prefetch(self.ctx, [item], "photos")
        self.write_json(items.item_json(self.ctx, item, self.me), 201)


class RewardHandler(BaseHandler):
    @endpoint(summary="积分商品详情", response=ItemOut, tag="rewards")
    async def get(self, id: str) -> None:
        item = await items.get_visible(self.ctx, self.me, parse_id(id, "积分商品"))
        await guard.prefetch(self.ctx, [item], "photos")
        self.write_json(items.item_json(self.ctx, item, self.me))

    @endpoint(
        summary="修改积分商品、补货",
        body=UpdateItemRequest,
        response=ItemOut,
        roles=STAFF,
        tag="rewards",
    )
    async def patch(self, id: str) -> None:
        item = await items.update_item(self.ctx, self.me, parse_id(id, "积分商品"), self.data)
        await guard.prefetch(self.ctx, [item], "photos")
        self.write_json(items.item_json(self.ctx, item, self.me))


class RedeemHandler(BaseHandler):
    @endpoint(
        summary="兑换积分商品（扣积分、减库存、生成兑换码）",
        body=EmptyRequest,
        response=RedemptionOut,
        status=201,
        idempotency_key=True,
        tag="rewards",
    )
    async def post(self, id: str) -> None:
        doc, created = await redemptions.redeem(
            self.ctx, self.me, parse_id(id, "积分商品"), self.idempotency_key()
        )
        self.write_json(
            listing.redemption_json(doc, self.me, with_qr=True), 201 if created else 200
        )


class RedemptionsHandler(BaseHandler):
    @endpoint(
        summary="兑换记录（我的，或本组织的）",
        query=RedemptionQuery,
        response=RedemptionList,
        tag="rewards",
    )
    async def get(self) -> None:
        a = self.args
        rows, nxt = await listing.list_redemptions(
            self.ctx,
            self.me,
            scope=a["scope"],
            status=a.get("status"),
            cursor=a.get("cursor"),
            limit=a["limit"],
            org_id=a.get("org_id"),
        )
        out = [listing.redemption_json(r, self.me, with_qr=True) for r in rows]
        self.write_json(page(out, nxt))


class CancelRedemptionHandler(BaseHandler):
    @endpoint(
        summary="取消兑换（领取前；退还积分与库存）",
        body=EmptyRequest,
        response=RedemptionOut,
        tag="rewards",
    )
    async def post(self, id: str) -> None:
        doc = await redemptions.cancel(self.ctx, self.me, parse_id(id, "兑换记录"))
        self.write_json(listing.redemption_json(doc, self.me))


class PickupHandler(BaseHandler):
    @endpoint(
        summary="核销兑换码（工作人员或本站点商家）",
        body=PickupRequest,
        response=RedemptionOut,
        roles=(*STAFF, "merchant"),
        tag="rewards",
    )
    async def post(self) -> None:
        doc = await redemptions.pickup(self.ctx, self.me, self.data["code"])
        self.write_json(listing.redemption_json(doc, self.me))


default_handlers = [
    route("/rewards", RewardsHandler),
    route("/rewards/{id}", RewardHandler),
    route("/rewards/{id}/redeem", RedeemHandler),
    route("/redemptions", RedemptionsHandler),
    route("/redemptions/pickup", PickupHandler),
    route("/redemptions/{id}/cancel", CancelRedemptionHandler),
]
