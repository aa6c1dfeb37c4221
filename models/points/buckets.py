"""Points buckets (积分有效期): what a member earned in one Beijing year, and how much of it
was spent and has expired. Hours never expire and have no buckets.

ledger.append keeps them in the same transaction as the entries: an award fills the bucket
of the year it is earned in; a spend takes from the oldest unexpired buckets first (FIFO)
and the entry records which buckets it took (`buckets`), so a refund can give the same
points back; an expiry entry (`expires_bucket`) empties one bucket. Each bucket's
`expires_at` is fixed when it is opened, from the policy of the member's root node
(config `rewards.points_expire_years`, per root `rewards.points_expire_by_root`).
Invariant (`python -m server check`): no bucket holds fewer than 0 points.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core.clock import BEIJING
from models.core.context import Context
from models.people import orgs

EPS = 0  # points are whole: a bucket with anything left holds at least one


def bucket_id(member_id: ObjectId, year: int) -> str:
    return f"{member_id}:{year}"


def remaining(bucket: dict[str, Any]) -> int:
    return int(bucket["earned"] - bucket["spent"] - bucket["expired"])


def parse_policy(text: str) -> dict[str, int]:
    """`"同心市=2;远山市=0"` → {root node name: years}; 0 means never."""
    out: dict[str, int] = {}
    for part in str(text or "").replace("；", ";").split(";"):
        name, sep, years = part.partition("=")
        if sep and name.strip() and years.strip().lstrip("-").isdigit():
            out[name.strip()] = int(years)
    return out


async def policy_years(ctx: Context, org_path: list[ObjectId]) -> int:
    """Years after the year of earning that points live (0: they never expire)."""
    years = int(ctx.config.rewards.points_expire_years)
    by_root = parse_policy(ctx.config.rewards.points_expire_by_root)
    if org_path and by_root:
        name = await orgs.org_name(ctx, org_path[0])
        if name in by_root:
            years = by_root[name]
    return years


def expiry_moment(year: int, years: int) -> datetime | None:
    """Points earned in `year` expire at the end of `year + years`, Beijing time."""
    if years <= 0:
        return None
    return datetime(year + years + 1, 1, 1, tzinfo=BEIJING)


async def plan(
    ctx: Context,
    session: AsyncClientSession,
    member_id: ObjectId,
    docs: list[dict[str, Any]],
    org_path: list[ObjectId],
) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """The bucket writes for these entries (filter, update, upsert); annotates spends with
    the buckets they took from. Runs inside the append transaction, before the inserts."""
    points = [d for d in docs if d["kind"] == "points" and d["delta"]]
    if not points:
        return []
    now = ctx.now()
    year = now.astimezone(BEIJING).year
    changes: dict[str, dict[str, int]] = {}
    opened: dict[str, dict[str, Any]] = {}
    open_buckets: list[dict[str, Any]] | None = None

    async def load_open() -> list[dict[str, Any]]:
        cursor = ctx.db.point_buckets.find(
            {"member_id": member_id, "closed": False}, session=session
        ).sort("year", 1)
        return [b async for b in cursor]

    def add(bid: str, field: str, amount: int) -> None:
        changes.setdefault(bid, {})
        changes[bid][field] = changes[bid].get(field, 0) + amount

    async def earn(amount: int) -> None:
        bid = bucket_id(member_id, year)
        if bid not in opened:
            years = await policy_years(ctx, org_path)
            opened[bid] = {"year": year, "expires_at": expiry_moment(year, years)}
        add(bid, "earned", amount)

    for doc in points:
        delta = int(doc["delta"])
        if doc.get("expires_bucket"):
            add(doc["expires_bucket"], "expired", -delta)
            continue
        if delta > 0:
            refund = doc.get("refunds_buckets") or []
            if open_buckets is None and refund:
                open_buckets = await load_open()
            live = {b["_id"] for b in open_buckets or [] if _alive(b, now)}
            left = delta
            for part in refund:
                give = min(left, int(part["amount"]))
                if give <= 0:
                    continue
                if part["bucket"] in live:
                    add(part["bucket"], "spent", -give)
                else:  # its bucket has expired since: the points start a new life
                    await earn(give)
                left -= give
            if left > EPS:
                await earn(left)
            continue
        if open_buckets is None:
            open_buckets = await load_open()
        need = -delta
        taken: list[dict[str, Any]] = []
        for bucket in open_buckets:
            if need <= EPS:
                break
            if not _alive(bucket, now):
                continue
            have = remaining(bucket) - changes.get(bucket["_id"], {}).get("spent", 0)
            have += changes.get(bucket["_id"], {}).get("earned", 0)
            take = min(have, need)
            if take > EPS:
                add(bucket["_id"], "spent", take)
                taken.append({"bucket": bucket["_id"], "amount": take})
                need -= take
        doc["buckets"] = taken
        if need > EPS:  # balance older than the buckets (or drift): not in any bucket
            doc["unbucketed"] = need
    writes = []
    for bid, inc in changes.items():
        filt: dict[str, Any] = {"_id": bid}
        update: dict[str, Any] = {"$inc": {k: v for k, v in inc.items()}}
        upsert = False
        if bid in opened:
            upsert = True
            update["$inc"] = {"earned": 0, "spent": 0, "expired": 0, **update["$inc"]}
            update["$setOnInsert"] = {
                "member_id": member_id,
                "year": opened[bid]["year"],
                "expires_at": opened[bid]["expires_at"],
                "closed": False,
                "reminded": False,
                "created_at": now,
            }
        if "expired" in inc:
            update["$set"] = {"closed": True, "closed_at": now}
        writes.append((filt, update, upsert))
    return writes


def _alive(bucket: dict[str, Any], now: datetime) -> bool:
    expires = bucket.get("expires_at")
    if expires is not None and expires.tzinfo is None:
        from datetime import UTC

        expires = expires.replace(tzinfo=UTC)
    return not bucket.get("closed") and (expires is None or expires > now)


async def apply(
    ctx: Context,
    session: AsyncClientSession,
    writes: list[tuple[dict[str, Any], dict[str, Any], bool]],
) -> None:
    for filt, update, upsert in writes:
        await ctx.db.point_buckets.update_one(filt, update, upsert=upsert, session=session)


async def open_buckets(ctx: Context, member_id: ObjectId) -> list[dict[str, Any]]:
    """A member's unexpired buckets holding points, oldest first (for /me/points)."""
    now = ctx.now()
    cursor = ctx.db.point_buckets.find({"member_id": member_id, "closed": False}).sort("year", 1)
    return [b async for b in cursor if _alive(b, now) and remaining(b) > EPS]


async def check_buckets(ctx: Context) -> list[dict[str, Any]]:
    """Every bucket holding fewer than 0 points (spent or expired more than was earned)."""
    problems = []
    async for bucket in ctx.db.point_buckets.find({}):
        if remaining(bucket) < 0 or bucket["spent"] < 0:
            problems.append(
                {
                    "bucket": bucket["_id"],
                    "member_id": bucket["member_id"],
                    "earned": bucket["earned"],
                    "spent": bucket["spent"],
                    "expired": bucket["expired"],
                }
            )
    return problems
