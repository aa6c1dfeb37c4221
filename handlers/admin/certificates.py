"""志愿服务记录证明: requests to issue, issued certificates to revoke, the PDF."""

from __future__ import annotations

import asyncio

from handlers.admin.base import AdminHandler, admin_route, oid
from handlers.admin.service_common import act
from handlers.api.certificates import verify_url
from models import certificates
from models.core.forms import EmptyForm, ReasonForm
from models.people import directory
from models.records import documents


class CertificatesHandler(AdminHandler):
    nav = "certificates"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        rows, _ = await certificates.list_certificates(
            self.ctx, self.me, status=None, cursor=None, limit=100
        )
        rows = [c for c in rows if org["_id"] in c["org_path"]]
        self.render(
            "certificates.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=[certificates.certificate_json(c, self.me) for c in rows],
            error=self.flash_error,
        )


class CertificateActionHandler(AdminHandler):
    async def post(self, id: str, action: str) -> None:
        cid = oid(id, "证明")
        ctx, me = self.ctx, self.me
        if action == "issue":
            self.form(EmptyForm)
            work = lambda: certificates.issue(ctx, me, cid, {})  # noqa: E731
        else:
            reason = self.form(ReasonForm)["reason"]
            fn = certificates.revoke if action == "revoke" else certificates.decline
            work = lambda: fn(ctx, me, cid, reason)  # noqa: E731
        await act(self, "/admin/certificates", work, "已处理")


class CertificatePdfHandler(AdminHandler):
    async def get(self, id: str) -> None:
        cert = await certificates.get_visible(self.ctx, self.me, oid(id, "证明"))
        if not self.me.manages(cert["org_path"]):
            from server.errors import NotFound

            raise NotFound("找不到该证明")
        certificates._need(cert, certificates.ISSUED)
        url = verify_url(self.ctx, cert["number"])
        loop = asyncio.get_running_loop()
        pdf = await loop.run_in_executor(None, documents.certificate_pdf, cert, url)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f"attachment; filename={cert['number']}.pdf")
        self.finish(pdf)


default_handlers = [
    admin_route("/certificates", CertificatesHandler),
    admin_route("/certificates/{id}/(?P<action>issue|revoke|decline)", CertificateActionHandler),
    admin_route("/certificates/{id}/pdf", CertificatePdfHandler),
]
