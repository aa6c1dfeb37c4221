"""志愿服务记录证明: request, list, issue, revoke, the PDF, and the public `/verify/{number}`."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import tornado.web

from handlers.base import BaseHandler, app_error_for, endpoint, route
from models import certificates
from models.certificates.schemas import (
    CertificateList,
    CertificateOut,
    CertificateQuery,
    CertificateRequest,
    IssueRequest,
)
from models.core.clock import local_time
from models.core.schemas import ReasonRequest
from models.core.validation import page, parse_id
from models.records import documents

STAFF = ("secretary", "admin")


class CertificateBase(BaseHandler):
    def write_cert(self, cert: dict[str, Any], status: int = 200) -> None:
        self.write_json(certificates.certificate_json(cert, self.me), status)


class CertificatesHandler(CertificateBase):
    @endpoint(
        summary="申请志愿服务记录证明（证件号码只保存脱敏形式）",
        body=CertificateRequest,
        response=CertificateOut,
        status=201,
        roles=("member",),
        tag="certificates",
    )
    async def post(self) -> None:
        cert = await certificates.request_certificate(self.ctx, self.me, self.data)
        self.write_cert(cert, 201)

    @endpoint(
        summary="志愿服务记录证明列表（本人的，或本组织的）",
        query=CertificateQuery,
        response=CertificateList,
        tag="certificates",
    )
    async def get(self) -> None:
        a = self.args
        rows, next_cursor = await certificates.list_certificates(
            self.ctx, self.me, status=a.get("status"), cursor=a.get("cursor"), limit=a["limit"]
        )
        result = page(rows, next_cursor)
        result["items"] = [certificates.certificate_json(c, self.me) for c in result["items"]]
        self.write_json(result)


class IssueHandler(CertificateBase):
    @endpoint(
        summary="出具证明（内容按记录生成并固定，编号带签名）",
        body=IssueRequest,
        response=CertificateOut,
        roles=STAFF,
        tag="certificates",
    )
    async def post(self, id: str) -> None:
        cid = parse_id(id, "证明")
        self.write_cert(await certificates.issue(self.ctx, self.me, cid, self.data))


class RevokeHandler(CertificateBase):
    @endpoint(
        summary="撤销证明（须说明理由，记入操作日志）",
        body=ReasonRequest,
        response=CertificateOut,
        roles=STAFF,
        tag="certificates",
    )
    async def post(self, id: str) -> None:
        cid = parse_id(id, "证明")
        self.write_cert(await certificates.revoke(self.ctx, self.me, cid, self.data["reason"]))


def verify_url(ctx: Any, number: str) -> str:
    return str(ctx.config.certificates.verify_base_url).rstrip("/") + "/verify/" + number


class PdfHandler(BaseHandler):
    @endpoint(summary="证明 PDF（含核验二维码）", tag="certificates")
    async def get(self, id: str) -> None:
        cert = await certificates.get_visible(self.ctx, self.me, parse_id(id, "证明"))
        certificates._need(cert, certificates.ISSUED)
        url = verify_url(self.ctx, cert["number"])
        loop = asyncio.get_running_loop()
        pdf = await loop.run_in_executor(None, documents.certificate_pdf, cert, url)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="{cert["number"]}.pdf"')
        self.finish(pdf)


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>志愿服务记录证明核验</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;color:#222}}
.ok{{color:#1a7f37}}.bad{{color:#c0392b}}dt{{color:#666;margin-top:.6em}}dd{{margin:0}}</style>
</head><body><h1>志愿服务记录证明核验</h1>{body}</body></html>"""


class VerifyHandler(tornado.web.RequestHandler):
    """Public, no sign-in: the masked summary and whether the certificate is valid."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "no-referrer")

    async def get(self, number: str) -> None:
        ctx = self.settings["ctx"]
        try:
            await certificates.check_rate(ctx, self.request.remote_ip or "-")
            summary = await certificates.verify(ctx, number)
        except Exception as exc:  # every failure becomes a page, never a stack trace
            error = app_error_for(exc)
            self.set_status(error.status)
            if error.status == 429:
                self.set_header("Retry-After", "60")
            self.finish(PAGE.format(body=f'<p class="bad">{html.escape(error.message)}</p>'))
            return
        state = "ok" if summary["valid"] else "bad"
        rows = [
            ("证明编号", summary["number"]),
            ("姓名", summary["name"]),
            ("证件", f"{summary['id_type']} {summary['id_number']}"),
            ("服务期间", summary["period"]),
            ("服务时长", f"{summary['total_hours']} 小时（{summary['services']} 项服务）"),
            ("出具组织", summary["issuer_org"]),
            ("出具日期", local_time(summary["issued_at"])[:10]),
        ]
        if summary["revoked_at"]:
            rows.append(("撤销日期", local_time(summary["revoked_at"])[:10]))
        items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
        body = f'<p class="{state}">状态：{summary["status_name"]}</p><dl>{items}</dl>'
        self.finish(PAGE.format(body=body))


default_handlers = [
    route("/certificates", CertificatesHandler),
    route("/certificates/{id}/issue", IssueHandler),
    route("/certificates/{id}/revoke", RevokeHandler),
    route("/certificates/{id}/pdf", PdfHandler),
    tornado.web.url(r"/verify/(?P<number>[^/]{1,80})$", VerifyHandler),
]
