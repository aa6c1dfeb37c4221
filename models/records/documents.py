"""Documents built from records: PDF (fpdf2, a CJK font embedded) and Excel (openpyxl).

The font is Noto Sans CJK from Debian's fonts-noto-cjk (`make chromium` installs it); it is
looked up at run time and a clear error names the package when it is missing.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from models.core.clock import BEIJING
from server.errors import AppError

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
SC_INDEX = 2  # Noto Sans CJK SC inside the collection (JP, KR, SC, TC, HK)


class FontMissing(AppError):
    status = 503
    code = "pdf_font_missing"
    message = "服务器缺少中文字体（Debian 软件包 fonts-noto-cjk），暂时无法生成 PDF"


@lru_cache(maxsize=1)
def cjk_font() -> str:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = sorted(Path("/usr/share/fonts").rglob("NotoSansCJK-Regular.ttc"))
    if found:
        return str(found[0])
    raise FontMissing()


def local(value: Any, fmt: str = "%Y-%m-%d") -> str:
    return value.astimezone(BEIJING).strftime(fmt) if value else ""


class Document:
    """A4 portrait, one CJK font, helpers for a title, key/value lines and tables."""

    def __init__(self, title: str):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("同心")
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.add_font("cjk", "", cjk_font(), collection_font_number=SC_INDEX)
        self.pdf.add_page()
        self.pdf.set_font("cjk", size=18)
        self.pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("cjk", size=10.5)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("cjk", size=13)
        self.pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("cjk", size=10.5)

    def line(self, text: str) -> None:
        self.pdf.multi_cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: Iterable[tuple[str, Any]]) -> None:
        for key, value in rows:
            self.line(f"{key}：{'' if value is None else value}")

    def table(self, headers: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            self.line("（无）")
            return
        from fpdf.fonts import FontFace

        heading = FontFace(emphasis="", fill_color=(235, 235, 235))
        with self.pdf.table(text_align="LEFT", line_height=6, headings_style=heading) as table:
            table.row([str(h) for h in headers])
            for row in rows:
                table.row(["" if v is None else str(v) for v in row])

    def qr(self, text: str, size_mm: float = 30) -> None:
        """A QR code drawn as squares (segno's matrix): sharp at any zoom, no image."""
        import segno

        matrix = segno.make(text, error="m").matrix
        n = len(matrix) + 8
        cell = size_mm / n
        x0 = self.pdf.w - self.pdf.r_margin - size_mm
        y0 = self.pdf.get_y()
        self.pdf.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.pdf.rect(x0 + (c + 4) * cell, y0 + (r + 4) * cell, cell, cell, "F")

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def workbook(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if hasattr(value, "astimezone"):
        return local(value, "%Y-%m-%d %H:%M")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula
    return value


# ------------------------------------------------------------------ the dossier


def dossier_pdf(dossier: dict[str, Any]) -> bytes:
    rec = dossier["record"]
    m = rec["member"]
    doc = Document("发展党员志愿服务考察表")
    doc.pairs(
        [
            ("姓名", m["name"]),
            ("所在支部", m["org_name"]),
            ("考察阶段", dossier["stage"]),
            ("志愿者编号", m["volunteer_no"]),
            ("考察期间", f"{local(rec['period']['from'])} 至 {_end_day(rec)}"),
        ]
    )
    doc.heading("考察指标")
    doc.table(
        ["指标", "要求", "实际", "结论"],
        [
            [
                line["label"],
                f"≥ {line['threshold']} {line['unit']}",
                "—" if line["actual"] is None else f"{line['actual']} {line['unit']}",
                "达标" if line["met"] else "未达标",
            ]
            for line in dossier["lines"]
        ],
    )
    doc.line("综合结论：" + ("全部达标" if dossier["met"] else "未全部达标"))
    _record_body(doc, rec)
    return doc.bytes()


def _end_day(rec: dict[str, Any]) -> str:
    from datetime import timedelta

    return local(rec["period"]["to"] - timedelta(seconds=1))


def _record_body(doc: Document, rec: dict[str, Any]) -> None:
    t = rec["totals"]
    doc.heading("服务概况")
    doc.pairs(
        [
            ("服务时长", f"{t['hours']} 小时"),
            ("获得积分", t["points_earned"]),
            ("服务工单", f"{t['orders']} 单"),
            ("平均评分", t["rating_avg"] if t["rating_avg"] is not None else "暂无"),
            *[
                (label, f"{t[key]} {unit}")
                for key, label, unit in (
                    ("activities", "参加活动", "次"),
                    ("wishes", "实现微心愿", "个"),
                    ("voices", "办理民意", "件"),
                )
                if key in t
            ],
        ]
    )
    doc.heading("按月统计")
    doc.table(
        ["月份", "积分", "时长（小时）"],
        [[r["month"], r["points"], r["hours"]] for r in rec["months"]],
    )
    doc.heading("服务工单")
    doc.table(
        ["完成日期", "服务项目", "社区/支部", "时长", "评分"],
        [
            [
                local(o["closed_at"]),
                o["category_name"],
                o["org_name"],
                o["hours"],
                o["rating"] or "",
            ]
            for o in rec["orders"][:60]
        ],
    )
    sections = rec.get("sections") or {}
    if sections.get("activities"):
        doc.heading(f"参加活动（其中三会一课、主题党日 {t.get('meetings', 0)} 次）")
        doc.table(
            ["日期", "活动", "类型", "组织", "时长"],
            [
                [local(a["at"]), a["title"], a["kind_name"], a["org_name"] or "", a["hours"]]
                for a in sections["activities"][:60]
            ],
        )
    if sections.get("wishes"):
        doc.heading("实现微心愿")
        doc.table(
            ["确认日期", "心愿", "社区", "时长"],
            [
                [local(w["at"]), w["title"], w["org_name"] or "", w["hours"]]
                for w in sections["wishes"][:60]
            ],
        )
    if sections.get("voices"):
        doc.heading("办理民意")
        doc.table(
            ["办结日期", "类型", "类别", "评价"],
            [
                [local(v["at"]), v["kind_name"], v["category"] or "", v["rating"] or ""]
                for v in sections["voices"][:60]
            ],
        )
    if rec["community_service"]:
        doc.heading("双报到社区服务")
        doc.table(
            ["社区", "岗位", "状态", "工单", "时长"],
            [
                [c["community_name"], "、".join(c["posts"]), c["status"], c["orders"], c["hours"]]
                for c in rec["community_service"]
            ],
        )
    if rec["honours"]:
        doc.heading("荣誉")
        doc.table(
            ["月份", "称号", "组织"],
            [[h["month"], h["title"], h["org_name"]] for h in rec["honours"]],
        )


def dossier_xlsx(dossier: dict[str, Any]) -> bytes:
    rec = dossier["record"]
    m = rec["member"]
    return workbook(
        [
            (
                "考察指标",
                ["姓名", "支部", "阶段", "指标", "要求", "实际", "结论"],
                [
                    [
                        m["name"],
                        m["org_name"],
                        dossier["stage"],
                        line["label"],
                        line["threshold"],
                        line["actual"],
                        "达标" if line["met"] else "未达标",
                    ]
                    for line in dossier["lines"]
                ],
            ),
            (
                "按月统计",
                ["月份", "积分", "时长（小时）"],
                [[r["month"], r["points"], r["hours"]] for r in rec["months"]],
            ),
            (
                "服务工单",
                ["完成时间", "服务项目", "社区/支部", "时长", "积分", "评分"],
                [
                    [
                        o["closed_at"],
                        o["category_name"],
                        o["org_name"],
                        o["hours"],
                        o["points"],
                        o["rating"],
                    ]
                    for o in rec["orders"]
                ],
            ),
        ]
    )


# ------------------------------------------------------------------ the certificate


def certificate_pdf(cert: dict[str, Any], verify_url: str) -> bytes:
    """志愿服务记录证明, laid out in the order of the 办法: identity, service, issuer, number."""
    content = cert["content"]
    doc = Document("志愿服务记录证明")
    doc.qr(verify_url)
    doc.line(f"证明编号：{cert['number']}")
    doc.heading("一、志愿者身份信息")
    doc.pairs(
        [
            ("姓名", cert["member_name"]),
            ("证件类型", cert["id_type"]),
            ("证件号码", cert["id_number_masked"]),
            ("志愿者编号", content["volunteer_no"]),
        ]
    )
    doc.heading("二、志愿服务信息")
    doc.pairs(
        [
            ("服务期间", f"{cert['period_from']} 至 {cert['period_to']}"),
            ("志愿服务时长合计", f"{content['total_hours']} 小时"),
        ]
    )
    doc.table(
        ["日期", "服务项目", "服务地点", "时长（小时）"],
        [[s["date"], s["name"], s["place"], s["hours"]] for s in content["services"][:80]],
    )
    doc.heading("三、出具单位信息")
    doc.pairs(
        [
            ("出具组织", content["issuer_org"]),
            ("负责人", content["issuer_leader"]),
            ("经办人", content["handler"]),
            ("联系方式", content["contact"]),
            ("出具日期", local(cert["issued_at"])),
        ]
    )
    doc.line("")
    doc.line(f"扫描右上角二维码或访问 {verify_url} 核验本证明的真伪与状态。")
    return doc.bytes()
