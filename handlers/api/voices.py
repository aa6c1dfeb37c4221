"""民意: submit (also by a 民意一码通 scene), lists, one thin handler per transition,
handler recommendations, the node's QR code, and the "still solved?" answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId
from marshmallow import Schema

from handlers.base import BaseHandler, endpoint, route
from models import voices
from models.core.context import Context
from models.core.schemas import EmptyRequest, ReasonRequest
from models.core.validation import page, parse_id
from models.media import guard
from models.people import orgs
from models.people.users import Actor
from models.voices import qr
from models.voices.schemas import (
    AssignRequest,
    CloseVoiceRequest,
    FollowupAnswerRequest,
    FollowupOut,
    HandlerRecommendationList,
    RateRequest,
    ReplyRequest,
    SubmitVoiceRequest,
    VoiceList,
    VoiceOut,
    VoiceQuery,
)
from server.errors import NotFound

STAFF = ("secretary", "admin")


class VoiceHandlerBase(BaseHandler):
    def voice_id(self, id: str) -> ObjectId:
        return parse_id(id, "民意")

    async def write_voice(self, voice: dict[str, Any], status: int = 200) -> None:
        await guard.prefetch(self.ctx, [voice], "photos")
        self.write_json(voices.voice_json(self.ctx, voice, self.me), status)


class VoicesHandler(VoiceHandlerBase):
    @endpoint(
        summary="提交民意（建议/诉求/投诉/表扬；可由民意一码通 scene 指定组织）",
        body=SubmitVoiceRequest,
        response=VoiceOut,
        status=201,
        tag="voices",
    )
    async def post(self) -> None:
        await self.write_voice(await voices.submit_voice(self.ctx, self.me, self.data), 201)

    @endpoint(
        summary="我的民意 / 指派给我的 / 本组织范围",
        query=VoiceQuery,
        response=VoiceList,
        tag="voices",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await voices.list_voices(
            self.ctx,
            self.me,
            scope=a["scope"],
            status=a.get("status"),
            kind=a.get("kind"),
            org_id=a.get("org_id"),
            month=a.get("month"),
            cursor=a.get("cursor"),
            limit=a["limit"],
        )
        await guard.prefetch(self.ctx, rows, "photos")
        items = [voices.voice_json(self.ctx, v, self.me) for v in rows]
        self.write_json(page(items, next_cursor))


class VoiceHandler(VoiceHandlerBase):
    @endpoint(summary="民意详情（含时间线）", response=VoiceOut, tag="voices")
    async def get(self, id: str) -> None:
        await self.write_voice(await voices.get_visible(self.ctx, self.me, self.voice_id(id)))


Transition = Callable[[Context, Actor, ObjectId, dict[str, Any]], Awaitable[dict[str, Any]]]


def transition_handler(
    summary: str, body: type[Schema], service: Transition, roles: tuple[str, ...] = ()
) -> type[VoiceHandlerBase]:
    class TransitionHandler(VoiceHandlerBase):
        @endpoint(summary=summary, body=body, response=VoiceOut, roles=roles, tag="voices")
        async def post(self, id: str) -> None:
            await self.write_voice(await service(self.ctx, self.me, self.voice_id(id), self.data))

    return TransitionHandler


def _reason(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, vid, data: fn(ctx, actor, vid, data["reason"])


def _no_body(fn: Callable[..., Awaitable[dict[str, Any]]]) -> Transition:
    return lambda ctx, actor, vid, data: fn(ctx, actor, vid)


TRANSITIONS: dict[str, type[VoiceHandlerBase]] = {
    "accept": transition_handler(
        "受理（本人办理）", EmptyRequest, _no_body(voices.accept_voice), STAFF
    ),
    "assign": transition_handler("指派办理人", AssignRequest, voices.assign_voice, STAFF),
    "reply": transition_handler("答复", ReplyRequest, voices.reply_voice, ("member", *STAFF)),
    "transfer": transition_handler(
        "上报上级组织办理", ReasonRequest, _reason(voices.transfer_voice), STAFF
    ),
    "close": transition_handler(
        "办结（投诉可认定是否属实）",
        CloseVoiceRequest,
        lambda ctx, actor, vid, data: voices.close_voice(
            ctx, actor, vid, data["reason"], upheld=data.get("upheld")
        ),
    ),
    "rate": transition_handler("评价答复（不满意可重新办理一次）", RateRequest, voices.rate_voice),
}


class RecommendationsHandler(VoiceHandlerBase):
    @endpoint(
        summary="推荐办理人（附理由与办理人画像）",
        response=HandlerRecommendationList,
        roles=STAFF,
        tag="voices",
    )
    async def get(self, id: str) -> None:
        items = await voices.recommend_handlers(self.ctx, self.me, self.voice_id(id))
        self.write_json({"items": items})


class VoiceQrHandler(BaseHandler):
    @endpoint(summary="民意一码通：组织的小程序码（PNG）", roles=STAFF, tag="voices")
    async def get(self, id: str) -> None:
        org_id = parse_id(id, "组织")
        org = await orgs.get_org(self.ctx, org_id)
        if not self.me.manages(org["path"]):
            raise NotFound("找不到该组织", code="org_not_found")
        png = await qr.qr_png(self.ctx, self.settings["wechat"], org_id)
        self.set_header("Content-Type", "image/png")
        self.set_header("Content-Disposition", f'inline; filename="voice-qr-{org_id}.png"')
        self.finish(png)


class FollowupHandler(BaseHandler):
    def followup_id(self, id: str) -> ObjectId:
        return parse_id(id, "回访")

    @endpoint(summary="回访：问题是否仍已解决", response=FollowupOut, tag="voices")
    async def get(self, id: str) -> None:
        fu = await voices.get_followup(self.ctx, self.me, self.followup_id(id))
        self.write_json(voices.followup_json(fu))

    @endpoint(
        summary="回答回访（未解决则重新办理）",
        body=FollowupAnswerRequest,
        response=FollowupOut,
        tag="voices",
    )
    async def post(self, id: str) -> None:
        fu = await voices.answer_followup(self.ctx, self.me, self.followup_id(id), self.data)
        self.write_json(voices.followup_json(fu))


default_handlers = [
    route("/voices", VoicesHandler),
    route("/voices/{id}", VoiceHandler),
    *(route(f"/voices/{{id}}/{name}", handler) for name, handler in TRANSITIONS.items()),
    route("/voices/{id}/recommendations", RecommendationsHandler),
    route("/orgs/{id}/voice-qr", VoiceQrHandler),
    route("/followups/{id}", FollowupHandler),
]
