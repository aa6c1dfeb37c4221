"""民情分析: the figures of one node and month, read from the counters (rollup.py).

The page reads three things whatever the number of voices: the month's counter document,
twelve months of counter documents (trend) and the month's word table.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from bson import ObjectId

from models.core.clock import BEIJING
from models.core.context import Context
from models.voices import rollup
from models.voices.states import CATEGORIES, KINDS, RATINGS

HOT_WORDS = 40


def months_back(month: str, n: int) -> list[str]:
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        mon -= 1
        if mon == 0:
            year, mon = year - 1, 12
    return list(reversed(out))


def current_month(ctx: Context) -> str:
    return ctx.now().astimezone(BEIJING).strftime("%Y-%m")


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _avg_hours(total_min: float, n: float) -> float | None:
    return round(total_min / n / 60, 2) if n else None


def summarise(c: dict[str, float]) -> dict[str, Any]:
    """The figures a counter document stands for (also applied to a recount in tests)."""
    fu_answered = sum(c.get(f"fu_answered:{k}", 0) for k in ("voice", "order"))
    fu_unsolved = sum(c.get(f"fu_unsolved:{k}", 0) for k in ("voice", "order"))
    return {
        "total": int(c.get("total", 0)),
        "by_kind": {k: int(c.get(f"kind:{k}", 0)) for k in KINDS},
        "by_category": {k: int(c.get(f"cat:{k}", 0)) for k in CATEGORIES},
        "replied": int(c.get("replied", 0)),
        "closed": int(c.get("closed", 0)),
        "ever_closed": int(c.get("ever_closed", 0)),
        "avg_response_hours": _avg_hours(c.get("response_min", 0), c.get("replied", 0)),
        "avg_closing_hours": _avg_hours(c.get("close_min", 0), c.get("ever_closed", 0)),
        "rated": int(c.get("rated", 0)),
        "by_rating": {r: int(c.get(f"rating:{r}", 0)) for r in RATINGS},
        "satisfaction_rate": _rate(c.get("satisfied", 0), c.get("rated", 0)),
        "reopened": int(c.get("reopened", 0)),
        "reopen_rate": _rate(c.get("reopened", 0), c.get("ever_closed", 0)),
        "followups_sent": int(sum(c.get(f"fu_sent:{k}", 0) for k in ("voice", "order"))),
        "followups_answered": int(fu_answered),
        "followups_unsolved": int(fu_unsolved),
        "followup_reopen_rate": _rate(fu_unsolved, fu_answered),
    }


async def figures(ctx: Context, org_id: ObjectId, month: str) -> dict[str, Any]:
    months = months_back(month, 12)
    docs = await rollup.read_months(ctx, org_id, months)
    words = await rollup.read_words(ctx, org_id, month)
    top = sorted(((w, n) for w, n in words.items() if n > 0), key=lambda x: (-x[1], x[0]))
    out = summarise(docs[month])
    out["month"] = month
    out["hot_words"] = [{"word": w, "count": n} for w, n in top[:HOT_WORDS]]
    out["trend"] = [
        {
            "month": m,
            "total": int(docs[m].get("total", 0)),
            "closed": int(docs[m].get("closed", 0)),
            "satisfaction_rate": _rate(docs[m].get("satisfied", 0), docs[m].get("rated", 0)),
        }
        for m in months
    ]
    return out


def export_xlsx(org_name: str, data: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "民情分析"
    ws.append(["组织", org_name])
    ws.append(["月份", data["month"]])
    ws.append(["民意总数", data["total"]])
    for k, name in KINDS.items():
        ws.append([f"类型：{name}", data["by_kind"][k]])
    for cat, n in data["by_category"].items():
        ws.append([f"分类：{cat}", n])
    ws.append(["已答复", data["replied"]])
    ws.append(["已办结", data["closed"]])
    ws.append(["平均响应时长（小时）", data["avg_response_hours"]])
    ws.append(["平均办结时长（小时）", data["avg_closing_hours"]])
    for r, n in data["by_rating"].items():
        ws.append([f"评价：{r}", n])
    ws.append(["满意率", data["satisfaction_rate"]])
    ws.append(["重新办理率", data["reopen_rate"]])
    ws.append(["回访未解决率", data["followup_reopen_rate"]])
    words = wb.create_sheet("热词")
    words.append(["热词", "出现次数"])
    for row in data["hot_words"]:
        words.append([row["word"], row["count"]])
    trend = wb.create_sheet("趋势")
    trend.append(["月份", "总数", "办结", "满意率"])
    for row in data["trend"]:
        trend.append([row["month"], row["total"], row["closed"], row["satisfaction_rate"]])
    sheet = wb.create_sheet("明细")
    sheet.append(["提交时间", "类型", "分类", "内容", "状态", "办理人", "评价"])
    for v in items:
        created: datetime = v["created_at"]
        sheet.append(
            [
                created.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
                KINDS[v["kind"]],
                v["category"],
                v["text"],
                v["status"],
                v.get("handler_name") or "",
                v.get("rating") or "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
