"""Wire schemas of the job-run record."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import (
    OneOf,
    PageQuery,
    Str,
)


class JobRunQuery(PageQuery):
    job = Str(validate=OneOf(["notifier", "sla", "digests", "housekeeping", "wechat_token"]))
    outcome = Str(validate=OneOf(["running", "ok", "failed"]))


class JobRunOut(Schema):
    id = fields.String(required=True)
    job = fields.String(required=True)
    holder = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    duration_ms = fields.Float(allow_none=True)
    outcome = fields.String()
    counts = fields.Dict()
    error = fields.String(allow_none=True)


class JobRunList(Schema):
    items = fields.List(fields.Nested(JobRunOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "下一页的游标；null 表示没有更多"}
    )
