"""Points expiry: FIFO spends, explicit expiry entries across a Beijing year boundary,
the reminder once, /me/points showing what will expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.core.clock import BEIJING
from models.points import buckets
from models.rewards import expiry, redemptions
from server.errors import AppError
from tests.rewards.helpers import assert_clean, balance, give_points, item, member


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


async def bucket(ctx, actor, year):
    return await ctx.db.point_buckets.find_one({"_id": buckets.bucket_id(actor.id, year)})


@pytest.mark.gen_test(timeout=90)
async def test_fifo_expiry_and_reminder_across_the_year_end(ctx, world, clock):
    clock.now = beijing(2025, 6, 1, 10)
    buyer = await member(ctx, world, "小冯", points=100)
    clock.now = beijing(2026, 3, 1, 10)
    await give_points(ctx, buyer.doc, 50)
    b25, b26 = await bucket(ctx, buyer, 2025), await bucket(ctx, buyer, 2026)
    assert b25["expires_at"] == beijing(2027, 1, 1) and b26["expires_at"] == beijing(2028, 1, 1)
    shelf = await item(ctx, world, stock=10, price=120)
    # oldest first: 100 from 2025, then 20 from 2026; a cancel gives back the same points
    first, _ = await redemptions.redeem(ctx, buyer, shelf["_id"], "fifo-1")
    assert first["debit_buckets"] == [
        {"bucket": b25["_id"], "amount": 100.0},
        {"bucket": b26["_id"], "amount": 20.0},
    ]
    await redemptions.cancel(ctx, buyer, first["_id"])
    assert buckets.remaining(await bucket(ctx, buyer, 2025)) == 100
    assert buckets.remaining(await bucket(ctx, buyer, 2026)) == 50
    small = await item(ctx, world, stock=10, price=30)
    await redemptions.redeem(ctx, buyer, small["_id"], "fifo-2")
    summary = await expiry.expiring_summary(ctx, buyer.id)
    assert summary["expiry_notice"] == "70 积分将于 2026-12-31 到期"
    assert [r["points"] for r in summary["expiring"]] == [70, 50]

    # the reminder: 30 days before, once
    clock.now = beijing(2026, 12, 2, 0, 0) - timedelta(seconds=1)  # 30 days + 1 s before
    assert (await expiry.remind_expiring(ctx))["reminded"] == 0
    clock.move(seconds=2)
    assert (await expiry.remind_expiring(ctx))["reminded"] == 1
    clock.move(days=10)
    assert (await expiry.remind_expiring(ctx))["reminded"] == 0
    inbox = await ctx.db.notifications.find({"user_id": buyer.id}).to_list(None)
    texts = [n["body"] for n in inbox if n["kind"] == "points_expiry"]
    assert texts == ["70 积分将于 2026-12-31 到期，请及时兑换"]

    # points earned on the last evening of 2026 (Beijing) belong to 2026, a minute after
    # midnight to 2027 — although both moments are 31 December in UTC
    clock.now = beijing(2026, 12, 31, 23, 30)
    await give_points(ctx, buyer.doc, 5)
    assert (await bucket(ctx, buyer, 2026))["earned"] == 55
    clock.now = beijing(2026, 12, 31, 23, 59, 59)
    assert (await expiry.expire_points(ctx))["buckets"] == 0
    clock.now = beijing(2027, 1, 1, 0, 0, 1)
    assert clock.now.year == 2026  # still 2026 in UTC
    await give_points(ctx, buyer.doc, 7)
    assert (await bucket(ctx, buyer, 2027))["earned"] == 7
    done = await expiry.expire_points(ctx)
    assert done == {"buckets": 1, "points": 70}
    assert (await expiry.expire_points(ctx))["buckets"] == 0
    entries = await ctx.db.ledger_entries.find({"source.type": "points_expiry"}).to_list(None)
    assert [(e["delta"], e["idempotency_key"]) for e in entries] == [
        (-70, f"expiry:{buyer.id}:2025")
    ]
    assert await balance(ctx, buyer) == 150 - 30 + 5 + 7 - 70
    summary = await expiry.expiring_summary(ctx, buyer.id)
    assert summary["expiry_notice"] == "55 积分将于 2027-12-31 到期"
    await assert_clean(ctx)


@pytest.mark.gen_test(timeout=60)
async def test_spends_skip_expired_points_and_late_refunds_live_again(ctx, world, clock):
    clock.now = beijing(2025, 5, 1, 9)
    buyer = await member(ctx, world, "小陈", points=40)
    clock.now = beijing(2026, 12, 20, 9)
    shelf = await item(ctx, world, stock=5, price=30)
    held, _ = await redemptions.redeem(ctx, buyer, shelf["_id"], "late-1")
    clock.now = beijing(2027, 1, 1, 0, 5)
    # the job has not run yet: the 10 points of 2025 left are no longer spendable
    cheap = await item(ctx, world, stock=5, price=10)
    with pytest.raises(AppError) as err:
        await redemptions.redeem(ctx, buyer, cheap["_id"], "late-2")
    assert err.value.code == "insufficient_balance"
    assert (await expiry.expire_points(ctx))["points"] == 10
    # cancelling the 2026 redemption now: its 2025 bucket is gone, the points get a new year
    await redemptions.cancel(ctx, buyer, held["_id"])
    assert await balance(ctx, buyer) == 30
    assert (await bucket(ctx, buyer, 2027))["earned"] == 30
    await assert_clean(ctx)


@pytest.mark.gen_test(timeout=60)
async def test_policy_per_root_node(ctx, world, clock):
    ctx.config = ctx.config.replace(rewards={"points_expire_by_root": "同心市=0"})
    clock.now = beijing(2020, 1, 1, 9)
    buyer = await member(ctx, world, "小褚", points=10)
    assert (await bucket(ctx, buyer, 2020))["expires_at"] is None
    clock.now = beijing(2030, 1, 1, 9)
    assert (await expiry.expire_points(ctx))["buckets"] == 0
    assert (await expiry.expiring_summary(ctx, buyer.id))["expiry_notice"] is None
    ctx.config = ctx.config.replace(rewards={"points_expire_by_root": "同心市=2"})
    other = await member(ctx, world, "小卫", points=10)
    assert (await bucket(ctx, other, 2030))["expires_at"] == beijing(2033, 1, 1)


@pytest.mark.gen_test(timeout=60)
async def test_me_points_shows_expiring_buckets(api, ctx, world, clock):
    clock.now = beijing(2026, 7, 1, 9)
    from models.people.auth import issue_token

    buyer = await member(ctx, world, "小蒋", points=25)
    token, _ = await issue_token(ctx, buyer.id)
    status, body = await api.get("/api/v1/me/points", token=token)
    assert status == 200, body
    assert body["expiry_notice"] == "25 积分将于 2027-12-31 到期"
    assert body["expiring"][0]["year"] == 2026
