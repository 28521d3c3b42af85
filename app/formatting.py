"""Dates, times and numbers as people read them: in their language, in Asia/Tokyo.

Registered as Jinja filters (`{{ entry.occurred_at|datetime }}`, `|date`, `|month`, `|number`)
by `register_formatting(app)`; any template may use them.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from flask import Flask, current_app
from flask_babel import get_locale

TOKYO = ZoneInfo("Asia/Tokyo")
#: Asia/Tokyo has been JST (+09:00, no daylight saving) since 1951, so the zone's name is fixed.
ZONE_NAME = "JST"


def current_language() -> str:
    """Return the language of the current request ("ja" or "en")."""
    chosen = get_locale()
    return str(chosen) if chosen else current_app.config["BABEL_DEFAULT_LOCALE"]


def _locale(locale: str | None) -> str:
    return locale or current_language()


def format_moment(at: datetime, locale: str | None = None) -> str:
    """Format a moment, e.g. "2026年12月5日 20:00 JST" or "Dec 5, 2026, 8:00 PM JST"."""
    language = _locale(locale)
    local = at.astimezone(TOKYO)
    day = format_skeleton("yMMMd", local, locale=language)
    clock = format_time(local, "short", locale=language)
    # CLDR's own glue: "{1} {0}" in Japanese, "{1}, {0}" in English.
    glue = Locale.parse(language).datetime_formats["medium"]
    return f"{glue.format(clock, day)} {ZONE_NAME}"


def format_day(at: datetime | date, locale: str | None = None) -> str:
    """Format a calendar day, e.g. "2026年12月5日" or "Dec 5, 2026" (moments taken in Asia/Tokyo)."""
    day = at.astimezone(TOKYO).date() if isinstance(at, datetime) else at
    return format_skeleton("yMMMd", day, locale=_locale(locale))


def format_month(month: date, locale: str | None = None) -> str:
    """Format a month, e.g. "2026年12月" or "Dec 2026"."""
    return format_skeleton("yMMM", month, locale=_locale(locale))


def format_short_month(month: date, locale: str | None = None) -> str:
    """Format a month without its year, for chart axes, e.g. "12月" or "Dec"."""
    return format_skeleton("MMM", month, locale=_locale(locale))


def format_count(value: int | float, locale: str | None = None) -> str:
    """Format a number with the language's grouping, e.g. "13,440"."""
    return format_decimal(value, locale=_locale(locale))


def register_formatting(app: Flask) -> None:
    """Make the formatters available to every template as filters."""
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(format_day, "date")
    app.add_template_filter(format_month, "month")
    app.add_template_filter(format_count, "number")
