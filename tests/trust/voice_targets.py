"""Access-matrix targets of the wishes and voices domains, driven through their services."""

from __future__ import annotations

from typing import Any

from models import voices, wishes
from models.voices import followups


async def target(w: Any, kind: str) -> Any:
    from tests.trust.test_access_matrix import Target

    ctx = w.ctx
    if kind == "org A1":
        return Target(w.orgs["A1"]["_id"], "orgs")
    if kind.startswith("wish "):
        state = kind.removeprefix("wish ")
        wish = await wishes.post_wish(
            ctx,
            w.actor("owner"),
            {
                "org_id": w.orgs["A1"]["_id"],
                "category": "学习用品",
                "title": "新书包",
                "description": "想要一个新书包",
                "value": 100.0,
            },
        )
        wid = wish["_id"]
        if state != "submitted":
            await wishes.approve_wish(ctx, w.actor("sec_a1"), wid)
        if state in ("claimed", "fulfilled"):
            await wishes.claim_wish(ctx, await w.refresh("m1"), wid)
        if state == "fulfilled":
            await wishes.fulfil_wish(ctx, w.actor("m1"), wid, {"note": "已送到"})
        return Target(wid, "wishes")
    voice = await voices.submit_voice(
        ctx,
        w.actor("owner"),
        {
            "kind": "request",
            "category": "环境卫生",
            "text": "楼道灯坏了",
            "org_id": w.orgs["A1"]["_id"],
        },
    )
    vid = voice["_id"]
    if kind == "followup":
        await followups._ask(ctx, "voice", voice, w.id("owner"), 0, "楼道灯")
        fu = await ctx.db.followups.find_one({"source_id": vid})
        return Target(fu["_id"], "followups")
    state = kind.removeprefix("voice ")
    if state in ("accepted", "replied"):
        await voices.assign_voice(ctx, w.actor("sec_a1"), vid, {"handler_id": w.id("m1")})
    if state == "replied":
        await voices.reply_voice(ctx, w.actor("m1"), vid, {"text": "已修好", "public": False})
    return Target(vid, "voices")
