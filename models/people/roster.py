"""Member roster (队员名册) in Excel: import that validates every row first, and exports.

An import with any bad row imports nothing and reports every problem as (row, column,
message); a good file is inserted in one transaction.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from marshmallow import ValidationError as MarshmallowError
from marshmallow import validates
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import excel, uow
from models.core.clock import local_time
from models.core.context import Context
from models.core.validation import OneOf, Str, StrictSchema, Text, load
from models.ops import audit
from models.orders import catalogue
from models.people import orgs
from models.people.users import PARTY_STATUSES, Actor, new_user_doc
from server.errors import ValidationFailed

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


def read_rows(content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(headers, [(excel row number, {key: text})]) or ValidationFailed for a bad file."""
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise ValidationFailed(
            "文件不是有效的 Excel 文件（.xlsx）", fields={"file": "请上传 .xlsx 文件"}
        ) from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise ValidationFailed("文件是空的", fields={"file": "没有表头行"})
        headers = [_cell_text(h) for h in header_row]
        while headers and not headers[-1]:
            headers.pop()
        out: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(rows, start=2):
            texts = [_cell_text(v) for v in values[: len(headers)]]
            if not any(texts):
                continue
            if len(out) >= MAX_ROWS:
                raise ValidationFailed(
                    f"一次最多导入 {MAX_ROWS} 行", fields={"file": f"超过 {MAX_ROWS} 行"}
                )
            out.append((number, dict(zip(headers, texts, strict=False))))
        return headers, out
    finally:
        wb.close()


async def import_roster(
    ctx: Context, actor: Actor, content: bytes, filename: str = "", ip: str | None = None
) -> dict[str, Any]:
    """Returns {"imported": n} or {"errors": [{row, column, message}], "rows": n}."""
    headers, rows = read_rows(content)
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

    await uow.in_transaction(ctx, work)
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
                m.get("hours_balance", 0),
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
    content = excel.workbook_bytes("队员名单", MEMBER_HEADERS, members_rows(rows, tree))
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
