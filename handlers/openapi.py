"""The OpenAPI 3 document, generated from the endpoints' declared schemas and roles."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from handlers.base import IDEMPOTENCY_KEY_PATTERN, Endpoint
from models.core.schemas import ErrorResponse
from models.core.validation import OBJECT_ID_PATTERN

# the server refuses U+0000 in every string it reads (models/core/validation.check_keys)
NO_NUL_PATTERN = "^[^\\u0000]*$"

METHODS = ("get", "post", "put", "patch", "delete")
ERRORS = {
    "400": "参数有误（fields 指出每个错误字段）",
    "401": "未登录或登录已失效",
    "403": "没有权限",
    "404": "不存在或不在可见范围内",
    "409": "状态冲突",
    "413": "请求体过大",
    "429": "请求过于频繁",
    "503": "数据库暂不可用",
}


def _operation(spec: Endpoint, template: str) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag] if spec.tag else []}
    params: list[dict[str, Any]] = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "string", "pattern": OBJECT_ID_PATTERN},
        }
        for name in re.findall(r"\{(\w+)\}", template)
    ]
    if spec.query is not None:
        params.append({"in": "query", "schema": spec.query})
    if spec.idempotency_key:
        params.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
                "description": "同一键重试返回第一次的结果",
            }
        )
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {
            "required": bool(spec.body._declared_fields),
            "content": {"application/json": {"schema": spec.body}},
        }
    if spec.upload:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [spec.upload],
                        "properties": {spec.upload: {"type": "string", "format": "binary"}},
                        # wx.uploadFile's formData fields (purpose …) are sent and ignored
                        "additionalProperties": True,
                    }
                }
            },
        }
    ok: dict[str, Any] = {"description": "成功"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": spec.response}}
    op["responses"] = {str(spec.status): ok}
    if spec.idempotency_key and spec.status == 201:
        op["responses"]["200"] = {**ok, "description": "重复的 Idempotency-Key：返回第一次的结果"}
    for code, text in ERRORS.items():
        op["responses"][code] = {
            "description": text,
            "content": {"application/json": {"schema": "ErrorResponse"}},
        }
    if spec.idempotency_key:
        op["responses"]["422"] = {
            "description": "同一个 Idempotency-Key 用于不同请求",
            "content": {"application/json": {"schema": "ErrorResponse"}},
        }
    if spec.auth:
        op["security"] = [{"bearer": []}]
        if spec.roles:
            op["x-roles"] = list(spec.roles)
    else:
        op["security"] = []
    return op


def build_openapi(routes: list[Any]) -> dict[str, Any]:
    api = APISpec(
        title="同心 Tongxin API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "智慧党建志愿服务：群众点单、组织下单、队员接单、积分"},
    )
    api.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.components.schema("ErrorResponse", schema=ErrorResponse)
    for spec in routes:
        template = getattr(spec, "template", None)
        if template is None:
            continue
        operations = {}
        for method in METHODS:
            fn = getattr(spec.handler_class, method, None)
            meta = getattr(fn, "__endpoint__", None)
            if meta is not None:
                operations[method] = _operation(meta, template)
        if operations:
            api.path(path=template, operations=operations)
    doc = api.to_dict()
    for spec in routes:  # rules a schema states beyond its fields (e.g. "ids or all")
        for method in METHODS:
            meta = getattr(getattr(spec.handler_class, method, None), "__endpoint__", None)
            body = meta.body if meta is not None else None
            extra = getattr(body, "OPENAPI_EXTRA", None)
            if body is not None and extra:
                name = body.__name__.removesuffix("Schema")
                doc["components"]["schemas"][name].update(extra)
    _no_nul(doc)
    return doc


def _no_nul(node: Any) -> None:
    """Every free-text string says what the server enforces: no U+0000 (a string that
    already has a pattern, a format or an enum is narrower than that). And a nullable
    nested object (apispec: `anyOf: [{type: object, nullable: true}, {$ref}]`, which lets
    any object through) is null or the referenced object, nothing else."""
    if isinstance(node, dict):
        for branch in node.get("anyOf") or []:
            if branch == {"type": "object", "nullable": True}:
                branch["enum"] = [None]
        if node.get("type") == "string" and not {"pattern", "format", "enum"} & node.keys():
            node["pattern"] = NO_NUL_PATTERN
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)
