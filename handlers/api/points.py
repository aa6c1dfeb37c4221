"""积分: my balance and rank, my ledger, the leaderboard."""

from __future__ import annotations

from handlers.base import BaseHandler, endpoint, route
from models.core.validation import page
from models.people import orgs
from models.points import ledger
from models.points.schemas import (
    LeaderboardOut,
    LeaderboardQuery,
    LedgerList,
    LedgerQuery,
    PointsOut,
)
from models.rewards import expiry


class MyPointsHandler(BaseHandler):
    @endpoint(summary="我的积分、时长与支部排名", response=PointsOut, tag="points")
    async def get(self) -> None:
        summary = await ledger.points_summary(self.ctx, self.me)
        summary.update(await expiry.expiring_summary(self.ctx, self.me.id))
        self.write_json(summary)


class MyLedgerHandler(BaseHandler):
    @endpoint(summary="我的积分明细", query=LedgerQuery, response=LedgerList, tag="points")
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await ledger.list_entries(
            self.ctx, self.me.id, a.get("kind"), a.get("cursor"), a["limit"]
        )
        self.write_json(page([ledger.entry_json(e) for e in rows], next_cursor))


class LeaderboardHandler(BaseHandler):
    @endpoint(
        summary="积分排行榜（党员之星）",
        query=LeaderboardQuery,
        response=LeaderboardOut,
        tag="points",
    )
    async def get(self) -> None:
        # default: the caller's own node; a resident belongs to none: the whole tree's top
        org_id = self.args.get("org_id") or self.me.org_id or await orgs.first_root(self.ctx)
        items = await ledger.leaderboard(self.ctx, org_id, self.args["period"])
        self.write_json({"period": self.args["period"], "org_id": str(org_id), "items": items})


default_handlers = [
    route("/me/points", MyPointsHandler),
    route("/me/ledger", MyLedgerHandler),
    route("/leaderboard", LeaderboardHandler),
]
