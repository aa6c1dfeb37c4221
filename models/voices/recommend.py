"""Handler recommendation and handler profiles (办理人画像: years, cases, stars, reviews).

Candidates are the secretaries and members of the node in charge (and below it, capped).
Score: same-category cases handled (experience), skills naming the category (duty),
current open load (fewer is better) and the satisfaction of past ratings; each part that
counts is said in the reasons, as the order recommendation does.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.people import orgs
from models.people.users import STAFF_ROLES, Actor
from models.voices.states import ACCEPTED, CLOSED, FAIRLY, SATISFIED, UNSATISFIED
from models.voices.visibility import get_visible, manages_charge
from server.errors import Forbidden

MAX_CANDIDATES = 40
STARS = {SATISFIED: 5.0, FAIRLY: 4.0, UNSATISFIED: 1.0}


async def profile(ctx: Context, user: dict[str, Any], category: str | None = None) -> dict:
    """Years of service, cases handled (closed), open cases, stars and the latest reviews."""
    uid = user["_id"]
    handled = await ctx.db.voices.count_documents({"handler_id": uid, "status": CLOSED})
    open_cases = await ctx.db.voices.count_documents({"handler_id": uid, "status": ACCEPTED})
    rated = (
        await ctx.db.voices.find(
            {"handler_id": uid, "status": CLOSED, "rating": {"$in": list(STARS)}},
            {"rating": 1, "rating_comment": 1, "category": 1, "moderation.rating_comment": 1},
        )
        .sort([("closed_at", -1)])
        .limit(50)
        .to_list(50)
    )
    stars = round(sum(STARS[r["rating"]] for r in rated) / len(rated), 1) if rated else None
    since = user.get("joined_at") or user.get("created_at")
    years = round((ctx.now() - since).days / 365, 1) if since else 0.0
    same = sum(1 for r in rated if category and r.get("category") == category)
    return {
        "id": str(uid),
        "name": user.get("name") or "",
        "role": user.get("role"),
        "org_name": await orgs.org_name(ctx, user.get("org_id")),
        "years_of_service": years,
        "cases_handled": handled,
        "open_cases": open_cases,
        "stars": stars,
        "reviews": [  # a comment held or hidden by the content check is not quoted
            f"{r['rating']}：{r['rating_comment']}"
            for r in rated
            if r.get("rating_comment") and not (r.get("moderation") or {}).get("rating_comment")
        ][:3],
        "_same_category": same,
    }


async def recommend_handlers(ctx: Context, actor: Actor, voice_id: ObjectId) -> list[dict]:
    voice = await get_visible(ctx, actor, voice_id)
    if not manages_charge(voice, actor):
        raise Forbidden("只有负责受理的组织管理员可以查看推荐")
    users = (
        await ctx.db.users.find(
            {
                "org_path": voice["charge_id"],
                "role": {"$in": ["member", *STAFF_ROLES]},
                "deleted_at": None,
            }
        )
        .limit(MAX_CANDIDATES)
        .to_list(MAX_CANDIDATES)
    )
    out = []
    for user in users:
        p = await profile(ctx, user, voice["category"])
        score, reasons = 0.0, []
        if user.get("org_id") == voice["charge_id"] and user.get("role") in STAFF_ROLES:
            score += 2
            reasons.append("负责组织的管理员")
        if voice["category"] in (user.get("skills") or []) or voice["category"] in (
            user.get("duties") or []
        ):
            score += 3
            reasons.append(f"负责「{voice['category']}」")
        if p["_same_category"]:
            score += min(p["_same_category"], 5)
            reasons.append(f"办过 {p['_same_category']} 件同类民意")
        score -= p["open_cases"]
        reasons.append(f"在办 {p['open_cases']} 件" if p["open_cases"] else "当前无在办")
        if p["stars"] is not None:
            score += (p["stars"] - 3) / 2
            reasons.append(f"评价 {p['stars']} 星")
        p.pop("_same_category")
        out.append({"handler": p, "score": round(score, 2), "reasons": reasons})
    out.sort(key=lambda r: (-r["score"], r["handler"]["id"]))
    return out[:10]
