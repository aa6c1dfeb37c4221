"""The 民情分析 figures, kept as counters per (node, month) in the same write as each change.

Every figure is a sum over the month's voices of `contrib(voice)`, a pure function of one
voice's current state. A transition applies `contrib(after) - contrib(before)` to the
counters of every node on the voice's org path, in the transaction that changes the voice:
so the page reads one document per month whatever the number of voices, and a recount
from the raw voices (`recount`, used by the tests and `python -m server check`) always
equals what the page shows. Follow-up answers count into the month they were asked in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core.clock import BEIJING
from models.core.context import Context
from models.voices.states import CLOSED, FAIRLY, SATISFIED


def month_of(when: datetime) -> str:
    return when.astimezone(BEIJING).strftime("%Y-%m")


def month_span(month: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a Beijing calendar month "YYYY-MM"."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=BEIJING)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=BEIJING)
    return start, end


def _minutes(start: datetime, end: datetime | None) -> float:
    return 0.0 if end is None else round((end - start).total_seconds() / 60, 3)


Counts = defaultdict[str, float]


def _add(acc: Counts, more: dict[str, float]) -> None:
    for key, value in more.items():
        acc[key] += value


def contrib(voice: dict[str, Any] | None) -> Counts:
    """What one voice adds to its month's counters, in its current state."""
    c: Counts = defaultdict(float)
    if voice is None:
        return c
    c["total"] += 1
    c[f"kind:{voice['kind']}"] += 1
    c[f"cat:{voice['category']}"] += 1
    if voice.get("first_reply_at"):
        c["replied"] += 1
        c["response_min"] += _minutes(voice["created_at"], voice["first_reply_at"])
    if voice.get("first_closed_at"):
        c["ever_closed"] += 1
        c["close_min"] += _minutes(voice["created_at"], voice["first_closed_at"])
    if voice["status"] == CLOSED:
        c["closed"] += 1
    if voice.get("rating"):
        c["rated"] += 1
        c[f"rating:{voice['rating']}"] += 1
        if voice["rating"] in (SATISFIED, FAIRLY):
            c["satisfied"] += 1
    if voice.get("reopen_count", 0) or voice.get("followup_reopens", 0):
        c["reopened"] += 1
    return c


def delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    old, new = contrib(before), contrib(after)
    for key in set(old) | set(new):
        diff = new[key] - old[key]
        if diff:
            out[key] = round(diff, 3)
    return out


def _doc_id(org_id: ObjectId, month: str) -> str:
    return f"{org_id}:{month}"


async def apply(
    ctx: Context,
    session: AsyncClientSession | None,
    path: list[ObjectId],
    month: str,
    counters: dict[str, float],
    words: list[str] | None = None,
) -> None:
    """Move the counters (and word counts) of `month` for every node on `path`."""
    if counters:
        ops = [
            UpdateOne(
                {"_id": _doc_id(node, month)},
                {
                    "$inc": {f"c.{k}": v for k, v in counters.items()},
                    "$setOnInsert": {"org_id": node, "month": month},
                },
                upsert=True,
            )
            for node in path
        ]
        await ctx.db.voice_monthly.bulk_write(ops, ordered=True, session=session)
    if words:
        ops = [
            UpdateOne(
                {"_id": _doc_id(node, month)},
                {
                    "$inc": {f"w.{w}": 1 for w in words},
                    "$setOnInsert": {"org_id": node, "month": month},
                },
                upsert=True,
            )
            for node in path
        ]
        await ctx.db.voice_words.bulk_write(ops, ordered=True, session=session)


async def read(ctx: Context, org_id: ObjectId, month: str) -> dict[str, float]:
    doc = await ctx.db.voice_monthly.find_one({"_id": _doc_id(org_id, month)})
    return dict((doc or {}).get("c", {}))


async def read_months(ctx: Context, org_id: ObjectId, months: list[str]) -> dict[str, dict]:
    ids = [_doc_id(org_id, m) for m in months]
    docs = {
        d["month"]: d.get("c", {}) async for d in ctx.db.voice_monthly.find({"_id": {"$in": ids}})
    }
    return {m: dict(docs.get(m, {})) for m in months}


async def read_words(ctx: Context, org_id: ObjectId, month: str) -> dict[str, int]:
    doc = await ctx.db.voice_words.find_one({"_id": _doc_id(org_id, month)})
    return dict((doc or {}).get("w", {}))


# ------------------------------------------------------------------ recount and repair


def _clean(counter: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in counter.items() if round(v, 3) != 0}


async def recount(ctx: Context, org_id: ObjectId, month: str) -> tuple[dict, dict]:
    """The counters and words of (node, month) from the raw voices and follow-ups."""
    counters: Counts = defaultdict(float)
    words: Counter[str] = Counter()
    async for voice in ctx.db.voices.find(
        {"org_path": org_id, "month": month}, {"timeline": 0, "replies": 0}
    ):
        _add(counters, contrib(voice))
        words.update(voice.get("tokens", []))
    async for fu in ctx.db.followups.find({"org_path": org_id, "month": month}):
        _add(counters, followup_contrib(fu))
    return _clean(counters), dict(words)


def followup_contrib(fu: dict[str, Any] | None) -> Counts:
    c: Counts = defaultdict(float)
    if fu is None:
        return c
    kind = fu["source_type"]
    c[f"fu_sent:{kind}"] += 1
    if fu.get("status") == "answered":
        c[f"fu_answered:{kind}"] += 1
        if fu.get("solved") is False:
            c[f"fu_unsolved:{kind}"] += 1
    return c


async def rebuild(ctx: Context) -> int:
    """Recompute every counter document from the raw voices and follow-ups (repair, bench)."""
    counters: dict[str, Counts] = {}
    words: dict[str, Counter[str]] = {}
    meta: dict[str, tuple[ObjectId, str]] = {}
    async for voice in ctx.db.voices.find({}, {"timeline": 0, "replies": 0, "text": 0}):
        mine = contrib(voice)
        for node in voice["org_path"]:
            key = _doc_id(node, voice["month"])
            meta[key] = (node, voice["month"])
            _add(counters.setdefault(key, defaultdict(float)), mine)
            words.setdefault(key, Counter()).update(voice.get("tokens", []))
    async for fu in ctx.db.followups.find({}):
        for node in fu["org_path"]:
            key = _doc_id(node, fu["month"])
            meta[key] = (node, fu["month"])
            _add(counters.setdefault(key, defaultdict(float)), followup_contrib(fu))
    await ctx.db.voice_monthly.delete_many({})
    await ctx.db.voice_words.delete_many({})
    docs = [
        {"_id": k, "org_id": meta[k][0], "month": meta[k][1], "c": _clean(v)}
        for k, v in counters.items()
    ]
    wdocs = [
        {"_id": k, "org_id": meta[k][0], "month": meta[k][1], "w": dict(v)}
        for k, v in words.items()
        if v
    ]
    if docs:
        await ctx.db.voice_monthly.insert_many(docs)
    if wdocs:
        await ctx.db.voice_words.insert_many(wdocs)
    return len(docs)


async def check(ctx: Context) -> list[dict[str, Any]]:
    """Every (node, month) whose counters differ from a recount of its voices."""
    problems = []
    async for doc in ctx.db.voice_monthly.find({}):
        expected, words = await recount(ctx, doc["org_id"], doc["month"])
        if _clean(doc.get("c", {})) != expected:
            problems.append({"org_id": doc["org_id"], "month": doc["month"], "problem": "counters"})
        stored = await read_words(ctx, doc["org_id"], doc["month"])
        if {k: v for k, v in stored.items() if v} != words:
            problems.append({"org_id": doc["org_id"], "month": doc["month"], "problem": "words"})
    return problems


async def repair(ctx: Context, problems: list[dict[str, Any]]) -> int:
    await rebuild(ctx)
    return len(problems)
