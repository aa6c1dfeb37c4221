"""Media and content safety: photos people upload and WeChat's checks of what they write or show.

Public interface other domains call (keep these signatures):

- `models.media.service.attach(ctx, actor, media_ids: list[ObjectId], *, owner_type: str,
  owner_id: ObjectId) -> list[ObjectId]` — bind uploaded images to an owner (an order, a
  completion, a wish …). Refuses ids the actor did not upload, unknown ids and ids already
  attached to another owner (ValidationFailed naming the field). Store the returned ids.
- `models.media.service.photo_json(ctx, media_ids, *, viewer) -> list[dict]` — `{id, url,
  thumb_url, width, height}` with signed expiring URLs, only for the photos the viewer may
  see now (call only after deciding the viewer may see the owner). `await
  service.prefetch(ctx, ids)` first gives it sizes and check states in one query.
- `models.media.safety.check_text(ctx, actor, fields: dict[str, str], *, scene: int) ->
  Verdict` — msgSecCheck v2 per field; raises ValidationFailed naming risky fields; store
  `verdict.held` as the owner's `moderation` map, call `safety.record(ctx, verdict,
  owner_type=, owner_id=, org_path=)` after the write, register the owner's collection in
  `safety.OWNERS`, and show user text through `safety.visible_text(doc, field, viewer,
  author_id)`.

Modules: images (sniff/refuse/re-encode, no I/O), storage (GridFS | S3), signing (URL
HMAC), service (upload, attach, URLs, serving, orphan cleanup), safety (content checks,
flags, 内容审核), schemas (wire).
"""
