"""Member roster (队员名册) in Excel: import that validates every row first, and exports.

An import with any bad row imports nothing and reports every problem as (row, column,
message); a good file is inserted in one transaction.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from defusedxml import ElementTree as safe_xml
from marshmallow import ValidationError as MarshmallowError
from marshmallow import validates
from openpyxl import load_workbook
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models.core import excel, uow
from models.core.clock import local_time
from models.core.context import Context
from models.core.validation import OneOf, Str, StrictSchema, Text, load
from models.ops import audit
from models.orders import catalogue
from models.people import membership, orgs
from models.people.users import PARTY_STATUSES, Actor, new_user_doc
from server.errors import AppError, Unprocessable, ValidationFailed

MAX_ROWS = 5000
COLUMNS = [  # (header, key, required)
    ("姓名", "name", True),
    ("手机号", "phone", True),
    ("所属支部", "branch", False),
    ("政治面貌", "party_status", True),
    ("技能", "skills", False),
]
HEADER_OF = {key: header for header, key, _ in COLUMNS}


class RosterRow(StrictSchema):
    name = Text(40, required=True)
    phone = Str(required=True)
    branch = Text(80, load_default="")
    party_status = Str(required=True, validate=OneOf(PARTY_STATUSES))
    skills = Text(200, load_default="")

    @validates("phone")
    def check_phone(self, value: str, **kwargs: Any) -> None:
        import re

        if not re.fullmatch(r"1[3-9]\d{9}", value):
            raise MarshmallowError("应为 11 位手机号")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


MAX_UNZIPPED = 20 * 1024 * 1024  # all parts of the .xlsx together, uncompressed
MAX_PARTS = 200
MAX_COLUMNS = 50  # a row's cells are read up to this column only
PARSE_SECONDS = 15.0
_BAD_FILE = "文件不是有效的 Excel 文件（.xlsx）或内容已损坏"
# parsing is CPU work in pure Python: off the event loop, one at a time per process
_PARSER = ThreadPoolExecutor(1, thread_name_prefix="roster")


def _check_archive(content: bytes) -> None:
    """Refuse zip bombs before any XML is parsed: too many parts or too many bytes inside."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationFailed(_BAD_FILE, fields={"file": "请上传 .xlsx 文件"}) from None
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNZIPPED:
        raise ValidationFailed(
            "文件解压后过大，请只保留名册数据后再导入",
            fields={"file": f"解压后不能超过 {MAX_UNZIPPED // (1024 * 1024)} MB"},
        )


def _check_sheets(content: bytes, deadline: float) -> None:
    """Count every row element of every sheet (streaming, entities refused) and stop at the
    limit: openpyxl would otherwise walk a whole sheet just to size it before reading."""
    too_many = ValidationFailed(
        f"一次最多导入 {MAX_ROWS} 行（空行也计算在内）", fields={"file": f"超过 {MAX_ROWS} 行"}
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)]
        for name in sheets:
            rows = cells = 0
            with archive.open(name) as part:
                for _, element in safe_xml.iterparse(part, events=("end",)):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if tag == "c":
                        cells += 1
                    elif tag == "row":
                        rows += 1
                        number = element.get("r") or ""
                        if rows > MAX_ROWS + 1 or (number.isdigit() and int(number) > MAX_ROWS + 1):
                            raise too_many
                        element.clear()
                    if cells > (MAX_ROWS + 1) * MAX_COLUMNS:
                        raise too_many
                    if (rows + cells) % 1000 == 0 and time.monotonic() > deadline:
                        raise Unprocessable("文件解析超时，请精简后再导入", code="roster_too_slow")


def read_rows(
    content: bytes, deadline: float | None = None
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(headers, [(excel row number, {key: text})]) or ValidationFailed for a bad file.

    Every row element counts toward the limit, empty ones too (a sheet of millions of
    `<row/>` stops at the limit), and parsing stops at `deadline` (time.monotonic()).
    Whatever else a malformed file makes the parser raise is a 400, never a 500.
    """
    _check_archive(content)
    deadline = deadline or time.monotonic() + PARSE_SECONDS
    try:
        _check_sheets(content, deadline)
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except AppError:
        raise
    except Exception:  # any parser failure means a bad file, said in Chinese
        raise ValidationFailed(_BAD_FILE, fields={"file": "请上传 .xlsx 文件"}) from None
    try:
        if not wb.worksheets:
            raise ValidationFailed("文件里没有工作表", fields={"file": "没有工作表"})
        rows = wb.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header_row = next(rows, None)
        if header_row is None:
            raise ValidationFailed("文件是空的", fields={"file": "没有表头行"})
        headers = [_cell_text(h) for h in header_row]
        while headers and not headers[-1]:
            headers.pop()
        out: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise ValidationFailed(
                    f"一次最多导入 {MAX_ROWS} 行（空行也计算在内）",
                    fields={"file": f"超过 {MAX_ROWS} 行"},
                )
            if time.monotonic() > deadline:
                raise Unprocessable("文件解析超时，请精简后再导入", code="roster_too_slow")
            texts = [_cell_text(v) for v in values[: len(headers)]]
            if not any(texts):
                continue
            out.append((number, dict(zip(headers, texts, strict=False))))
        return headers, out
    except AppError:
        raise
    except Exception:  # bad cell data deep in the sheet: still the file is at fault
        raise ValidationFailed(_BAD_FILE, fields={"file": "文件内容有误"}) from None
    finally:
        wb.close()


async def read_rows_off_loop(
    content: bytes,
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """`read_rows` on the parser thread, with a time limit: the event loop stays free."""
    deadline = time.monotonic() + PARSE_SECONDS
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(
            loop.run_in_executor(_PARSER, read_rows, content, deadline), PARSE_SECONDS + 5
        )
    except TimeoutError:
        raise Unprocessable("文件解析超时，请精简后再导入", code="roster_too_slow") from None


async def import_roster(
    ctx: Context, actor: Actor, content: bytes, filename: str = "", ip: str | None = None
) -> dict[str, Any]:
    """Returns {"imported": n} or {"errors": [{row, column, message}], "rows": n}."""
    headers, rows = await read_rows_off_loop(content)
    errors: list[dict[str, Any]] = []
    known = {h for h, _, _ in COLUMNS}
    missing = [h for h, _, req in COLUMNS if req and h not in headers]
    for h in missing:
        errors.append({"row": 1, "column": h, "message": "缺少该列"})
    for h in headers:
        if h and h not in known:
            errors.append({"row": 1, "column": h, "message": "不认识的列（请使用模板）"})
    if errors:
        return {"errors": errors, "rows": len(rows)}
    if not rows:
        return {"errors": [{"row": 2, "column": "", "message": "没有数据行"}], "rows": 0}

    tree = await orgs.all_orgs(ctx)
    branches: dict[str, dict[str, Any]] = {}
    for org in tree.values():
        if org["type"] == "branch" and actor.manages(org["path"]):
            branches.setdefault(org["name"], org)
    own = tree.get(actor.org_id) if actor.org_id else None
    default_branch = own if own and own["type"] == "branch" else None

    schema = RosterRow()
    good: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    seen_phones: dict[str, int] = {}
    for number, raw in rows:
        data = {key: raw.get(header, "") for header, key, _ in COLUMNS}
        data = {k: v for k, v in data.items() if v != "" or k in ("name", "phone")}
        try:
            loaded = load(schema, data)
        except ValidationFailed as exc:
            for key, message in exc.fields.items():
                errors.append(
                    {"row": number, "column": HEADER_OF.get(key, key), "message": message}
                )
            continue
        branch = default_branch
        if loaded["branch"]:
            branch = branches.get(loaded["branch"])
            if branch is None:
                errors.append(
                    {"row": number, "column": "所属支部", "message": "不是您管理范围内的支部"}
                )
                continue
        elif branch is None:
            errors.append({"row": number, "column": "所属支部", "message": "必填"})
            continue
        phone = loaded["phone"]
        if phone in seen_phones:
            errors.append(
                {"row": number, "column": "手机号", "message": f"与第 {seen_phones[phone]} 行重复"}
            )
            continue
        seen_phones[phone] = number
        good.append((number, loaded, branch))

    if good:
        taken = await ctx.db.users.find(
            {"phone": {"$in": [g[1]["phone"] for g in good]}, "deleted_at": None}, {"phone": 1}
        ).to_list(None)
        used = {u["phone"] for u in taken}
        for number, loaded, _ in good:
            if loaded["phone"] in used:
                errors.append({"row": number, "column": "手机号", "message": "该手机号已有账号"})
    if errors:
        errors.sort(key=lambda e: (e["row"], e["column"]))
        return {"errors": errors, "rows": len(rows)}

    now = ctx.now()
    docs = [
        new_user_doc(
            ctx,
            role="member",
            name=loaded["name"],
            phone=loaded["phone"],
            org_id=branch["_id"],
            org_path=list(branch["path"]),
            party_status=loaded["party_status"],
            skills=catalogue.parse_skills(loaded["skills"]),
            source="roster",
            joined_at=now,
            imported_by=actor.id,
        )
        for _, loaded, branch in good
    ]

    async def work(session: AsyncClientSession) -> None:
        for start in range(0, len(docs), 500):
            await ctx.db.users.insert_many(docs[start : start + 500], session=session)
        await membership.move(ctx, session, joined=[d["org_path"] for d in docs])

    try:
        await uow.in_transaction(ctx, work)
    except (DuplicateKeyError, BulkWriteError) as exc:
        if not _duplicate_key(exc):
            raise
        # another import (or registration) took some of these phones meanwhile: the unique
        # index refused them and the transaction inserted nothing; say which rows
        taken = await ctx.db.users.find(
            {"phone": {"$in": [d["phone"] for d in docs]}, "deleted_at": None}, {"phone": 1}
        ).to_list(None)
        used = {u["phone"] for u in taken}
        errors = [
            {"row": number, "column": "手机号", "message": "该手机号已有账号"}
            for number, loaded, _ in good
            if loaded["phone"] in used
        ] or [{"row": 2, "column": "手机号", "message": "手机号与其他队员重复，请重新导入"}]
        return {"errors": errors, "rows": len(rows)}
    await audit.record(
        ctx,
        actor,
        "member.import",
        org_path=actor.org_path,
        target_type="roster",
        target_label=filename or "名册",
        reason=f"导入 {len(docs)} 名队员",
        after={"count": len(docs), "names": [d["name"] for d in docs[:20]]},
        ip=ip,
    )
    return {"imported": len(docs), "rows": len(rows)}


def _duplicate_key(exc: Exception) -> bool:
    if isinstance(exc, DuplicateKeyError):
        return True
    details = getattr(exc, "details", None) or {}
    return any(e.get("code") == 11000 for e in details.get("writeErrors", []))


# ---------------------------------------------------------------- export


def template_bytes() -> bytes:
    return excel.workbook_bytes(
        "队员名册",
        [h for h, _, _ in COLUMNS],
        [["张三", "13800001111", "阳光社区第一党支部", "正式党员", "家电维修、电工"]],
    )


def members_rows(members: list[dict[str, Any]], tree: dict[Any, Any]) -> list[list[Any]]:
    from server.logging import mask_phone

    out = []
    for m in members:
        count = m.get("rating_count", 0)
        out.append(
            [
                m.get("name") or "",
                mask_phone(m.get("phone")) or "",
                tree.get(m.get("org_id"), {}).get("name", ""),
                m.get("party_status") or "",
                "、".join(m.get("skills") or []),
                m.get("points_balance", 0),
                int(m.get("hours_tenths") or 0) / 10,
                round(m.get("rating_sum", 0) / count, 2) if count else "",
                local_time(m.get("joined_at") or m.get("created_at")),
            ]
        )
    return out


MEMBER_HEADERS = [
    "姓名",
    "手机号",
    "所属支部",
    "政治面貌",
    "技能",
    "积分",
    "服务时长",
    "平均评分",
    "加入时间",
]


async def export_members(
    ctx: Context, actor: Actor, org: dict[str, Any], filters: dict[str, Any]
) -> tuple[bytes, int]:
    """The filtered member list under `org` as a workbook; an export is audited."""
    from models.people import directory

    rows = await directory.all_members(ctx, directory.member_query(org["_id"], **filters))
    tree = await orgs.all_orgs(ctx)
    # an export is of everything (it grows with the subtree): the workbook is written off
    # the event loop, so other requests are not held while thousands of rows are zipped
    content = await asyncio.get_running_loop().run_in_executor(
        None, excel.workbook_bytes, "队员名单", MEMBER_HEADERS, members_rows(rows, tree)
    )
    await audit.record(
        ctx,
        actor,
        "member.export",
        org_path=org["path"],
        target_type="org",
        target_id=org["_id"],
        target_label=org["name"],
        reason=f"导出 {len(rows)} 名队员",
        after={"filters": filters, "count": len(rows)},
    )
    return content, len(rows)
