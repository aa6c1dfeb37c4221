"""Time-driven wish work, run by the `wishes` job; every step happens once.

- fulfilled, not confirmed for `wishes.auto_confirm_days` → confirmed and awarded (the same
  transaction as a confirmation: exactly once whoever wins);
- claimed, not fulfilled for `wishes.claim_remind_days` → the claimant is reminded (once per
  claim: the notice key carries the wish's version);
- claimed, not fulfilled for `wishes.claim_release_days` → released back to the wall.
"""

from __future__ import annotations

from datetime import timedelta

from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.points.ledger import AlreadyRecorded
from models.wishes.closing import auto_confirm
from models.wishes.machine import auto_release
from models.wishes.states import CLAIMED, FULFILLED
from server.errors import Conflict


async def run_wishes(ctx: Context) -> dict[str, int]:
    cfg = ctx.config.wishes
    now = ctx.now()
    counts = {"auto_confirmed": 0, "released": 0, "reminded": 0}
    confirm_days = float(cfg.auto_confirm_days)
    async for wish in ctx.db.wishes.find(
        {"status": FULFILLED, "updated_at": {"$lte": now - timedelta(days=confirm_days)}}
    ):
        try:
            await auto_confirm(ctx, wish, confirm_days)
            counts["auto_confirmed"] += 1
        except (Conflict, AlreadyRecorded):
            pass  # confirmed meanwhile: exactly one close wins
    remind_days = float(cfg.claim_remind_days)
    release_days = float(cfg.claim_release_days)
    async for wish in ctx.db.wishes.find(
        {"status": CLAIMED, "updated_at": {"$lte": now - timedelta(days=remind_days)}}
    ):
        age = (now - wish["updated_at"]).total_seconds() / 86400
        if age >= release_days:
            try:
                await auto_release(ctx, wish, release_days)
                counts["released"] += 1
            except Conflict:
                pass
            continue
        counts["reminded"] += await notify_many(
            ctx,
            [
                Notice(
                    user_id=wish["claimant_id"],
                    key=f"wish:{wish['_id']}:v{wish['version']}:remind",
                    kind="wish_reminder",
                    title="认领的心愿尚未实现",
                    body=f"「{wish['title']}」已认领 {int(age)} 天，"
                    f"{release_days:g} 天未实现将重新上墙",
                    template="todo",
                    push={"subject": wish["title"], "status": "已认领", "remark": "请尽快实现"},
                )
            ],
        )
    return counts
