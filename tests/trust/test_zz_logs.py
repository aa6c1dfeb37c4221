"""Runs last: every log line of the harness (in-process and every spawned server) holds no
session_key, WeChat access token, full phone number or ID number."""

from __future__ import annotations

import os
import re

from tests.conftest import LOG_STREAM
from tests.trust.figures import record
from tests.trust.procs import SPAWNED_LOGS

PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def test_no_secret_phone_or_id_number_in_any_log(fake_wechat):
    texts = [LOG_STREAM.getvalue()]
    files = [path for path in SPAWNED_LOGS if os.path.exists(path)]
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            texts.append(fh.read())
    lines = [line for text in texts for line in text.splitlines()]
    secrets = fake_wechat.state.secrets()
    leaked = [s for s in secrets if any(s in text for text in texts)]
    phones = [m for line in lines for m in PHONE.findall(line)]
    ids = [m for line in lines for m in ID_NUMBER.findall(line)]
    record(
        "privacy: logs",
        lines_scanned=len(lines),
        server_log_files=len(files),
        wechat_secrets_issued=len(secrets),
        secrets_in_logs=len(leaked),
        full_phone_numbers_in_logs=len(phones),
        id_numbers_in_logs=len(ids),
    )
    assert lines, "no log lines were captured: the scan would prove nothing"
    assert not leaked, leaked[:3]
    assert not phones, phones[:3]
    assert not ids, ids[:3]
