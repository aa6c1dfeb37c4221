"""双报到: reports to a community or from a unit branch, the pool's figures, and the
quarterly 报到反馈 (exported to Excel)."""

from __future__ import annotations

from handlers.admin.base import AdminHandler, admin_route, oid
from handlers.admin.service_common import act
from models import records, reports
from models.core.forms import EmptyForm, ReasonForm
from models.core.validation import OneOf, Str, StrictSchema, Text
from models.people import directory, org_settings
from models.records import documents
from server.errors import ValidationFailed

FEEDBACK_HEADERS = [
    "季度",
    "队员",
    "所在支部",
    "报到社区",
    "服务岗位",
    "状态",
    "工单",
    "时长（小时）",
    "平均评分",
]


class QuarterMixin(AdminHandler):
    def quarter(self) -> tuple[int, int]:
        year, quarter = reports.current_quarter(self.ctx)
        try:
            year = int(self.query("year") or year)
            quarter = int(self.query("quarter") or quarter)
        except ValueError:
            raise ValidationFailed(fields={"quarter": "季度格式不正确"}) from None
        if not 2000 <= year <= 2100:
            raise ValidationFailed(fields={"year": "年份不正确"})
        return year, quarter


class ReportsHandler(QuarterMixin):
    nav = "reports"

    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        year, quarter = self.quarter()
        rows, _ = await reports.list_reports(
            self.ctx, self.me, status=None, cursor=None, limit=100, org_id=org["_id"]
        )
        figures = (
            await reports.community_figures(self.ctx, org["_id"])
            if org["type"] == "community"
            else None
        )
        posts = (
            await reports.list_posts(self.ctx, org["_id"], all_posts=True)
            if org["type"] == "community"
            else []
        )
        self.render(
            "community_reports.html",
            org=org,
            nodes=await directory.subtree(self.ctx, self.me),
            rows=[reports.report_json(r, self.me) for r in rows],
            figures=figures,
            posts=posts,
            feedback=await reports.feedback(self.ctx, org["_id"], year, quarter),
            year=year,
            quarter=quarter,
            error=self.flash_error,
        )


class ReportsExportHandler(QuarterMixin):
    async def get(self) -> None:
        org = await self.scoped_org(self.query("org"))
        year, quarter = self.quarter()
        rows = await reports.feedback(self.ctx, org["_id"], year, quarter)
        table = [
            [
                r["quarter"],
                r["member_name"],
                r["unit_name"],
                r["community_name"],
                "、".join(r["posts"]),
                reports.STATUS_NAMES[r["status"]],
                r["orders"],
                r["hours"],
                r["rating_avg"],
            ]
            for r in rows
        ]
        content = documents.workbook([("报到反馈", FEEDBACK_HEADERS, table)])
        self.send_file(content, f"双报到反馈-{org['name']}-{year}Q{quarter}.xlsx")


class ReportActionHandler(AdminHandler):
    async def post(self, id: str, action: str) -> None:
        rid = oid(id, "报到记录")
        ctx, me = self.ctx, self.me
        if action == "confirm":
            self.form(EmptyForm)
            work = lambda: reports.confirm(ctx, me, rid)  # noqa: E731
        else:
            reason = self.form(ReasonForm)["reason"] if action == "decline" else ""
            fn = reports.decline if action == "decline" else reports.end
            work = lambda: fn(ctx, me, rid, reason)  # noqa: E731
        await act(self, "/admin/community-reports", work, "已处理")


# ------------------------------------------------------------------ 组织设置


def _threshold_field(stage: int, key: str) -> str:
    return f"t{stage}_{key}"


# the branch kind, and one optional text field per stage and threshold
SettingsForm = StrictSchema.from_dict(
    {
        "branch_kind": Str(validate=OneOf(list(org_settings.BRANCH_KINDS))),
        **{
            _threshold_field(i, key): Text(12)
            for i in range(len(org_settings.STAGES))
            for key in org_settings.THRESHOLD_KEYS
        },
    },
    name="SettingsForm",
)


class PostForm(StrictSchema):
    name = Text(20, required=True, min_len=1)
    description = Text(200, load_default="")
    active = Str(load_default="0", validate=OneOf(["0", "1"]))


class OrgSettingsHandler(AdminHandler):
    """组织设置: a branch's kind, the node's dossier thresholds, a community's service posts."""

    nav = "reports"

    async def get(self, id: str) -> None:
        org = await self.scoped_org(id)
        posts = (
            await reports.list_posts(self.ctx, org["_id"], all_posts=True)
            if org["type"] == "community"
            else []
        )
        own = org.get("dossier_thresholds") or {}
        self.render(
            "org_settings.html",
            org=org,
            kinds=org_settings.BRANCH_KINDS,
            stages=list(enumerate(org_settings.STAGES)),
            keys=[(k, records.LINE_NAMES[k]) for k in org_settings.THRESHOLD_KEYS],
            own=own,
            defaults=dict(self.ctx.config.records.thresholds or {}),
            field=_threshold_field,
            posts=posts,
            error=self.flash_error,
        )

    async def post(self, id: str) -> None:
        org = await self.scoped_org(id)
        data = self.form(SettingsForm)
        raw = {
            f"{stage}.{key}": data.get(_threshold_field(i, key), "")
            for i, stage in enumerate(org_settings.STAGES)
            for key in org_settings.THRESHOLD_KEYS
        }
        ctx, me = self.ctx, self.me

        async def work() -> object:
            return await org_settings.update_settings(
                ctx,
                me,
                org["_id"],
                branch_kind=data.get("branch_kind"),
                thresholds=org_settings.parse_thresholds(raw),
            )

        await act(self, f"/admin/orgs/{org['_id']}/settings", work, "设置已保存")


class OrgPostsHandler(AdminHandler):
    async def post(self, id: str) -> None:
        org = await self.scoped_org(id)
        data = self.form(PostForm)
        data["active"] = data["active"] == "1"
        ctx, me = self.ctx, self.me
        await act(
            self,
            f"/admin/orgs/{org['_id']}/settings",
            lambda: reports.save_post(ctx, me, org["_id"], data),
            "服务岗位已保存",
        )


default_handlers = [
    admin_route("/orgs/{id}/settings", OrgSettingsHandler),
    admin_route("/orgs/{id}/posts", OrgPostsHandler),
    admin_route("/community-reports", ReportsHandler),
    admin_route("/community-reports/export", ReportsExportHandler),
    admin_route("/community-reports/{id}/(?P<action>confirm|decline|end)", ReportActionHandler),
]
