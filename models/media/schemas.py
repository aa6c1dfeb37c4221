"""Wire schemas of media: what an upload answers and how a photo appears inside an owner."""

from __future__ import annotations

from marshmallow import Schema, fields


class PhotoOut(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "签名地址，过期后请刷新"})
    thumb_url = fields.String(required=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)


class MediaOut(PhotoOut):
    status = fields.String(
        metadata={"description": "内容安全检测：unchecked/checking 审核中，pass 通过"}
    )
