"""队员注册与审核."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models import members, schemas
from models.base import page, parse_id


class RegistrationsHandler(BaseHandler):
    @endpoint(
        summary="申请成为某支部的队员",
        body=schemas.RegistrationRequest,
        response=schemas.RegistrationOut,
        status=201,
        tag="members",
    )
    async def post(self) -> None:
        assert self.actor is not None
        reg = await members.register(self.ctx, self.actor, self.data)
        self.write_json(members.registration_json(reg, self.actor), 201)

    @endpoint(
        summary="队员申请列表（管理员看本组织，其他人看自己的）",
        query=schemas.RegistrationQuery,
        response=schemas.RegistrationList,
        tag="members",
    )
    async def get(self) -> None:
        assert self.actor is not None
        a = self.args
        rows = await members.list_registrations(
            self.ctx, self.actor, a.get("status"), a["offset"], a["limit"]
        )
        result = page(rows, a["offset"], a["limit"])
        result["items"] = [members.registration_json(r, self.actor) for r in result["items"]]
        self.write_json(result)


class ApproveRegistrationHandler(BaseHandler):
    @endpoint(
        summary="通过队员申请",
        body=schemas.EmptyRequest,
        response=schemas.RegistrationOut,
        roles=("secretary", "admin"),
        tag="members",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        reg = await members.approve(self.ctx, self.actor, parse_id(id, "申请"))
        self.write_json(members.registration_json(reg, self.actor))


class RejectRegistrationHandler(BaseHandler):
    @endpoint(
        summary="驳回队员申请",
        body=schemas.ReasonRequest,
        response=schemas.RegistrationOut,
        roles=("secretary", "admin"),
        tag="members",
    )
    async def post(self, id: str) -> None:
        assert self.actor is not None
        reg = await members.reject(self.ctx, self.actor, parse_id(id, "申请"), self.data["reason"])
        self.write_json(members.registration_json(reg, self.actor))


default_handlers = [
    route("/member-registrations", RegistrationsHandler),
    route("/member-registrations/{id}/approve", ApproveRegistrationHandler),
    route("/member-registrations/{id}/reject", RejectRegistrationHandler),
]
