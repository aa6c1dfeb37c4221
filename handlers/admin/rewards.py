"""积分商城 admin: items and stock, redemptions (核销 by typed code, export), and the
review queue of awards held against farming."""

from __future__ import annotations

from urllib.parse import quote

from handlers.admin.base import ERROR_MESSAGES, FLASH_MESSAGES, AdminHandler, admin_route, oid
from models.core.forms import NoteForm, ReasonForm
from models.people import directory
from models.rewards import farming, items, listing, redemptions
from models.rewards.forms import ItemForm, NewItemForm, PickupForm
from server.errors import AppError


def _problem(exc: AppError) -> str:
    """The ?err= code (never text: the page maps it to a fixed message)."""
    return exc.code


def _error_text(code: str) -> str:
    if not code:
        return ""
    return ERROR_MESSAGES.get(code, "操作未完成，请检查填写的内容后重试")


class RewardsPage(AdminHandler):
    nav = "rewards"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        rows, _ = await items.list_managed(self.ctx, org["_id"], None, 100)
        self.render(
            "rewards.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=[items.item_json(self.ctx, r, self.me) for r in rows],
            error=_error_text(self.get_query_argument("err", "")),
        )

    async def post(self) -> None:
        try:
            data = self.form(NewItemForm)
            item = await items.create_item(self.ctx, self.me, data)
        except AppError as exc:
            if exc.status == 404:
                raise
            self.redirect("/admin/rewards?err=" + quote(_problem(exc)))
            return
        self.redirect(f"/admin/rewards?org={item['org_id']}&msg=reward_added")


class RewardPage(AdminHandler):
    nav = "rewards"

    async def get(self, id: str) -> None:
        item = await items.get_managed(self.ctx, self.me, oid(id, "积分商品"))
        self.render(
            "reward.html",
            item=item,
            view=items.item_json(self.ctx, item, self.me),
            error=_error_text(self.get_query_argument("err", "")),
        )

    async def post(self, id: str) -> None:
        item_id = oid(id, "积分商品")
        await items.get_managed(self.ctx, self.me, item_id)  # out of scope: 404 before the form
        try:
            data = self.form(ItemForm)
            await items.update_item(self.ctx, self.me, item_id, data)
        except AppError as exc:
            if exc.status == 404:
                raise
            self.redirect(f"/admin/rewards/{id}?err=" + quote(_problem(exc)))
            return
        self.redirect(f"/admin/rewards/{id}?msg=reward_saved")


class RedemptionsPage(AdminHandler):
    nav = "rewards"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        status = self.query("status")
        rows, nxt = await listing.list_redemptions(
            self.ctx,
            self.me,
            scope="org",
            status=status if status in redemptions.STATUS_TEXT else None,
            cursor=self.query("cursor") or None,
            limit=50,
            org_id=org["_id"],
        )
        self.render(
            "redemptions.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=rows,
            next_cursor=nxt,
            status=status,
            status_text=redemptions.STATUS_TEXT,
            error=_error_text(self.get_query_argument("err", "")),
        )


class PickupAction(AdminHandler):
    async def post(self) -> None:
        try:
            code = self.form(PickupForm)["code"]
            doc = await redemptions.pickup(self.ctx, self.me, code)
        except AppError as exc:
            if exc.status == 404 or self.wants_json:
                raise
            self.redirect("/admin/redemptions?err=" + quote(_problem(exc)))
            return
        msg = f"核销成功：{doc.get('member_name', '')} 领取「{doc['item_name']}」"
        if self.wants_json:
            self.write_json({"ok": True, "message": msg})
            return
        self.redirect("/admin/redemptions?msg=picked_up")


class RedemptionsExport(AdminHandler):
    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        content, _ = await listing.export_workbook(self.ctx, self.me, org)
        self.send_file(content, f"兑换记录-{org['name']}.xlsx")


class HoldsPage(AdminHandler):
    nav = "rewards"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        self.render(
            "holds.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            held=(await farming.queue(self.ctx, org["_id"], farming.HELD, 0, 100))[:100],
            decided=[
                *await farming.queue(self.ctx, org["_id"], farming.RELEASED, 0, 10),
                *await farming.queue(self.ctx, org["_id"], farming.REFUSED, 0, 10),
            ],
            status_text=farming.STATUS_TEXT,
            error=_error_text(self.get_query_argument("err", "")),
        )


class HoldDecision(AdminHandler):
    async def post(self, id: str, decision: str) -> None:
        hold_id = oid(id, "待审核积分")
        try:
            if decision == "release":
                await farming.release(self.ctx, self.me, hold_id, self.form(NoteForm)["note"])
                msg = "hold_released"
            else:
                await farming.refuse(self.ctx, self.me, hold_id, self.form(ReasonForm)["reason"])
                msg = "hold_refused"
        except AppError as exc:
            if exc.status == 404 or self.wants_json:
                raise
            self.redirect("/admin/holds?err=" + quote(_problem(exc)))
            return
        if self.wants_json:
            self.write_json({"ok": True, "message": FLASH_MESSAGES[msg]})
            return
        self.redirect("/admin/holds?msg=" + msg)


default_handlers = [
    admin_route("/rewards", RewardsPage),
    admin_route("/rewards/{id}", RewardPage),
    admin_route("/redemptions", RedemptionsPage),
    admin_route("/redemptions/pickup", PickupAction),
    admin_route("/redemptions/export", RedemptionsExport),
    admin_route("/holds", HoldsPage),
    admin_route("/holds/{id}/(?P<decision>release|refuse)", HoldDecision),
]
