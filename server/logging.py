"""JSON-lines logging with a request id; phone and ID numbers masked on the way out."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# the caller's address, for the audit log of whatever the request changes
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)

_PHONE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_SECRET_KEYS = re.compile(
    r"(session_key|access_token|token|secret|password)(['\"]?\s*[:=]\s*['\"]?)([^'\"&\s,}]+)",
    re.IGNORECASE,
)

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def mask_text(text: str) -> str:
    """Mask phone numbers, ID numbers and secret values inside free text."""
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _SECRET_KEYS.sub(r"\1\2***", text)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * len(phone)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id.get(),
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return mask_text(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(level: str = "INFO", stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # wechatpy logs request URLs, which carry the access token; keep it at WARNING.
    logging.getLogger("wechatpy").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # APScheduler logs every run at INFO (the notifier runs every few seconds); our own
    # job log records each run with its outcome and counts
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
