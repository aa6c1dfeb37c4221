"""Points are whole and hours whole tenths: refused otherwise, checked exactly, and old float
data converted once (models/ops/migrations.py)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from models.core.validation import Hours, Points, StrictSchema, load
from models.ops import migrations
from models.points import adjustments, ledger
from models.points.forms import AdjustForm
from server.errors import ValidationFailed


class _Body(StrictSchema):
    points = Points()
    hours = Hours()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 1.5}, "points"),
        ({"points": 1e-9}, "points"),
        ({"points": 10.0}, "points"),  # a float is not a whole number of points on the wire
        ({"hours": 0.25}, "hours"),
        ({"hours": 1e-9}, "hours"),
        ({"hours": 1e308}, "hours"),  # × 10 is infinite: refused, never a 500
    ],
)
def test_schemas_refuse_fractions_in_chinese(body, field):
    with pytest.raises(ValidationFailed) as caught:
        load(_Body(), body)
    message = caught.value.fields[field]
    assert "整数" in message or "一位小数" in message or "过大" in message


def test_a_tenth_sent_as_binary_float_is_that_tenth():
    assert load(_Body(), {"hours": 0.1 * 3, "points": 7}) == {"hours": 0.3, "points": 7}


def test_admin_form_takes_whole_points_and_hours_with_one_digit():
    with pytest.raises(ValidationFailed) as caught:
        load(AdjustForm(), {"kind": "points", "delta": "0.001", "reason": "测试"})
    assert caught.value.fields == {"delta": "积分应为整数"}
    with pytest.raises(ValidationFailed):
        load(AdjustForm(), {"kind": "hours", "delta": "1.25", "reason": "测试"})
    assert load(AdjustForm(), {"kind": "hours", "delta": "1.5", "reason": "测试"})["delta"] == 1.5


def test_adjustment_service_refuses_fractions_and_books_hours_as_tenths(live, staff):
    w, ctx = staff, live.ctx
    for kind, delta in (("points", 0.001), ("points", 1e-9), ("hours", 0.05)):
        with pytest.raises(ValidationFailed):
            live.run(
                adjustments.request_adjustment(
                    ctx, w.actor("sec_a1"), w.id("m1"), kind=kind, delta=delta, reason="拆分"
                )
            )
    adj = live.run(
        adjustments.request_adjustment(
            ctx, w.actor("sec_a1"), w.id("m1"), kind="hours", delta=1.5, reason="补录时长"
        )
    )
    entry = live.run(ctx.db.ledger_entries.find_one({"_id": adj["entry_id"]}))
    assert (entry["delta"], entry["unit"], adj["delta"]) == (15, "tenth_hour", 1.5)
    user = live.run(ctx.db.users.find_one({"_id": w.id("m1")}))
    assert user["hours_tenths"] == 15 and "hours_balance" not in user
    assert ledger.entry_json(entry)["delta"] == 1.5


def test_check_ledger_is_exact(live, staff):
    w, ctx = staff, live.ctx
    live.run(
        adjustments.request_adjustment(
            ctx, w.actor("sec_a1"), w.id("m1"), kind="points", delta=10, reason="补录"
        )
    )
    assert live.run(ledger.check_ledger(ctx)) == []
    live.run(ctx.db.users.update_one({"_id": w.id("m1")}, {"$inc": {"points_balance": 1e-9}}))
    problems = live.run(ledger.check_ledger(ctx))
    assert [(p["member_id"], p["kind"]) for p in problems] == [(w.id("m1"), "points")]


def test_float_data_is_converted_once_and_the_books_balance(live, staff):
    """A database as the float version left it: converted, checked, converted again (no-op)."""
    w, ctx = staff, live.ctx
    m1, m2 = w.id("m1"), w.id("m2")
    now = ctx.now()

    def entry(member, kind, delta, **extra):
        return {
            "_id": ObjectId(),
            "member_id": member,
            "kind": kind,
            "delta": delta,
            "reason": "旧数据",
            "source": {"type": "activity", "id": ObjectId()},
            "idempotency_key": f"old:{ObjectId()}",
            "org_path": [],
            "created_at": now,
            **extra,
        }

    old = [
        entry(m1, "points", 10.4),
        entry(m1, "points", 2.6),
        entry(m1, "hours", 1.5),
        entry(m1, "hours", 0.1),
        entry(m1, "hours", 2.0),  # an int-looking float: still hours, not tenths
        entry(m1, "points", -3.0, buckets=[{"bucket": f"{m1}:2026", "amount": 3.0}]),
        entry(m2, "points", 5.0),
        entry(m2, "hours", 3),  # stored as an int by an old writer: 3 hours
    ]

    async def seed():
        await ctx.db.ledger_entries.insert_many(old)
        # m1's cache as floats left it (0.1 + 1.5 + 2.0 drifted), m2's one point off
        await ctx.db.users.update_one(
            {"_id": m1},
            {"$set": {"points_balance": 10.0, "hours_balance": 3.6000000000000005}},
        )
        await ctx.db.users.update_one(
            {"_id": m2}, {"$set": {"points_balance": 6.0, "hours_balance": 3.0}}
        )
        await ctx.db.users.update_many({}, {"$unset": {"hours_tenths": ""}})
        await ctx.db.users.update_many(
            {"hours_balance": {"$exists": False}}, {"$set": {"hours_balance": 0.0}}
        )
        await ctx.db.point_buckets.insert_one(
            {"_id": f"{m1}:2026", "member_id": m1, "year": 2026, "earned": 13.0, "spent": 3.0}
            | {"expired": 0.0, "closed": False, "expires_at": None}
        )
        await ctx.db.point_adjustments.insert_one(
            {"_id": ObjectId(), "member_id": m1, "kind": "points", "delta": 60.0}
            | {"status": "pending", "reason": "旧申请"}
        )
        await ctx.db.held_awards.insert_one(
            {
                "_id": ObjectId(),
                "member_id": m1,
                "status": "held",
                "points": 8.0,
                "hours": 1.5,
                "entries": [
                    {"member_id": m1, "kind": "points", "delta": 8.0},
                    {"member_id": m1, "kind": "hours", "delta": 1.5},
                ],
            }
        )
        await ctx.db.migrations.delete_many({})

    live.run(seed())
    first = live.run(migrations.run_migrations(ctx))["integer_ledger"]
    assert first["members"] >= 2 and first["entries"] == len(old)
    assert (first["buckets"], first["adjustments"], first["holds"]) == (1, 1, 1)

    rows = live.run(ctx.db.ledger_entries.find({"reason": "旧数据"}).to_list(None))
    got = {r["_id"]: (r["delta"], r["unit"]) for r in rows}
    assert [got[e["_id"]] for e in old] == [
        (10, "point"),
        (3, "point"),
        (15, "tenth_hour"),
        (1, "tenth_hour"),
        (20, "tenth_hour"),
        (-3, "point"),
        (5, "point"),
        (30, "tenth_hour"),
    ]
    assert all(type(r["delta"]) is int for r in rows)
    u1 = live.run(ctx.db.users.find_one({"_id": m1}))
    u2 = live.run(ctx.db.users.find_one({"_id": m2}))
    assert "hours_balance" not in u1 and "hours_balance" not in u2
    assert (u1["points_balance"], u1["hours_tenths"]) == (10, 36)
    # m2's cache was one point above its entries: the drift survives, rounding adds none
    assert (u2["points_balance"], u2["hours_tenths"]) == (6, 30)
    problems = live.run(ledger.check_ledger(ctx))
    assert [(p["member_id"], p["kind"], p["balance"], p["sum_of_entries"]) for p in problems] == [
        (m2, "points", 6, 5)
    ]
    bucket = live.run(ctx.db.point_buckets.find_one({"_id": f"{m1}:2026"}))
    assert (bucket["earned"], bucket["spent"], bucket["expired"]) == (13, 3, 0)
    assert all(type(bucket[k]) is int for k in ("earned", "spent", "expired"))
    hold = live.run(ctx.db.held_awards.find_one({"member_id": m1}))
    assert [e["delta"] for e in hold["entries"]] == [8, 15] and hold["ledger_units"]
    assert all(type(e["delta"]) is int for e in hold["entries"])

    # again, by hand and through the recorded runner: nothing changes
    snapshot = live.run(ctx.db.ledger_entries.find({}).sort("_id", 1).to_list(None))
    again = live.run(migrations.integer_ledger(ctx))
    assert again == {"members": 0, "entries": 0, "buckets": 0, "adjustments": 0, "holds": 0}
    assert live.run(migrations.run_migrations(ctx)) == {}
    assert live.run(ctx.db.ledger_entries.find({}).sort("_id", 1).to_list(None)) == snapshot
