"""Meetup times as people read them: Asia/Tokyo, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

TOKYO = ZoneInfo("Asia/Tokyo")
#: Asia/Tokyo has been JST (+09:00, no daylight saving) since 1951, so the name is fixed.
ZONE_NAME = "JST"

_DAY = {"ja": "y年M月d日(E)", "en": "EEE d MMM y,"}
_CLOCK = "HH:mm"


def _pattern(locale: str) -> str:
    return _DAY.get(locale, _DAY["ja"])


def when(starts_at: datetime, ends_at: datetime, locale: str) -> str:
    """Format a meetup's time span, e.g. "2026年12月5日(土) 20:00–21:30 JST"."""
    day = _pattern(locale)
    start = format_datetime(starts_at, f"{day} {_CLOCK}", tzinfo=TOKYO, locale=locale)
    same_day = starts_at.astimezone(TOKYO).date() == ends_at.astimezone(TOKYO).date()
    end = format_datetime(ends_at, _CLOCK if same_day else f"{day} {_CLOCK}", tzinfo=TOKYO, locale=locale)
    return f"{start}–{end} {ZONE_NAME}"


def moment(at: datetime, locale: str) -> str:
    """Format one moment, e.g. "2026年12月4日(金) 23:59 JST"."""
    return f"{format_datetime(at, f'{_pattern(locale)} {_CLOCK}', tzinfo=TOKYO, locale=locale)} {ZONE_NAME}"


def tokyo_input_value(at: datetime | None) -> str:
    """Return the value of an <input type=datetime-local> for `at`, in Asia/Tokyo."""
    return at.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M") if at else ""
