"""组织关系转接: request, list, and one thin handler per transition."""

from __future__ import annotations

from typing import Any

from handlers.base import BaseHandler, endpoint, route
from models import transfers
from models.core.schemas import EmptyRequest, OptionalReasonRequest, ReasonRequest
from models.core.validation import page, parse_id
from models.transfers.schemas import TransferList, TransferOut, TransferQuery, TransferRequest

STAFF = ("secretary", "admin")


class TransferBase(BaseHandler):
    def write_transfer(self, transfer: dict[str, Any], status: int = 200) -> None:
        self.write_json(transfers.transfer_json(transfer, self.me), status)


class TransfersHandler(TransferBase):
    @endpoint(
        summary="发起组织关系转接（队员本人或转出支部书记）",
        body=TransferRequest,
        response=TransferOut,
        status=201,
        roles=("member", *STAFF),
        tag="transfers",
    )
    async def post(self) -> None:
        self.write_transfer(await transfers.request_transfer(self.ctx, self.me, self.data), 201)

    @endpoint(
        summary="组织关系转接列表（本人的，或本组织转出/转入的）",
        query=TransferQuery,
        response=TransferList,
        tag="transfers",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await transfers.list_transfers(
            self.ctx, self.me, status=a.get("status"), cursor=a.get("cursor"), limit=a["limit"]
        )
        result = page(rows, next_cursor)
        result["items"] = [transfers.transfer_json(t, self.me) for t in result["items"]]
        self.write_json(result)


class ApproveHandler(TransferBase):
    @endpoint(
        summary="转出审批（开具介绍信）",
        body=EmptyRequest,
        response=TransferOut,
        roles=STAFF,
        tag="transfers",
    )
    async def post(self, id: str) -> None:
        tid = parse_id(id, "转接记录")
        self.write_transfer(await transfers.approve(self.ctx, self.me, tid))


class AcceptHandler(TransferBase):
    @endpoint(
        summary="接收（队员组织关系即时变更）",
        body=EmptyRequest,
        response=TransferOut,
        roles=STAFF,
        tag="transfers",
    )
    async def post(self, id: str) -> None:
        tid = parse_id(id, "转接记录")
        self.write_transfer(await transfers.accept(self.ctx, self.me, tid))


class ReturnHandler(TransferBase):
    @endpoint(
        summary="退回（须说明理由）",
        body=ReasonRequest,
        response=TransferOut,
        roles=STAFF,
        tag="transfers",
    )
    async def post(self, id: str) -> None:
        tid = parse_id(id, "转接记录")
        result = await transfers.return_transfer(self.ctx, self.me, tid, self.data["reason"])
        self.write_transfer(result)


class CancelHandler(TransferBase):
    @endpoint(
        summary="撤销（本人或转出支部书记）",
        body=OptionalReasonRequest,
        response=TransferOut,
        tag="transfers",
    )
    async def post(self, id: str) -> None:
        tid = parse_id(id, "转接记录")
        result = await transfers.cancel(self.ctx, self.me, tid, self.data["reason"])
        self.write_transfer(result)


default_handlers = [
    route("/transfers", TransfersHandler),
    route("/transfers/{id}/approve", ApproveHandler),
    route("/transfers/{id}/accept", AcceptHandler),
    route("/transfers/{id}/return", ReturnHandler),
    route("/transfers/{id}/cancel", CancelHandler),
]
