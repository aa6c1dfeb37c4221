"""The one time-zone authority: Beijing time for every day, month and year the product counts.

China has one time zone and no daylight saving, so a fixed +08:00 offset is exact. The
scheduler's cron zone comes from config (`jobs.timezone`, Asia/Shanghai by default) and is
read here too, so nothing else builds a zone of its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from models.core.context import Context

BEIJING = timezone(timedelta(hours=8))


def utcnow() -> datetime:
    return datetime.now(UTC)


def tz(ctx: Context) -> ZoneInfo:
    """The configured zone of the scheduler's clock and of times written into messages."""
    return ZoneInfo(str(ctx.config.jobs.timezone))


def local_day(moment: datetime) -> date:
    """The Beijing calendar day a moment falls on."""
    return moment.astimezone(BEIJING).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing calendar day, as aware datetimes."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return start, start + timedelta(days=1)


def local_time(value: datetime | None) -> str:
    """A moment as Beijing wall-clock text for exports and pages, '' when absent."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""


def iso(value: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC with a Z, the API's one time format."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")
