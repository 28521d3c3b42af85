"""How the site writes dates, times, numbers and people: one family, used by every template,
service message and notice.

Every moment is shown in Asia/Tokyo (`app.timeutil.TOKYO`) with the same shape in each language
and one zone label per language:

    ja  2026年12月10日(木) 20:00–21:00 日本時間      en  Thu 10 Dec 2026, 20:00–21:00 JST

The shapes are assembled from Babel's (CLDR) day and month names instead of Babel's pattern
formatter: a thread page writes 50 of these, and the pattern formatter costs about ten times as
much for the same text. Registered as Jinja filters by `register_formatting(app)` (a step of
`create_app`): `|datetime`, `|span(end)`, `|date`, `|weekday_date`, `|month`, `|number`, and the
global `person_name(display_name, resident_number)`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from app.timeutil import TOKYO

__all__ = ["TOKYO", "ZONE_LABELS", "current_language", "format_count", "format_day", "format_moment", "format_span", "person_name"]

#: The one zone label per language. Asia/Tokyo has been +09:00 without daylight saving since 1951.
#: A plain mapping rather than gettext: notices are written for both languages at once, outside
#: any request (see community/meetups/reminders.py).
ZONE_LABELS = {"ja": "日本時間", "en": "JST"}


def current_language() -> str:
    """Return the language of the current request ("ja" or "en")."""
    chosen = get_locale() if has_request_context() else None
    return str(chosen) if chosen else current_app.config["BABEL_DEFAULT_LOCALE"]


def _language(locale: str | None) -> str:
    language = locale or current_language()
    return language if language in ZONE_LABELS else "ja"


@cache
def _names(language: str) -> tuple[dict[int, str], dict[int, str]]:
    """Abbreviated weekday (Monday = 0) and month (January = 1) names from CLDR."""
    data = Locale.parse(language)
    return dict(data.days["format"]["abbreviated"]), dict(data.months["format"]["abbreviated"])


def _tokyo(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; the site stores aware UTC datetimes (app.timeutil.utcnow())")
    return at.astimezone(TOKYO)


def _weekday_day(day: date, language: str) -> str:
    weekdays, months = _names(language)
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日({weekdays[day.weekday()]})"
    return f"{weekdays[day.weekday()]} {day.day} {months[day.month]} {day.year}"


def _clock(at: datetime) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _join(day: str, clock: str, language: str) -> str:
    return f"{day} {clock}" if language == "ja" else f"{day}, {clock}"


def format_moment(at: datetime | None, locale: str | None = None) -> str:
    """Format a moment, e.g. "2026年12月10日(木) 20:00 日本時間" or "Thu 10 Dec 2026, 20:00 JST"."""
    if at is None:
        return ""
    language = _language(locale)
    local = _tokyo(at)
    return f"{_join(_weekday_day(local.date(), language), _clock(local), language)} {ZONE_LABELS[language]}"


def format_span(starts_at: datetime, ends_at: datetime, locale: str | None = None) -> str:
    """Format a time span: "2026年12月10日(木) 20:00–21:00 日本時間"; a second day is written out."""
    language = _language(locale)
    start, end = _tokyo(starts_at), _tokyo(ends_at)
    first = _join(_weekday_day(start.date(), language), _clock(start), language)
    if start.date() == end.date():
        return f"{first}–{_clock(end)} {ZONE_LABELS[language]}"
    last = _join(_weekday_day(end.date(), language), _clock(end), language)
    return f"{first} – {last} {ZONE_LABELS[language]}"


def format_day(at: datetime | date | None, locale: str | None = None) -> str:
    """Format a calendar day, e.g. "2026年12月10日" or "10 Dec 2026" (moments taken in Asia/Tokyo)."""
    if at is None:
        return ""
    language = _language(locale)
    day = _tokyo(at).date() if isinstance(at, datetime) else at
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_names(language)[1][day.month]} {day.year}"


def format_weekday_day(at: datetime | date, locale: str | None = None) -> str:
    """Format a calendar day with its weekday, e.g. "2026年12月10日(木)" or "Thu 10 Dec 2026"."""
    day = _tokyo(at).date() if isinstance(at, datetime) else at
    return _weekday_day(day, _language(locale))


def format_month(month: date, locale: str | None = None) -> str:
    """Format a month, e.g. "2026年12月" or "Dec 2026"."""
    return format_skeleton("yMMM", month, locale=_language(locale))


def format_short_month(month: date, locale: str | None = None) -> str:
    """Format a month without its year, for chart axes, e.g. "12月" or "Dec"."""
    return format_skeleton("MMM", month, locale=_language(locale))


def format_count(value: int | float, locale: str | None = None) -> str:
    """Format a number with the language's grouping, e.g. "13,440"."""
    return format_decimal(value, locale=_language(locale))


def person_name(display_name: str | None, resident_number: int | None) -> str:
    """How the site names a person: their chosen name, else "住民番号 N" / "Resident No. N".

    Never a wallet address: the settings promise that a person without a display name is shown
    by their resident number only. Someone without a card (a visitor, staff) and without a name
    is "ゲスト" / "Guest".
    """
    if display_name:
        return display_name
    if resident_number is not None:
        return _("Resident No. %(number)s", number=resident_number)
    return _("Guest")


def register_formatting(app: Flask) -> None:
    """Make the formatters available to every template as filters (and the name as a global)."""
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(format_span, "span")
    app.add_template_filter(format_day, "date")
    app.add_template_filter(format_weekday_day, "weekday_date")
    app.add_template_filter(format_month, "month")
    app.add_template_filter(format_count, "number")
    app.add_template_global(person_name, "person_name")
