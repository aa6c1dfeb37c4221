"""Per-node settings staff keep in the admin: a branch's kind (机关/企事业单位 vs 社区, which
decides who 双报到) and the 发展党员 dossier thresholds per stage (a node's own override of
config; the nearest node on a member's path that sets a stage wins). Audited."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from server.errors import NotFound, ValidationFailed

BRANCH_KINDS = {"community": "社区党支部", "unit": "机关/企事业单位党支部"}
STAGES = ("入党申请人", "积极分子", "发展对象")
THRESHOLD_KEYS = {"hours": (0, 10_000), "orders": (0, 10_000), "activities": (0, 10_000)}
THRESHOLD_KEYS["rating"] = (0, 5)


def parse_thresholds(raw: dict[str, str]) -> dict[str, dict[str, float]]:
    """`{"<stage>.<key>": "20"}` form fields → `{stage: {key: 20.0}}`; blank = inherit."""
    out: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}
    for name, text in raw.items():
        stage, _, key = name.partition(".")
        if stage not in STAGES or key not in THRESHOLD_KEYS:
            errors[name] = "未知的考察指标"
            continue
        if text is None or str(text).strip() == "":
            continue
        lo, hi = THRESHOLD_KEYS[key]
        try:
            value = float(str(text).strip())
        except ValueError:
            errors[name] = "应为数字"
            continue
        if not lo <= value <= hi or value != value:
            errors[name] = f"应在 {lo} 到 {hi} 之间"
            continue
        out.setdefault(stage, {})[key] = value
    if errors:
        raise ValidationFailed(fields=errors)
    return out


async def update_settings(
    ctx: Context,
    actor: Actor,
    org_id: ObjectId,
    *,
    branch_kind: str | None,
    thresholds: dict[str, dict[str, float]],
) -> dict[str, Any]:
    org = await orgs.get_org(ctx, org_id)
    if not actor.manages(org["path"]):
        raise NotFound("找不到该组织", code="org_not_found")
    change: dict[str, Any] = {"dossier_thresholds": thresholds}
    if org["type"] == "branch":
        if branch_kind not in BRANCH_KINDS:
            raise ValidationFailed(fields={"branch_kind": "请选择支部类型"})
        change["branch_kind"] = branch_kind
    elif branch_kind:
        raise ValidationFailed(fields={"branch_kind": "只有支部可以设置支部类型"})
    before = {k: org.get(k) for k in change}
    if before == change:
        return org
    await ctx.db.orgs.update_one({"_id": org_id}, {"$set": change})
    ctx.forget("orgs")
    await audit.record(
        ctx,
        actor,
        "org.settings",
        org_path=org["path"],
        target_type="org",
        target_id=org_id,
        target_label=org["name"],
        before=before,
        after=change,
    )
    return {**org, **change}
