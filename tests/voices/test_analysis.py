"""民情分析: a month of voices in every state; every figure on the page equals a recount
from the raw voices done here independently, for the node and for a node above it."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from models import voices
from models.voices import analysis, rollup
from models.voices.states import CATEGORIES, KINDS

TEXTS = [
    "小区垃圾分类点太臭了，夏天蚊子很多",
    "建议在广场增加健身器材，老人锻炼不方便",
    "物业电梯经常故障，老人上下楼很困难",
    "感谢网格员帮忙修好了路灯",
    "停车位太少，晚上车辆乱停占用消防通道",
    "垃圾清运不及时，楼道堆满杂物",
]


async def build_month(world, clock):
    ctx = world.ctx
    rng = random.Random(15)
    sec = world.actor("sec_a1")
    ids = []
    for _ in range(30):
        actor = world.actor(rng.choice(["owner", "other"]))
        org = world.orgs[rng.choice(["A1", "A1", "A2"])]
        v = await voices.submit_voice(
            ctx,
            actor,
            {
                "kind": rng.choice(list(KINDS)),
                "category": rng.choice(CATEGORIES[:4]),
                "text": rng.choice(TEXTS),
                "org_id": org["_id"],
            },
        )
        ids.append((v["_id"], actor, org))
        clock.move(minutes=rng.randint(1, 90))
    for vid, actor, org in ids:
        step = rng.randint(0, 5)
        staff = sec if org is world.orgs["A1"] else world.actor("sec_a")
        if step >= 1:
            await voices.accept_voice(ctx, staff, vid)
            clock.move(minutes=rng.randint(5, 300))
        if step >= 2:
            await voices.reply_voice(ctx, staff, vid, {"text": "已安排处理"})
            clock.move(minutes=rng.randint(5, 300))
        if step == 3:
            await voices.close_voice(ctx, staff, vid, "")
        if step >= 4:
            rating = rng.choice(["满意", "基本满意", "不满意"])
            await voices.rate_voice(ctx, actor, vid, {"rating": rating})
        if step == 5:
            doc = await ctx.db.voices.find_one({"_id": vid})
            if doc["status"] == "accepted":  # 不满意 reopened it: second reply and rating
                await voices.reply_voice(ctx, staff, vid, {"text": "已再次处理"})
                await voices.rate_voice(ctx, actor, vid, {"rating": "基本满意"})
    return ids


def independent(docs):
    """The figures computed straight from the raw documents, without the rollup code."""
    closed_once = [d for d in docs if d.get("first_closed_at")]
    replied = [d for d in docs if d.get("first_reply_at")]
    rated = [d for d in docs if d.get("rating")]
    reopened = [d for d in docs if d["reopen_count"] or d["followup_reopens"]]
    hours = lambda a, b: (b - a).total_seconds() / 3600  # noqa: E731
    return {
        "total": len(docs),
        "by_kind": {k: sum(d["kind"] == k for d in docs) for k in KINDS},
        "by_category": {c: sum(d["category"] == c for d in docs) for c in CATEGORIES},
        "replied": len(replied),
        "closed": sum(d["status"] == "closed" for d in docs),
        "avg_response_hours": round(
            sum(hours(d["created_at"], d["first_reply_at"]) for d in replied) / len(replied), 2
        ),
        "avg_closing_hours": round(
            sum(hours(d["created_at"], d["first_closed_at"]) for d in closed_once)
            / len(closed_once),
            2,
        ),
        "by_rating": {r: sum(d.get("rating") == r for d in docs) for r in voices.RATINGS},
        "satisfaction_rate": round(
            sum(d["rating"] in ("满意", "基本满意") for d in rated) / len(rated), 4
        ),
        "reopened": len(reopened),
        "reopen_rate": round(len(reopened) / len(closed_once), 4),
    }


@pytest.mark.gen_test(timeout=120)
async def test_every_figure_equals_a_recount(world, ctx, clock):
    clock.now = clock.now.replace(day=3, hour=2)  # well inside one Beijing month
    await build_month(world, clock)
    month = rollup.month_of(clock.now)
    for node in ("A1", "A", "street"):
        org_id = world.orgs[node]["_id"]
        docs = await ctx.db.voices.find({"org_path": org_id}).to_list(None)
        assert docs and all(d["month"] == month for d in docs)
        shown = await analysis.figures(ctx, org_id, month)
        want = independent(docs)
        for name, value in want.items():
            assert shown[name] == value, (node, name, shown[name], value)
        words = Counter(w for d in docs for w in d["tokens"])
        top = sorted(words.items(), key=lambda x: (-x[1], x[0]))[: analysis.HOT_WORDS]
        assert [(r["word"], r["count"]) for r in shown["hot_words"]] == top
        assert shown["trend"][-1]["total"] == len(docs)
    assert "垃圾" in {r["word"] for r in shown["hot_words"]}
    assert not {"的", "了", "很"} & {r["word"] for r in shown["hot_words"]}  # stop words
    assert await rollup.check(ctx) == []
    # a counter knocked off is found by the check, and the repair restores the figures
    await ctx.db.voice_monthly.update_one(
        {"_id": f"{world.orgs['A']['_id']}:{month}"}, {"$inc": {"c.total": 3}}
    )
    assert [p["org_id"] for p in await rollup.check(ctx)] == [world.orgs["A"]["_id"]]
    await rollup.rebuild(ctx)
    assert await rollup.check(ctx) == []
    clock.move(days=40)
    assert (await analysis.figures(ctx, world.orgs["A"]["_id"], month))["total"] == want["total"]
