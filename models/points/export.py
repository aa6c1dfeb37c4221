"""积分台账导出: a period's ledger entries under a node as an Excel workbook, audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from models.core import clock, excel
from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from models.points import ledger
from models.points.adjustments import KIND_NAMES

HEADERS = ["时间", "队员", "所属组织", "类型", "变动", "原因", "来源", "来源编号", "操作人"]
SOURCE_NAMES = {"order": "服务工单", "adjustment": "人工调整", "activity": "志愿活动"}
MAX_ROWS = 200_000


async def ledger_workbook(
    ctx: Context, actor: Actor, org: dict[str, Any], first: date, last: date
) -> tuple[bytes, int]:
    """Entries of [first, last] (Beijing days) under `org`, oldest first; the export is audited."""
    since, _ = clock.day_bounds(first)
    _, until = clock.day_bounds(last)
    cursor = ctx.db.ledger_entries.find(
        {"org_path": org["_id"], "created_at": {"$gte": since, "$lt": until}}
    ).sort([("created_at", 1), ("_id", 1)])
    rows = await cursor.limit(MAX_ROWS).to_list(MAX_ROWS)
    tree = await orgs.all_orgs(ctx)
    ids = list({r["member_id"] for r in rows} | {r["actor_id"] for r in rows if r.get("actor_id")})
    names = {
        u["_id"]: u.get("name") or ""
        async for u in ctx.db.users.find({"_id": {"$in": ids}}, {"name": 1})
    }
    table = [
        [
            clock.local_time(r["created_at"]),
            names.get(r["member_id"], ""),
            tree.get(r["org_path"][-1], {}).get("name", "") if r.get("org_path") else "",
            KIND_NAMES.get(r["kind"], r["kind"]),
            ledger.shown(r["kind"], r["delta"]),
            r["reason"],
            SOURCE_NAMES.get(r["source"]["type"], r["source"]["type"]),
            str(r["source"]["id"]),
            names.get(r.get("actor_id"), "系统") if r.get("actor_id") else "系统",
        ]
        for r in rows
    ]
    await audit.record(
        ctx,
        actor,
        "points.export",
        org_path=org["path"],
        target_type="org",
        target_id=org["_id"],
        target_label=org["name"],
        reason=f"{first} 至 {last}，{len(rows)} 条",
    )
    return excel.workbook_bytes("积分台账", HEADERS, table), len(rows)
