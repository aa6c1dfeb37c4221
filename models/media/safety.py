"""内容安全: WeChat's content checks of what users write (msgSecCheck v2) and show
(mediaCheckAsync), the flags staff review (内容审核), and the re-checks WeChat missed.

Policy (also in the README):
- text: `risky` refuses the write (400, Chinese message naming the field); `review` is
  stored, shown to its author and staff only, and flagged; WeChat unreachable → accepted
  as written and queued: a job checks it again and hides it then if it must.
- images: shown to the uploader and staff only until WeChat's verdict is pushed to
  `/wechat/push`; `risky` hides it everywhere and notifies staff; `review` keeps it
  private and flagged. WeChat unreachable → it stays private and a job submits it again.
- no WeChat app secret configured (first run, demo): nothing is checked (logged once).
- staff writing from the admin pages have no openid: their text is not sent to WeChat.

WeChat is reached only through the gateway (server/wechat.py, `ctx.wechat`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import service
from models.people.users import STAFF_ROLES, Actor
from server.errors import AppError, NotFound, ValidationFailed

log = logging.getLogger("tongxin.safety")


# msgSecCheck / mediaCheckAsync scenes
SCENE_PROFILE = 1  # 资料


SCENE_COMMENT = 2  # 评论


SCENE_FORUM = 3  # 论坛


SCENE_SOCIAL = 4  # 社交日志


PASS, REVIEW, RISKY, PENDING = "pass", "review", "risky", "pending"


HELD_TEXT = "（内容审核中）"


HIDDEN_TEXT = "（内容已隐藏）"


# owner_type → collection whose documents carry `moderation.<field>` (other domains add theirs)
OWNERS: dict[str, str] = {
    "order": "orders",
    "registration": "member_registrations",
    "wish": "wishes",
    "voice": "voices",
    "activity": "activities",
    "reward_item": "reward_items",
}


# the Chinese name of each checked field, for the refusal message (other domains add theirs)
LABELS: dict[str, str] = {
    "description": "服务内容",
    "completion_note": "完成说明",
    "comment": "评价",
    "reason": "原因",
    "name": "姓名",
    "title": "标题",
    "content": "内容",
    "fulfil_note": "实现说明",
    "thanks": "感谢留言",
    "text": "民意内容",
    "reply": "答复",
    "rating_comment": "评价",
    "minutes": "活动纪要",
}


@dataclass
class Verdict:
    """Per field: pass | review | pending (WeChat did not answer); risky is raised instead."""

    fields: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    trace_ids: dict[str, str] = field(default_factory=dict)
    scene: int = SCENE_FORUM
    author_id: ObjectId | None = None
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def held(self) -> dict[str, str]:
        """What the owner stores in `moderation`: the fields others may not read yet."""
        return {f: REVIEW for f, s in self.fields.items() if s == REVIEW}

    @property
    def clean(self) -> bool:
        return all(s == PASS for s in self.fields.values())


def _gateway(ctx: Context) -> Any:
    wechat = getattr(ctx, "wechat", None)
    if wechat is None or not wechat.configured:
        if not ctx.cache.get("safety_unconfigured_logged"):
            ctx.cache["safety_unconfigured_logged"] = True
            log.warning("content safety off: no WeChat app secret configured")
        return None
    return wechat


async def _ask(wechat: Any, openid: str, scene: int, text: str) -> tuple[str, int, str]:
    result = await wechat.msg_sec_check(openid, scene, text)
    verdict = (result.get("result") or {}).get("suggest") or PASS
    label = int((result.get("result") or {}).get("label") or 0)
    if verdict not in (PASS, REVIEW, RISKY):
        verdict = REVIEW
    return verdict, label, str(result.get("trace_id") or "")


async def check_text(ctx: Context, actor: Actor, fields: dict[str, str], *, scene: int) -> Verdict:
    """Check every non-empty field others will read, concurrently (one call per field).

    Raises ValidationFailed naming the field(s) WeChat calls risky. Otherwise returns the
    Verdict: the owner stores `verdict.held` in its `moderation` map and calls
    `record(...)` once it has an id, which flags review/pending fields for staff.
    """
    verdict = Verdict(scene=scene, author_id=actor.id)
    texts = {k: v for k, v in fields.items() if isinstance(v, str) and v.strip()}
    verdict.texts = texts
    openid = actor.doc.get("openid")
    wechat = _gateway(ctx)
    if wechat is None or not openid:
        verdict.fields = dict.fromkeys(texts, PASS)
        return verdict
    names = list(texts)
    answers = await asyncio.gather(
        *(_ask(wechat, openid, scene, texts[n]) for n in names), return_exceptions=True
    )
    risky: dict[str, str] = {}
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, AppError):  # WeChat down / rate limited: accept, re-check later
            verdict.fields[name] = PENDING
            continue
        if isinstance(answer, BaseException):
            raise answer
        suggest, label, trace = answer
        verdict.fields[name] = suggest
        verdict.labels[name] = label
        verdict.trace_ids[name] = trace
        if suggest == RISKY:
            risky[name] = f"「{LABELS.get(name, name)}」含有不适宜发布的内容，请修改后再提交"
    if risky:
        log.info("text refused by content check", extra={"fields": sorted(risky)})
        named = "、".join(f"「{LABELS.get(n, n)}」" for n in risky)
        raise ValidationFailed(
            f"{named}未通过微信内容安全检测，请修改后再提交",
            code="content_risky",
            fields=risky,
        )
    return verdict


async def record(
    ctx: Context,
    verdict: Verdict,
    *,
    owner_type: str,
    owner_id: ObjectId,
    org_path: list[ObjectId] | tuple[ObjectId, ...],
) -> int:
    """Flag the fields of a written owner that staff must see (review) or that WeChat has
    still to check (pending). Returns how many flags were written."""
    now = ctx.now()
    docs = [
        {
            "_id": ObjectId(),
            "kind": "text",
            "owner_type": owner_type,
            "owner_id": owner_id,
            "field": name,
            "text": verdict.texts.get(name, "")[:2000],
            "author_id": verdict.author_id,
            "scene": verdict.scene,
            "label": verdict.labels.get(name),
            "org_path": list(org_path),
            "status": state,
            "attempts": 0,
            "next_check_at": now if state == PENDING else None,
            "created_at": now,
            "updated_at": now,
        }
        for name, state in verdict.fields.items()
        if state in (REVIEW, PENDING)
    ]
    if docs:
        await ctx.db.content_flags.insert_many(docs)
    return len(docs)


def visible_text(
    doc: dict[str, Any], name: str, viewer: Actor, author_id: ObjectId | None
) -> str | None:
    """A user-written field as this viewer may read it (staff read everything)."""
    value = doc.get(name)
    state = (doc.get("moderation") or {}).get(name)
    if value is None or state is None or viewer.is_staff:
        return value
    if state == REVIEW and viewer.id == author_id:
        return value
    return HIDDEN_TEXT if state == "hidden" else HELD_TEXT


async def _owner_path(ctx: Context, doc: dict[str, Any]) -> list[ObjectId]:
    collection = OWNERS.get(doc.get("owner_type") or "")
    if collection and doc.get("owner_id"):
        owner = await ctx.db[collection].find_one({"_id": doc["owner_id"]}, {"org_path": 1})
        if owner and owner.get("org_path"):
            return list(owner["org_path"])
    return list(doc.get("org_path") or [])


async def recheck(ctx: Context, batch: int = 100) -> dict[str, int]:
    """Job: text WeChat did not answer is checked again; images not yet submitted are sent."""
    wechat = _gateway(ctx)
    counts = {"text_passed": 0, "text_flagged": 0, "text_hidden": 0, "images_submitted": 0}
    if wechat is None:
        return counts
    now = ctx.now()
    flags = (
        await ctx.db.content_flags.find({"status": PENDING, "next_check_at": {"$lte": now}})
        .limit(batch)
        .to_list(batch)
    )
    for flag in flags:
        author = await ctx.db.users.find_one({"_id": flag["author_id"]}, {"openid": 1})
        openid = (author or {}).get("openid")
        if not openid:
            await _resolve_text(ctx, flag, PASS)
            counts["text_passed"] += 1
            continue
        try:
            suggest, label, _ = await _ask(wechat, openid, int(flag["scene"]), flag["text"])
        except AppError:
            attempts = flag.get("attempts", 0) + 1
            await ctx.db.content_flags.update_one(
                {"_id": flag["_id"], "status": PENDING},
                {
                    "$set": {
                        "attempts": attempts,
                        "next_check_at": now + timedelta(seconds=min(3600, 60 * 2**attempts)),
                    }
                },
            )
            continue
        await _resolve_text(ctx, flag, suggest, label)
        key = {PASS: "text_passed", REVIEW: "text_flagged", RISKY: "text_hidden"}[suggest]
        counts[key] += 1
    images = (
        await ctx.db.media.find({"status": service.UNCHECKED, "check.next_at": {"$lte": now}})
        .limit(batch)
        .to_list(batch)
    )
    for doc in images:
        uploader = await ctx.db.users.find_one({"_id": doc["uploader_id"]})
        if uploader is None:
            continue
        from models.media.image_checks import submit_image  # images have their own module

        after = await submit_image(ctx, doc, Actor.from_user(uploader))
        counts["images_submitted"] += int(after["status"] != service.UNCHECKED)
    return counts


async def _resolve_text(
    ctx: Context, flag: dict[str, Any], suggest: str, label: int | None = None
) -> None:
    state = {PASS: "cleared", REVIEW: REVIEW, RISKY: RISKY}[suggest]
    result = await ctx.db.content_flags.update_one(
        {"_id": flag["_id"], "status": PENDING},
        {"$set": {"status": state, "label": label, "next_check_at": None, "updated_at": ctx.now()}},
    )
    if result.modified_count != 1 or suggest == PASS:
        return
    collection = OWNERS.get(flag["owner_type"])
    if collection:
        mark = "hidden" if suggest == RISKY else REVIEW
        await ctx.db[collection].update_one(
            {"_id": flag["owner_id"]}, {"$set": {f"moderation.{flag['field']}": mark}}
        )
    if suggest == RISKY:
        await _notify_staff(ctx, flag["org_path"], f"flag:{flag['_id']}:risky", "文字内容")


OPEN_STATES = (REVIEW, RISKY)


async def flagged(
    ctx: Context, actor: Actor, *, status: str = "open", limit: int = 100
) -> list[dict[str, Any]]:
    """Flags inside the staff member's subtree, newest first (open = review + risky)."""
    states = list(OPEN_STATES) if status == "open" else [status]
    return (
        await ctx.db.content_flags.find({"org_path": actor.org_id, "status": {"$in": states}})
        .sort([("created_at", -1)])
        .limit(limit)
        .to_list(limit)
    )


async def decide(ctx: Context, actor: Actor, flag_id: ObjectId, decision: str) -> dict[str, Any]:
    """approve | hide one flag in scope; the owner's field or the image follows. Audited."""
    from models.ops import audit

    if decision not in ("approve", "hide"):
        raise ValidationFailed(fields={"decision": "取值必须是 approve 或 hide"})
    flag = await ctx.db.content_flags.find_one({"_id": flag_id})
    if flag is None or not actor.manages(flag.get("org_path")):
        raise NotFound("找不到该审核记录", code="flag_not_found")
    state = "approved" if decision == "approve" else "hidden"
    now = ctx.now()
    await ctx.db.content_flags.update_one(
        {"_id": flag_id},
        {"$set": {"status": state, "decided_by": actor.id, "decided_at": now, "updated_at": now}},
    )
    if flag["kind"] == "image":
        await ctx.db.media.update_one(
            {"_id": flag["media_id"]},
            {"$set": {"status": service.APPROVED if state == "approved" else service.HIDDEN}},
        )
        ctx.cache.get("media_facts", {}).pop(flag["media_id"], None)
    else:
        collection = OWNERS.get(flag["owner_type"])
        if collection:
            key = f"moderation.{flag['field']}"
            change = {"$unset": {key: ""}} if state == "approved" else {"$set": {key: "hidden"}}
            await ctx.db[collection].update_one({"_id": flag["owner_id"]}, change)
    await audit.record(
        ctx,
        actor,
        f"moderation.{decision}",
        org_path=flag["org_path"],
        target_type=flag["owner_type"] or "media",
        target_id=flag.get("owner_id") or flag.get("media_id"),
        target_label=("图片" if flag["kind"] == "image" else flag["field"]),
        before={"status": flag["status"]},
        after={"status": state},
    )
    return {**flag, "status": state}


async def _notify_staff(ctx: Context, org_path: list[ObjectId], key: str, what: str) -> None:
    from models.notifications import Notice, notify_many

    staff = await ctx.db.users.find(
        {"role": {"$in": list(STAFF_ROLES)}, "org_id": {"$in": org_path}, "deleted_at": None},
        {"org_id": 1},
    ).to_list(None)
    by_node: dict[ObjectId, list[ObjectId]] = {}
    for user in staff:
        by_node.setdefault(user["org_id"], []).append(user["_id"])
    recipients: list[ObjectId] = []
    for node in reversed(org_path):
        if node in by_node:
            recipients = by_node[node]
            break
    await notify_many(
        ctx,
        [
            Notice(
                user_id=uid,
                key=f"{key}:{uid}",
                kind="moderation",
                title="内容安全提醒",
                body=f"有一条{what}未通过微信内容安全检测，已自动隐藏，请到「内容审核」查看。",
            )
            for uid in recipients
        ],
    )
