"""Ledger invariants under concurrency: a hypothesis rule-based state machine.

Each example gets three fresh members in one branch and runs 20–30 random steps against
the real model services on the test database: awards (ledger.append in a transaction,
like an activity's bulk award), order confirmations (orders.confirm_order, which closes
the order and awards its points and hours in one transaction), manual adjustments below
and above the second-approver threshold, approvals and rejections, reversals, and
redemptions: raw spends (a negative `points` entry through ledger.append, conditional on
the balance) and the mall's own steps (models/rewards: redeem racing for stock and balance,
cancel racing a 核销, time passing so that unclaimed redemptions and points buckets expire,
awards held by a farming rule and released or refused by racing reviewers). Some rules run several
operations at once (asyncio.gather): the same award key many times, spends racing for one
balance, a confirmation racing the auto-close job, two approvers racing, and a random mix
across members. Retries reuse their idempotency key.

After every step: no balance is negative, every balance equals the sum of its entries and
the model's expectation, earlier entries are unchanged (append-only), and every applied
adjustment has exactly one entry. After every example: check_ledger over the whole DB.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from bson import ObjectId
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pymongo import AsyncMongoClient

from models import orders
from models.core import uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops.checks import run_checks
from models.ops.indexes import ensure_indexes
from models.people.users import Actor
from models.points import adjustments, ledger
from models.rewards import expiry, farming, items, redemptions
from server.config import Config
from server.db import make_client
from server.errors import Conflict, Forbidden
from tests.trust.figures import record
from tests.trust.seed import clone_order, order_template
from tests.world import World, build_world, drop_database

MEMBERS = 3
EPS = 1e-6
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,  # the same run in CI and here; new seeds come with code changes
    database=None,
    # a failure is reported as found: shrinking re-runs examples (a fresh DB each) for
    # minutes; TONGXIN_TRUST_SHRINK=1 shrinks it locally
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("TONGXIN_TRUST_SHRINK") else []),
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

member_ix = st.integers(0, MEMBERS - 1)
kinds = st.sampled_from(ledger.KINDS)
points = st.integers(1, 30)


def ledger_units(kind: str, delta: float) -> int:
    """An adjustment's delta (hours in hours) as the ledger stores it (tenths)."""
    return ledger.tenths(delta) if kind == "hours" else int(delta)


hours = st.sampled_from([5, 10, 15, 20, 30])  # whole tenths of an hour, as the ledger holds
small_delta = st.integers(-40, 40).filter(bool)
big_delta = st.integers(51, 90).flatmap(lambda n: st.sampled_from([n, n, -n]))


class MachineClock:
    """The machine's own clock: real time plus however far `time_passes` moved it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def code(exc: BaseException) -> str:
    return getattr(exc, "code", type(exc).__name__)


class LedgerMachine(RuleBasedStateMachine):
    # bound by the test: one event loop and one client; each example has its own database
    # (the client sits in a dict: hypothesis looks for rules with getattr on the class, and
    # a client answers every attribute with a database)
    shared: ClassVar[dict[str, Any]]
    loop: ClassVar[asyncio.AbstractEventLoop]
    config: ClassVar[Config]
    stats: ClassVar[Counter[str]]
    violations: ClassVar[list[str]]

    @property
    def client(self) -> AsyncMongoClient:
        return self.shared["client"]  # type: ignore[no-any-return]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def gather(self, *coros: Any) -> list[Any]:
        async def all_of() -> list[Any]:
            return list(await asyncio.gather(*coros, return_exceptions=True))

        return self.run(all_of())

    # ---------------------------------------------------------------- model

    @initialize()
    def setup(self) -> None:
        self.stats["examples"] += 1
        db = self.client[f"{self.config.mongo.database}_{self.stats['examples']}"]
        self.run(ensure_indexes(db))
        # redemptions race in the database, not in the per-process queue of an item
        config = self.config.replace(rewards={"queue_redemptions": False})
        self.ctx = Context(db=db, config=config)
        self.world: World = self.run(build_world(self.ctx))
        self.template = self.run(order_template(self.world))
        self.members: list[dict[str, Any]] = [self.world.users[f"m{i + 1}"] for i in range(MEMBERS)]
        self.path = list(self.members[0]["org_path"])
        self.balance = [{"points": 0, "hours": 0} for _ in range(MEMBERS)]
        # entry id → (member index, kind, delta, key): everything the ledger must still hold
        self.entries: dict[ObjectId, tuple[int, str, float, str]] = {}
        self.award_keys: list[tuple[int, str, float]] = []  # (member, key, delta) to retry
        self.reversible: list[ObjectId] = []  # entries not reversed (nor pending reversal)
        self.pending: list[dict[str, Any]] = []  # adjustments waiting for a second approver
        self.closed: list[dict[str, Any]] = []  # orders as read before they were closed
        # the mall: two items of A1 (cheap and dear), their stock as the model expects it
        self.clock = MachineClock()
        self.ctx.clock = self.clock
        self.applied_alone: Counter[tuple[int, Any]] = Counter()
        self.tried_alone: Counter[tuple[int, Any]] = Counter()
        self.items = [
            self.run(
                items.create_item(
                    self.ctx,
                    self.secretary(),
                    {"org_id": self.world.orgs["A1"]["_id"], "name": name, "price": p, "stock": 4},
                )
            )
            for name, p in (("环保袋", 2), ("理发券", 10))
        ]
        self.stock = [4, 4]
        self.reserved: list[dict[str, Any]] = []  # redemptions not yet picked up or refunded
        self.holds: list[dict[str, Any]] = []  # awards held for review, undecided

    def can_spend(self, m: int, kind: str, delta: float) -> bool:
        return self.balance[m][kind] + delta >= -EPS

    def landed(self, m: int, entries: list[dict[str, Any]]) -> None:
        for doc in entries:
            self.balance[m][doc["kind"]] += doc["delta"]
            self.entries[doc["_id"]] = (m, doc["kind"], doc["delta"], doc["idempotency_key"])
            self.reversible.append(doc["_id"])

    async def append(self, m: int, kind: str, delta: float, key: str, source: str) -> Any:
        entry = ledger.LedgerEntry(
            member_id=self.members[m]["_id"],
            kind=kind,
            delta=delta,
            reason="兑换积分商品" if source == "redemption" else "志愿活动积分",
            source_type=source,
            source_id=key,
            idempotency_key=key,
        )

        async def work(session: Any) -> list[dict[str, Any]]:
            return await ledger.append(self.ctx, session, [entry], org_path=self.path)

        return await uow.in_transaction(self.ctx, work)

    def secretary(self) -> Actor:
        return self.world.actor("sec_a1")

    def approver(self) -> Actor:
        return self.world.actor("sec_a")  # the parent node's secretary: another admin

    async def new_completed_order(self, m: int, pts: int, hrs: float) -> dict[str, Any]:
        doc = clone_order(
            self.template,
            self.world,
            resident=self.world.users["owner"],
            member=self.members[m],
            points=pts,
            hours=hrs,
        )
        await self.ctx.db.orders.insert_one(doc)
        return doc

    def closed_entries(self, order_id: ObjectId) -> list[dict[str, Any]]:
        return self.run(
            self.ctx.db.ledger_entries.find({"source.type": "order", "source.id": order_id})
            .sort("kind", 1)
            .to_list(None)
        )

    # ---------------------------------------------------------------- awards

    @rule(m=member_ix, pts=points, hrs=hours)
    def award(self, m: int, pts: int, hrs: float) -> None:
        key = f"machine:award:{uuid.uuid4().hex}"
        self.landed(m, self.run(self.append(m, "points", pts, key, "activity")))
        hkey = key + ":hours"
        self.landed(m, self.run(self.append(m, "hours", hrs, hkey, "activity")))
        self.award_keys += [(m, key, pts), (m, hkey, hrs)]
        self.stats["awards"] += 1

    @precondition(lambda self: self.award_keys)
    @rule(pick=st.integers(0, 10_000), bump=st.integers(0, 5))
    def retry_award(self, pick: int, bump: int) -> None:
        """A client retries an award with the same key (even with a different amount)."""
        m, key, delta = self.award_keys[pick % len(self.award_keys)]
        kind = "hours" if key.endswith(":hours") else "points"
        try:
            self.run(self.append(m, kind, delta + bump, key, "activity"))
        except ledger.AlreadyRecorded:
            self.stats["retries refused"] += 1
            return
        raise AssertionError(f"a retried award with key {key} was recorded twice")

    @rule(m=member_ix, pts=points, hrs=hours)
    def confirm_order(self, m: int, pts: int, hrs: float) -> None:
        order = self.run(self.new_completed_order(m, pts, hrs))
        owner = self.world.actor("owner")
        self.run(orders.confirm_order(self.ctx, owner, order["_id"], {"rating": 5}))
        self.landed(m, self.closed_entries(order["_id"]))
        self.closed.append({**order, "_m": m})
        self.stats["order awards"] += 1

    @precondition(lambda self: self.closed)
    @rule(pick=st.integers(0, 10_000), how=st.sampled_from(["confirm", "auto", "stale"]))
    def retry_close(self, pick: int, how: str) -> None:
        """Confirm again, the auto-close job on a stale read, or a stale close: all refused."""
        order = self.closed[pick % len(self.closed)]
        clean = {k: v for k, v in order.items() if k != "_m"}
        try:
            if how == "confirm":
                owner = self.world.actor("owner")
                self.run(orders.confirm_order(self.ctx, owner, order["_id"], {"rating": 4}))
            elif how == "auto":
                self.run(orders.auto_close_order(self.ctx, clean, 7))
            else:
                self.run(
                    orders.close_and_award(
                        self.ctx,
                        self.world.actor("owner"),
                        clean,
                        action="confirm",
                        set_fields={"rating": 3},
                    )
                )
        except (Conflict, ledger.AlreadyRecorded):
            self.stats["retries refused"] += 1
            return
        raise AssertionError(f"order {order['_id']} closed twice ({how})")

    @rule(m=member_ix, pts=points, hrs=hours)
    def confirm_races_auto_close(self, m: int, pts: int, hrs: float) -> None:
        order = self.run(self.new_completed_order(m, pts, hrs))
        owner = self.world.actor("owner")
        results = self.gather(
            orders.confirm_order(self.ctx, owner, order["_id"], {"rating": 5}),
            orders.auto_close_order(self.ctx, order, 7),
            orders.auto_close_order(self.ctx, order, 7),
        )
        wins = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(wins) == 1, results
        assert all(isinstance(e, Conflict | ledger.AlreadyRecorded) for e in losers), losers
        self.landed(m, self.closed_entries(order["_id"]))
        self.closed.append({**order, "_m": m})
        self.stats["order awards"] += 1
        self.stats["concurrent batches"] += 1

    @rule(m=member_ix, pts=points, n=st.integers(2, 8))
    def same_key_at_once(self, m: int, pts: int, n: int) -> None:
        key = f"machine:award:{uuid.uuid4().hex}"
        results = self.gather(*(self.append(m, "points", pts, key, "activity") for _ in range(n)))
        wins = [r for r in results if not isinstance(r, BaseException)]
        others = [r for r in results if isinstance(r, BaseException)]
        assert len(wins) == 1, results
        assert all(isinstance(e, ledger.AlreadyRecorded) for e in others), others
        self.landed(m, wins[0])
        self.award_keys.append((m, key, pts))
        self.stats["awards"] += 1
        self.stats["retries refused"] += len(others)
        self.stats["concurrent batches"] += 1

    # ---------------------------------------------------------------- redemptions

    @rule(m=member_ix, cost=st.integers(1, 60))
    def redeem(self, m: int, cost: int) -> None:
        key = f"machine:redeem:{uuid.uuid4().hex}"
        affordable = self.can_spend(m, "points", -cost)
        try:
            self.landed(m, self.run(self.append(m, "points", -cost, key, "redemption")))
        except Conflict as exc:
            assert code(exc) == "insufficient_balance", exc
            assert not affordable, f"refused a spend of {cost} from {self.balance[m]}"
            self.stats["spends refused"] += 1
            return
        assert affordable, f"spent {cost} from {self.balance[m]}"
        self.stats["redemptions"] += 1

    @rule(m=member_ix, cost=st.integers(1, 20), n=st.integers(2, 8))
    def spends_race(self, m: int, cost: int, n: int) -> None:
        """n redemptions at once for one balance: exactly as many as it covers succeed."""
        room = int((self.balance[m]["points"] + EPS) // cost)
        results = self.gather(
            *(
                self.append(m, "points", -cost, f"machine:redeem:{uuid.uuid4().hex}", "redemption")
                for _ in range(n)
            )
        )
        wins = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert all(code(e) == "insufficient_balance" for e in refused), refused
        assert len(wins) == min(n, room), (len(wins), n, room, self.balance[m])
        for win in wins:
            self.landed(m, win)
        self.stats["redemptions"] += len(wins)
        self.stats["spends refused"] += len(refused)
        self.stats["concurrent batches"] += 1

    # ---------------------------------------------------------------- the mall

    def actor_of(self, m: int) -> Actor:
        user = self.run(self.ctx.db.users.find_one({"_id": self.members[m]["_id"]}))
        return Actor.from_user(user)

    def entry_by_key(self, key: str) -> dict[str, Any]:
        doc = self.run(self.ctx.db.ledger_entries.find_one({"idempotency_key": key}))
        assert doc is not None, key
        return doc

    @rule(m=member_ix, which=st.integers(0, 1), n=st.integers(1, 6), same_key=st.booleans())
    def mall_redeem(self, m: int, which: int, n: int, same_key: bool) -> None:
        """n redemptions of one item at once (or one request retried n times): exactly
        min(n, stock, what the balance covers) win; stock, balance and entries agree."""
        item = self.items[which]
        price = item["price"]
        actor = self.actor_of(m)
        room = int((self.balance[m]["points"] + EPS) // price)
        keys = (
            [f"mall-{uuid.uuid4().hex}"] * n
            if same_key
            else [f"mall-{uuid.uuid4().hex}" for _ in range(n)]
        )
        results = self.gather(*(redemptions.redeem(self.ctx, actor, item["_id"], k) for k in keys))
        wins = {r[0]["_id"]: r[0] for r in results if isinstance(r, tuple)}
        refused = [r for r in results if not isinstance(r, tuple)]
        assert {code(e) for e in refused} <= {"sold_out", "insufficient_balance"}, refused
        want = min(1 if same_key else n, self.stock[which], room)
        assert len(wins) == want, (len(wins), n, same_key, self.stock[which], room)
        for doc in wins.values():
            self.landed(m, [self.entry_by_key(doc["ledger_key"])])
            self.reserved.append({**doc, "_m": m, "_item": which})
        self.stock[which] -= len(wins)
        self.stats["mall redemptions"] += len(wins)
        self.stats["spends refused"] += len(refused)
        if n > 1:
            self.stats["concurrent batches"] += 1

    @precondition(lambda self: self.reserved)
    @rule(pick=st.integers(0, 10_000), pickup_races=st.booleans())
    def mall_cancel(self, pick: int, pickup_races: bool) -> None:
        """Cancel (refund by a reversing entry, stock back), maybe racing a 核销: one wins."""
        doc = self.reserved.pop(pick % len(self.reserved))
        m = doc["_m"]
        calls = [redemptions.cancel(self.ctx, self.actor_of(m), doc["_id"])]
        calls.append(redemptions.cancel(self.ctx, self.secretary(), doc["_id"]))
        if pickup_races:
            calls.append(redemptions.pickup(self.ctx, self.approver(), doc["code"]))
        results = self.gather(*calls)
        wins = [r for r in results if not isinstance(r, BaseException)]
        assert len(wins) == 1, results
        assert all(code(r) == "redemption_state" for r in results if isinstance(r, BaseException))
        if wins[0]["status"] == "cancelled":
            self.landed(m, [self.entry_by_key(f"redemption:{doc['_id']}:refund")])
            self.stock[doc["_item"]] += 1
            self.stats["mall cancels"] += 1
        else:
            self.stats["mall pickups"] += 1

    @rule(days=st.sampled_from([3, 15, 200, 400]))
    def time_passes(self, days: int) -> None:
        """The clock moves on and the rewards job runs: unclaimed redemptions expire and are
        refunded, expired points buckets are written off by one keyed entry each."""
        self.clock.move(days=days)
        ids = [u["_id"] for u in self.members]
        before = set(
            e["_id"]
            for e in self.run(
                self.ctx.db.ledger_entries.find({"member_id": {"$in": ids}}, {"_id": 1}).to_list(
                    None
                )
            )
        )
        self.run(redemptions.expire_unclaimed(self.ctx, batch=1000))
        self.run(expiry.expire_points(self.ctx))
        new = self.run(
            self.ctx.db.ledger_entries.find(
                {"member_id": {"$in": ids}, "_id": {"$nin": list(before)}}
            ).to_list(None)
        )
        for entry in new:
            m = ids.index(entry["member_id"])
            if entry["source"]["type"] == "points_expiry":
                assert entry["delta"] < 0
                self.stats["expiry entries"] += 1
            else:
                assert entry["source"]["type"] == "redemption" and entry["delta"] > 0, entry
                self.stats["mall expiries"] += 1
            self.landed(m, [entry])
        now = self.clock()
        still = []
        for doc in self.reserved:
            if doc["expires_at"] <= now:
                self.stock[doc["_item"]] += 1
            else:
                still.append(doc)
        self.reserved = still
        due = self.run(
            self.ctx.db.point_buckets.count_documents(
                {"closed": False, "expires_at": {"$lte": now}}
            )
        )
        assert due == 0, f"{due} buckets past expiry left open"

    @rule(m=member_ix, pts=points, hrs=hours)
    def hold(self, m: int, pts: int, hrs: float) -> None:
        """A confirmation tripping a farming rule: the award is held, nothing in the ledger."""
        order = self.run(self.new_completed_order(m, pts, hrs))
        plain = self.ctx.config
        self.ctx.config = plain.replace(rewards={"farming_daily_cap": 0.5})
        try:
            owner = self.world.actor("owner")
            self.run(orders.confirm_order(self.ctx, owner, order["_id"], {"rating": 5}))
        finally:
            self.ctx.config = plain
        assert self.closed_entries(order["_id"]) == []
        held = self.run(self.ctx.db.held_awards.find_one({"order_id": order["_id"]}))
        assert held is not None and held["status"] == "held"
        self.holds.append({**held, "_m": m})
        self.stats["holds"] += 1

    @precondition(lambda self: self.holds)
    @rule(pick=st.integers(0, 10_000), racers=st.integers(1, 3), refuse_first=st.booleans())
    def release(self, pick: int, racers: int, refuse_first: bool) -> None:
        """Release racing refusals: exactly one decision; a release lands the award once."""
        held = self.holds.pop(pick % len(self.holds))
        calls = [farming.release(self.ctx, self.secretary(), held["_id"], "核实")]
        if racers > 1:
            refusal = farming.refuse(self.ctx, self.approver(), held["_id"], "存疑")
            calls.insert(0 if refuse_first else 1, refusal)
        if racers > 2:
            calls.append(farming.release(self.ctx, self.world.actor("admin"), held["_id"]))
        results = self.gather(*calls)
        wins = [r for r in results if not isinstance(r, BaseException)]
        assert len(wins) == 1, results
        assert all(code(r) == "hold_decided" for r in results if isinstance(r, BaseException))
        if wins[0]["status"] == "released":
            self.landed(held["_m"], self.closed_entries(held["order_id"]))
            self.stats["releases"] += 1
        else:
            assert self.closed_entries(held["order_id"]) == []
            self.stats["refusals"] += 1

    # ---------------------------------------------------------------- adjustments

    def adjusted(self, m: int, adj: dict[str, Any]) -> None:
        entry = self.run(self.ctx.db.ledger_entries.find_one({"_id": adj["entry_id"]}))
        assert entry is not None and entry["delta"] == ledger_units(adj["kind"], adj["delta"]), (
            adj,
            entry,
        )
        self.landed(m, [entry])

    def _alone_key(self, m: int) -> tuple[int, Any]:
        return m, self.clock().astimezone(BEIJING).date()

    def alone_applied(self, m: int, amount: float) -> None:
        """One admin applies alone at most the threshold to a member per Beijing day."""
        key = self._alone_key(m)
        self.applied_alone[key] += amount
        self.tried_alone[key] += amount
        assert self.applied_alone[key] <= adjustments.threshold(self.ctx) + EPS, key

    def alone_pending(self, m: int, amount: float) -> None:
        """A small adjustment waits for a second admin only once the day's budget is used."""
        key = self._alone_key(m)
        assert self.tried_alone[key] + amount > adjustments.threshold(self.ctx), key

    @rule(m=member_ix, kind=kinds, delta=st.one_of(small_delta, big_delta))
    def adjust(self, m: int, kind: str, delta: int) -> None:
        member_id = self.members[m]["_id"]
        big = abs(delta) > adjustments.threshold(self.ctx)
        affordable = self.can_spend(m, kind, ledger_units(kind, delta))
        try:
            adj = self.run(
                adjustments.request_adjustment(
                    self.ctx, self.secretary(), member_id, kind=kind, delta=delta, reason="核对"
                )
            )
        except Conflict as exc:
            assert code(exc) == "insufficient_balance" and not big and not affordable, exc
            self.tried_alone[self._alone_key(m)] += abs(delta)  # may have taken budget
            self.stats["spends refused"] += 1
            return
        if big or adj["status"] == adjustments.PENDING:
            assert adj["status"] == adjustments.PENDING
            if not big:
                self.alone_pending(m, abs(delta))
            self.pending.append({**adj, "_m": m})
            self.stats["adjustments pending"] += 1
            return
        assert adj["status"] == adjustments.APPLIED and affordable, (adj, self.balance[m])
        self.alone_applied(m, abs(delta))
        self.adjusted(m, adj)
        self.stats["adjustments"] += 1

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 10_000), racers=st.integers(1, 3))
    def approve(self, pick: int, racers: int) -> None:
        """The requester may not approve; other admins race to approve: at most one wins."""
        adj = self.pending[pick % len(self.pending)]
        m = adj["_m"]
        try:
            self.run(adjustments.approve(self.ctx, self.secretary(), adj["_id"]))
            raise AssertionError("the requester approved their own adjustment")
        except Forbidden:
            pass
        affordable = self.can_spend(m, adj["kind"], ledger_units(adj["kind"], adj["delta"]))
        approvers = [self.approver(), self.world.actor("admin"), self.approver()][:racers]
        results = self.gather(*(adjustments.approve(self.ctx, a, adj["_id"]) for a in approvers))
        wins = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(wins) == (1 if affordable else 0), (results, self.balance[m], adj["delta"])
        assert all(isinstance(e, Conflict) for e in refused), refused
        if wins:
            self.pending.remove(adj)
            self.adjusted(m, wins[0])
            self.stats["adjustments approved"] += 1
        else:
            assert {code(e) for e in refused} == {"insufficient_balance"}, refused
            self.stats["spends refused"] += 1
        if racers > 1:
            self.stats["concurrent batches"] += 1

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 10_000))
    def reject(self, pick: int) -> None:
        adj = self.pending.pop(pick % len(self.pending))
        self.run(adjustments.reject(self.ctx, self.approver(), adj["_id"], "金额有误"))
        if adj.get("reverses"):
            self.reversible.append(adj["reverses"])  # may be asked for again
        self.stats["adjustments rejected"] += 1

    @precondition(lambda self: self.entries)
    @rule(pick=st.integers(0, 10_000), again=st.booleans())
    def reverse(self, pick: int, again: bool) -> None:
        """冲正: a new entry with the opposite delta; an entry is reversed at most once."""
        ids = list(self.entries)
        entry_id = ids[pick % len(ids)]
        m, kind, delta, _ = self.entries[entry_id]
        open_ = entry_id in self.reversible
        # adjustments (and their four-eyes threshold) speak hours; the ledger holds tenths
        big = abs(ledger.shown(kind, delta)) > adjustments.threshold(self.ctx)
        affordable = self.can_spend(m, kind, -delta)
        member_id = self.members[m]["_id"]
        calls = 2 if again else 1
        for n in range(calls):
            try:
                adj = self.run(
                    adjustments.request_adjustment(
                        self.ctx,
                        self.secretary(),
                        member_id,
                        kind=kind,
                        delta=0,
                        reason="重复发放冲正",
                        reverses=entry_id,
                    )
                )
            except Conflict as exc:
                if code(exc) == "already_reversed":
                    assert not open_ or n > 0, (entry_id, exc)
                    self.stats["retries refused"] += 1
                    continue
                assert code(exc) == "insufficient_balance" and not big and not affordable, exc
                self.tried_alone[self._alone_key(m)] += abs(ledger.shown(kind, delta))
                self.stats["spends refused"] += 1
                return
            assert open_ and n == 0, f"entry {entry_id} reversed twice"
            assert adj["delta"] == -ledger.shown(kind, delta) and adj["reverses"] == entry_id
            self.reversible.remove(entry_id)
            open_ = False
            if big or adj["status"] == adjustments.PENDING:
                assert adj["status"] == adjustments.PENDING
                if not big:
                    self.alone_pending(m, abs(ledger.shown(kind, delta)))
                self.pending.append({**adj, "_m": m})
                self.stats["adjustments pending"] += 1
            else:
                self.alone_applied(m, abs(ledger.shown(kind, delta)))
                self.adjusted(m, adj)
                self.stats["reversals"] += 1

    @rule(
        ops=st.lists(
            st.tuples(
                st.sampled_from(["award", "redeem", "adjust"]), member_ix, st.integers(1, 25)
            ),
            min_size=2,
            max_size=8,
        )
    )
    def mixed_at_once(self, ops: list[tuple[str, int, int]]) -> None:
        """Awards, spends and small adjustments across members at the same time."""
        start = [dict(b) for b in self.balance]

        def call(op: str, m: int, amount: int) -> Any:
            tag = uuid.uuid4().hex
            if op == "award":
                return self.append(m, "points", amount, f"machine:award:{tag}", "activity")
            if op == "redeem":
                return self.append(m, "points", -amount, f"machine:redeem:{tag}", "redemption")
            return adjustments.request_adjustment(
                self.ctx,
                self.secretary(),
                self.members[m]["_id"],
                kind="points",
                delta=-amount if amount % 2 else amount,
                reason="并发调整",
            )

        results = self.gather(*(call(*op) for op in ops))
        spent_ok: Counter[int] = Counter()
        waiting: list[tuple[int, int]] = []
        for (op, m, amount), res in zip(ops, results, strict=True):
            if isinstance(res, BaseException):
                assert code(res) == "insufficient_balance", res
                if op == "adjust":
                    self.tried_alone[self._alone_key(m)] += amount
                continue
            if op == "award":
                self.landed(m, res)
                self.stats["awards"] += 1
            elif op == "redeem":
                self.landed(m, res)
                spent_ok[m] += amount
                self.stats["redemptions"] += 1
            elif res["status"] == adjustments.PENDING:
                waiting.append((m, amount))
                self.pending.append({**res, "_m": m})
                self.stats["adjustments pending"] += 1
            else:
                self.alone_applied(m, amount)
                self.adjusted(m, res)
                if res["delta"] < 0:
                    spent_ok[m] += amount
                self.stats["adjustments"] += 1
        # the server ran them in an order of its own: a pending one saw at most the budget
        # the whole batch took, so it is judged against that, not against the ops before it
        for m, amount in waiting:
            self.alone_pending(m, amount)
        for (op, m, amount), res in zip(ops, results, strict=True):
            if isinstance(res, BaseException):
                # refused only if even the worst order could not cover it
                others = spent_ok[m]
                assert amount > start[m]["points"] - others + EPS, (op, m, amount, start, others)
                self.stats["spends refused"] += 1
        self.stats["concurrent batches"] += 1

    # ---------------------------------------------------------------- invariants

    def violation(self, what: str) -> None:
        self.violations.append(what)
        raise AssertionError(what)

    @invariant()
    def books_balance(self) -> None:
        if not hasattr(self, "members"):
            return
        self.stats["invariant checks"] += 1
        ids = [u["_id"] for u in self.members]
        users = {
            u["_id"]: u
            for u in self.run(
                self.ctx.db.users.find(
                    {"_id": {"$in": ids}}, {"points_balance": 1, "hours_tenths": 1}
                ).to_list(None)
            )
        }
        rows = self.run(
            self.ctx.db.ledger_entries.find(
                {"member_id": {"$in": ids}},
                {"member_id": 1, "kind": 1, "delta": 1, "idempotency_key": 1},
            ).to_list(None)
        )
        sums = {(m, k): 0 for m in ids for k in ledger.KINDS}
        for row in rows:
            sums[(row["member_id"], row["kind"])] += row["delta"]
        for i, member_id in enumerate(ids):
            for kind, field_name in ledger.BALANCE_FIELD.items():
                cached = users[member_id].get(field_name) or 0
                if cached < -EPS:
                    self.violation(f"negative {kind} balance {cached} for member {i}")
                if not isinstance(cached, int) or cached != sums[(member_id, kind)]:
                    self.violation(
                        f"member {i} {kind}: balance {cached} != sum {sums[(member_id, kind)]}"
                    )
                if cached != self.balance[i][kind]:
                    self.violation(
                        f"member {i} {kind}: balance {cached} != model {self.balance[i][kind]}"
                    )
        stored = {
            r["_id"]: (r["member_id"], r["kind"], r["delta"], r["idempotency_key"]) for r in rows
        }
        if len(stored) != len(self.entries):
            self.violation(f"{len(stored)} entries stored, {len(self.entries)} expected")
        for entry_id, (m, kind, delta, key) in self.entries.items():
            if stored.get(entry_id) != (ids[m], kind, delta, key):
                self.violation(f"entry {entry_id} changed or vanished: {stored.get(entry_id)}")

    @invariant()
    def adjustments_land_once(self) -> None:
        if not hasattr(self, "members"):
            return
        ids = [u["_id"] for u in self.members]
        adjs = self.run(
            self.ctx.db.point_adjustments.find({"member_id": {"$in": ids}}).to_list(None)
        )
        keys = Counter(
            r["idempotency_key"]
            for r in self.run(
                self.ctx.db.ledger_entries.find(
                    {"member_id": {"$in": ids}, "source.type": "adjustment"},
                    {"idempotency_key": 1},
                ).to_list(None)
            )
        )
        for adj in adjs:
            landed = keys.get(f"adjustment:{adj['_id']}", 0)
            want = 1 if adj["status"] == adjustments.APPLIED else 0
            if landed != want:
                self.violation(f"adjustment {adj['_id']} ({adj['status']}) has {landed} entries")

    @invariant()
    def stock_matches(self) -> None:
        if not hasattr(self, "items"):
            return
        for which, item in enumerate(self.items):
            doc = self.run(self.ctx.db.reward_items.find_one({"_id": item["_id"]}))
            if doc["stock"] != self.stock[which]:
                self.violation(f"item {which}: stock {doc['stock']} != model {self.stock[which]}")

    def teardown(self) -> None:
        if not hasattr(self, "members"):
            return
        try:
            outcomes = self.run(run_checks(self.ctx))
            problems = [(o.check.name, o.problems[0]) for o in outcomes if o.problems]
            if problems:
                self.violation(f"server check: {problems}")
        finally:
            self.run(drop_database(self.client, self.ctx.db.name))


def test_ledger_state_machine(config: Config, mongo_uri: str) -> None:
    loop = asyncio.new_event_loop()

    async def connect() -> AsyncMongoClient:
        return make_client(mongo_uri, config)

    client = loop.run_until_complete(connect())
    stats: Counter[str] = Counter()
    violations: list[str] = []
    started = time.monotonic()

    class Machine(LedgerMachine):
        pass

    Machine.loop = loop
    Machine.shared = {"client": client}
    Machine.config = config
    Machine.stats = stats
    Machine.violations = violations

    try:
        run_state_machine_as_test(Machine, settings=SETTINGS)
    except Exception as exc:  # a rule's own check failed (a lost, doubled or wrong outcome)
        if not violations:
            violations.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        raise
    finally:
        seconds = round(time.monotonic() - started, 1)
        steps = stats["invariant checks"] - stats["examples"]  # one check after init each
        record(
            "ledger invariants",
            examples=stats["examples"],
            steps=steps,
            awards=stats["awards"],
            order_awards=stats["order awards"],
            redemptions=stats["redemptions"],
            mall_redemptions=stats["mall redemptions"],
            mall_cancels=stats["mall cancels"],
            mall_pickups=stats["mall pickups"],
            mall_expiries=stats["mall expiries"],
            expiry_entries=stats["expiry entries"],
            holds=stats["holds"],
            releases=stats["releases"],
            refusals=stats["refusals"],
            adjustments=stats["adjustments"] + stats["adjustments approved"],
            adjustments_pending=stats["adjustments pending"],
            adjustments_rejected=stats["adjustments rejected"],
            reversals=stats["reversals"],
            spends_refused=stats["spends refused"],
            retries_refused=stats["retries refused"],
            concurrent_batches=stats["concurrent batches"],
            invariant_violations=len(violations),
            seconds=seconds,
        )

        loop.run_until_complete(client.close())
        loop.close()
    assert violations == []
