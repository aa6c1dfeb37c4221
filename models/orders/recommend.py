"""Volunteer recommendation: rank members by skill, distance, workload, rotation and rating."""

from __future__ import annotations

import math
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.core.geo import distance_km
from models.orders import candidates
from models.orders.visibility import get_visible
from models.people import orgs
from models.people.users import Actor
from server.errors import Forbidden

# members ranked per request: SAMPLE_PER_ITEM times the list's length; a node with more is
# ranked over a sample that size, walked by the indexed `pick` from a point fixed per order
# (models/orders/candidates.py), so the cost follows the list, not the node
SAMPLE_PER_ITEM = 3


def score_member(
    order: dict[str, Any], member: dict[str, Any], now: Any, max_open: int
) -> tuple[float, list[str]]:
    """Weighted score in [0, 1] and the reasons a secretary reads (in Chinese)."""
    reasons = []
    wanted = set(order.get("skills", []))
    matched = [s for s in member.get("skills", []) if s in wanted]
    skill = len(matched) / len(wanted) if wanted else 0.5
    reasons.append(f"技能匹配：{'、'.join(matched)}" if matched else "无对口技能")

    where = (order.get("location") or {}).get("coordinates")
    home = (member.get("home_location") or {}).get("coordinates")
    km = distance_km(where, home)
    near = 1 / (1 + km) if math.isfinite(km) else 0.2
    reasons.append(f"距离约 {km:.1f} 公里" if math.isfinite(km) else "未登记住址位置")

    open_now = member.get("open_orders", 0)
    load = max(0.0, 1 - open_now / max_open) if max_open else 0.0
    reasons.append(f"当前在办 {open_now} 单")

    last = member.get("last_served_at")
    if last is None:
        rotation = 1.0
        reasons.append("近期未参与服务")
    else:
        days = max(0.0, (now - last).total_seconds() / 86400)
        rotation = min(days, 30) / 30
        reasons.append(f"上次服务在 {int(days)} 天前")

    count = member.get("rating_count", 0)
    avg = member.get("rating_sum", 0) / count if count else None
    rating = avg / 5 if avg else 0.8
    reasons.append(f"平均评分 {avg:.1f}" if avg else "暂无评分")

    score = 0.35 * skill + 0.25 * near + 0.2 * load + 0.1 * rotation + 0.1 * rating
    return round(score, 4), reasons


async def recommend_volunteers(
    ctx: Context, actor: Actor, order_id: ObjectId, limit: int = 10
) -> list[dict[str, Any]]:
    """Rank the members near the order by skill, distance, workload, rotation and rating:
    every member of the community (or the caller's branch) when they are at most
    `SAMPLE_PER_ITEM × limit`, else a sample that size, so the cost does not follow the
    node's size (plus up to `limit` of the community's 双报到 volunteer pool)."""
    order = await get_visible(ctx, actor, order_id, timeline=False)
    if not actor.manages(order["org_path"]):
        raise Forbidden("只有组织管理员可以查看推荐队员")
    all_orgs = await orgs.all_orgs(ctx)
    community = order["org_id"]
    if all_orgs.get(community, {}).get("type") == "branch" and len(order["org_path"]) > 1:
        community = order["org_path"][-2]
    # members under the order's community AND inside the caller's subtree: both nodes lie on
    # the order's path, so that is simply everyone under the deeper of the two (one index)
    path = order["org_path"]
    deeper = max(community, actor.org_id, key=lambda node: path.index(node) if node in path else -1)
    out = candidates.excluded(order)  # nobody is recommended for an order they placed
    projection = {
        "name": 1,
        "skills": 1,
        "org_id": 1,
        "home_location": 1,
        "open_orders": 1,
        "last_served_at": 1,
        "rating_sum": 1,
        "rating_count": 1,
    }
    start = candidates.start_point(order)
    members = await candidates.sample_members(
        ctx,
        {"org_path": deeper, "role": "member"},
        want=SAMPLE_PER_ITEM * limit,
        start=start,
        keep=lambda m: not out(m),
        projection=projection,
    )
    if deeper == community:  # 双报到: the community's volunteer pool is recommended too
        seen = {m["_id"] for m in members}
        members += await candidates.sample_members(
            ctx,
            {"pool_orgs": community, "role": "member"},
            want=limit,
            start=start,
            keep=lambda m: not out(m) and m["_id"] not in seen,
            projection=projection,
        )
    max_open = int(ctx.config.orders.max_open_per_member)
    now = ctx.now()
    ranked = []
    for member in members:
        score, reasons = score_member(order, member, now, max_open)
        if member.get("open_orders", 0) >= max_open:
            reasons.append("在办工单已达上限")
            score = 0.0
        ranked.append((score, member, reasons))
    ranked.sort(key=lambda r: (-r[0], str(r[1]["_id"])))
    return [
        {
            "member": {
                "id": str(m["_id"]),
                "name": m.get("name") or "",
                "skills": m.get("skills", []),
                "org_name": (all_orgs.get(m["org_id"]) or {}).get("name")
                if m.get("org_id")
                else None,
            },
            "score": score,
            "reasons": reasons,
        }
        for score, m, reasons in ranked[:limit]
    ]
