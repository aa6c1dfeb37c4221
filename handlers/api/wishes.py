"""微心愿: the wall, my wishes, post, and one thin handler per state-machine transition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId
from marshmallow import Schema

from handlers.base import BaseHandler, endpoint, route
from models import wishes
from models.core.context import Context
from models.core.schemas import EmptyRequest, ReasonRequest
from models.core.validation import page, parse_id
from models.media import guard
from models.people.users import Actor
from models.wishes.schemas import (
    ConfirmWishRequest,
    FulfilRequest,
    PostWishRequest,
    WishList,
    WishOut,
    WishQuery,
)

STAFF = ("secretary", "admin")


class WishHandlerBase(BaseHandler):
    def wish_id(self, id: str) -> ObjectId:
        return parse_id(id, "心愿")

    async def write_wish(self, wish: dict[str, Any], status: int = 200) -> None:
        await guard.prefetch(self.ctx, [wish], "photos", "fulfil_photos")
        self.write_json(wishes.wish_json(self.ctx, wish, self.me), status)


class WishesHandler(WishHandlerBase):
    @endpoint(
        summary="发布微心愿（群众本人，或书记代发）",
        body=PostWishRequest,
        response=WishOut,
        status=201,
        tag="wishes",
    )
    async def post(self) -> None:
        await self.write_wish(await wishes.post_wish(self.ctx, self.me, self.data), 201)

    @endpoint(
        summary="心愿墙 / 我的心愿 / 我认领的 / 本组织",
        query=WishQuery,
        response=WishList,
        tag="wishes",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await wishes.list_wishes(
            self.ctx,
            self.me,
            scope=a["scope"],
            org_id=a.get("org_id"),
            status=a.get("status"),
            cursor=a.get("cursor"),
            limit=a["limit"],
        )
        await guard.prefetch(self.ctx, rows, "photos", "fulfil_photos")
        items = [wishes.wish_json(self.ctx, w, self.me) for w in rows]
        self.write_json(page(items, next_cursor))


class WishHandler(WishHandlerBase):
    @endpoint(summary="心愿详情", response=WishOut, tag="wishes")
    async def get(self, id: str) -> None:
        await self.write_wish(await wishes.get_visible(self.ctx, self.me, self.wish_id(id)))


Transition = Callable[[Context, Actor, ObjectId, dict[str, Any]], Awaitable[dict[str, Any]]]


def transition_handler(
    summary: str, body: type[Schema], service: Transition, roles: tuple[str, ...] = ()
) -> type[WishHandlerBase]:
    class TransitionHandler(WishHandlerBase):
        @endpoint(summary=summary, body=body, response=WishOut, roles=roles, tag="wishes")
        async def post(self, id: str) -> None:
            await self.write_wish(await service(self.ctx, self.me, self.wish_id(id), self.data))

    return TransitionHandler


def _reason(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, wid, data: fn(ctx, actor, wid, data["reason"])


def _no_body(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, wid, data: fn(ctx, actor, wid)


TRANSITIONS: dict[str, type[WishHandlerBase]] = {
    "approve": transition_handler(
        "审核通过（上墙）", EmptyRequest, _no_body(wishes.approve_wish), STAFF
    ),
    "reject": transition_handler("审核不通过", ReasonRequest, _reason(wishes.reject_wish), STAFF),
    "claim": transition_handler(
        "党员认领心愿", EmptyRequest, _no_body(wishes.claim_wish), ("member",)
    ),
    "release": transition_handler(
        "放弃认领", ReasonRequest, _reason(wishes.release_wish), ("member",)
    ),
    "fulfil": transition_handler("心愿已实现", FulfilRequest, wishes.fulfil_wish, ("member",)),
    "confirm": transition_handler(
        "群众确认并致谢（发放积分）", ConfirmWishRequest, wishes.confirm_wish
    ),
}

default_handlers = [
    route("/wishes", WishesHandler),
    route("/wishes/{id}", WishHandler),
    *(route(f"/wishes/{{id}}/{name}", handler) for name, handler in TRANSITIONS.items()),
]
