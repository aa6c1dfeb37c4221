"""Subscribe-message fields are cut to WeChat's limits per field type."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from models.notifications.subscribe import cut_value

ZONE = ZoneInfo("Asia/Shanghai")


def test_text_fields_are_cut_to_their_type_limit() -> None:
    assert cut_value("thing3", "一" * 20, ZONE) == "一" * 20
    assert cut_value("thing3", "一" * 21, ZONE) == "一" * 19 + "…"
    assert cut_value("phrase2", "已超过完成时限", ZONE) == "已超过完成"
    assert cut_value("character_string5", "x" * 40, ZONE) == "x" * 32
    assert cut_value("name7", "欧阳" * 6, ZONE) == ("欧阳" * 6)[:10]
    assert cut_value("thing1", "  多个   空格  ", ZONE) == "多个 空格"
    assert cut_value("thing1", "  ", ZONE) == "-"


def test_times_are_shown_in_beijing_time() -> None:
    when = datetime(2026, 1, 1, 1, 30, tzinfo=UTC)
    assert cut_value("time4", when, ZONE) == "2026-01-01 09:30"
    assert cut_value("date2", when, ZONE) == "2026-01-01"
