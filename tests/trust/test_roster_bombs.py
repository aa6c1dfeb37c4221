"""Hostile roster files: malformed .xlsx variants answer 400/422 in Chinese (never 500),
a sheet of millions of empty rows stops at the row limit, and `/healthz` keeps answering
while an import is parsed (figure: slowest /healthz during the bomb's import)."""

from __future__ import annotations

import io
import threading
import time
import zipfile

import pytest
import requests

from models.people import roster
from server.errors import AppError
from tests.live import signed_in
from tests.trust.figures import record

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
    for col, name in zip("ABCD", ("姓名", "手机号", "所属支部", "政治面貌"), strict=True)
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(rows: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{NS}">'
        f'<sheetData><row r="1">{HEADER}</row>{rows}</sheetData></worksheet>'
    )


def with_parts(**parts: str) -> bytes:
    """The import template with some of its parts replaced (name: path with / as __)."""
    source = zipfile.ZipFile(io.BytesIO(roster.template_bytes()))
    replace = {name.replace("__", "/").replace("_xml", ".xml"): v for name, v in parts.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = replace.pop(info.filename, None)
            target.writestr(info.filename, data if data is not None else source.read(info))
        for name, data in replace.items():
            target.writestr(name, data)
    return out.getvalue()


def sheet_part() -> str:
    names = zipfile.ZipFile(io.BytesIO(roster.template_bytes())).namelist()
    return next(n for n in names if n.startswith("xl/worksheets/sheet"))


def variant(sheet_xml: str) -> bytes:
    return with_parts(**{sheet_part().replace("/", "__").replace(".xml", "_xml"): sheet_xml})


LAUGHS = (
    '<!DOCTYPE w [<!ENTITY a0 "lol">'
    + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
MALFORMED = {
    "bad XML": variant(sheet("<row r='2'><c r='A2'")[:-40]),
    "entity bomb": variant(
        sheet('<row r="2"><c r="A2" t="inlineStr"><is><t>&a9;</t></is></c></row>', LAUGHS)
    ),
    "external entity": variant(
        sheet(
            '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>',
            '<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        )
    ),
    "shared string out of range": variant(sheet('<row r="2"><c r="A2" t="s"><v>999</v></c></row>')),
    "text in a number cell": variant(sheet('<row r="2"><c r="A2"><v>abc</v></c></row>')),
    "bad date": variant(sheet('<row r="2"><c r="A2" t="d"><v>not-a-date</v></c></row>')),
    "bad cell reference": variant(sheet('<row r="2"><c r="!!"><v>1</v></c></row>')),
    "column beyond ZZZ": variant(sheet('<row r="2"><c r="ZZZZ2"><v>1</v></c></row>')),
    "no sheets": with_parts(
        xl__workbook_xml=f'<?xml version="1.0"?><workbook xmlns="{NS}"><sheets/></workbook>'
    ),
    "not a zip": b"PK\x03\x04 this is not really a zip",
    "zip bomb": with_parts(xl__filler_xml="<x>" + " " * (roster.MAX_UNZIPPED + 10) + "</x>"),
    "row far away": variant(sheet('<row r="3000000"><c r="A3000000"><v>1</v></c></row>')),
}
EMPTY_ROWS = variant(sheet("<row/>" * 3_000_000))


@pytest.mark.gen_test(timeout=300)
async def test_malformed_rosters_are_refused_in_chinese(world, ctx):
    outcomes = {}
    for label, content in {**MALFORMED, "3,000,000 empty rows": EMPTY_ROWS}.items():
        started = time.monotonic()
        try:
            result = await roster.import_roster(ctx, world.actor("sec_a1"), content, "x.xlsx")
            outcomes[label] = ("imported", result)
        except AppError as exc:
            outcomes[label] = (exc.status, exc.message)
        outcomes[label] += (round(time.monotonic() - started, 2),)
    bad = {k: v for k, v in outcomes.items() if v[0] not in (400, 422)}
    record(
        "hostile roster files",
        variants=len(outcomes),
        answered_400_or_422=len(outcomes) - len(bad),
        **{"5xx": len(bad)},
    )
    assert not bad, bad
    for label, (_status, message, _) in outcomes.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (label, message)
    assert (
        "超过" in outcomes["3,000,000 empty rows"][1]
        or "最多" in outcomes["3,000,000 empty rows"][1]
    )
    assert await ctx.db.users.count_documents({"source": "roster"}) == 0


def test_healthz_answers_during_a_roster_bomb(live, staff):
    client = signed_in(live, "sec-a1")
    client.get("/admin/members/import")
    done = threading.Event()
    answer: dict[str, object] = {}

    def upload() -> None:
        try:
            resp = client.post(
                "/admin/members/import", files={"file": ("bomb.xlsx", EMPTY_ROWS, XLSX)}
            )
            answer["status"], answer["text"] = resp.status_code, resp.text
        finally:
            done.set()

    worker = threading.Thread(target=upload)
    worker.start()
    slowest = 0.0
    probes = 0
    while not done.is_set() and probes < 2000:
        started = time.monotonic()
        assert requests.get(live.base + "/healthz", timeout=10).status_code == 200
        slowest = max(slowest, (time.monotonic() - started) * 1000)
        probes += 1
        time.sleep(0.01)
    worker.join(60)
    record(
        "hostile roster files",
        healthz_probes_during_import=probes,
        healthz_slowest_ms=round(slowest, 1),
    )
    assert answer["status"] in (400, 422) and "行" in str(answer["text"]), answer.get("status")
    assert probes > 0
