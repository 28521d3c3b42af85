"""One date/time format family for the whole site (app/formatting.py), one TOKYO, one zone label
per language, and one way of naming a person."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from app import timeutil
from app.formatting import ZONE_LABELS, format_count, format_day, format_moment, format_month, format_short_month, format_span, format_weekday_day, person_name

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)  # Thursday 20:00 in Tokyo


@pytest.mark.parametrize(
    ("locale", "moment", "span", "day", "weekday_day", "month", "short_month"),
    [
        ("ja", "2026年12月10日(木) 20:00 日本時間", "2026年12月10日(木) 20:00–21:00 日本時間", "2026年12月10日", "2026年12月10日(木)", "2026年12月", "12月"),
        ("en", "Thu 10 Dec 2026, 20:00 JST", "Thu 10 Dec 2026, 20:00–21:00 JST", "10 Dec 2026", "Thu 10 Dec 2026", "Dec 2026", "Dec"),
    ],
)
def test_the_format_family(app_context: Flask, locale: str, moment: str, span: str, day: str, weekday_day: str, month: str, short_month: str) -> None:
    assert format_moment(MOMENT, locale) == moment
    assert format_span(MOMENT, MOMENT + timedelta(hours=1), locale) == span
    assert format_day(MOMENT, locale) == day
    assert format_day(date(2026, 12, 10), locale) == day
    assert format_weekday_day(MOMENT, locale) == weekday_day
    assert format_month(date(2026, 12, 1), locale) == month
    assert format_short_month(date(2026, 12, 1), locale) == short_month
    assert format_count(13440, locale) == "13,440"


def test_a_moment_is_shown_on_its_tokyo_day(app_context: Flask) -> None:
    late = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)  # already 1 January in Tokyo
    assert format_moment(late, "ja") == "2027年1月1日(金) 00:30 日本時間"
    assert format_day(late, "en") == "1 Jan 2027"


def test_a_span_over_midnight_writes_the_second_day(app_context: Flask) -> None:
    late = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    assert format_span(late, late + timedelta(hours=1), "ja") == "2026年12月5日(土) 23:30 – 2026年12月6日(日) 00:30 日本時間"
    assert format_span(late, late + timedelta(hours=1), "en") == "Sat 5 Dec 2026, 23:30 – Sun 6 Dec 2026, 00:30 JST"


def test_naive_datetimes_are_refused(app_context: Flask) -> None:
    with pytest.raises(ValueError, match="naive"):
        format_moment(datetime(2026, 12, 10, 20, 0))


def test_the_filters_follow_the_request_language(app: Flask) -> None:
    template = "{{ at|datetime }} / {{ at|span(end) }} / {{ at|date }} / {{ n|number }}"
    for language, expected in [
        ("en", "Thu 10 Dec 2026, 20:00 JST / Thu 10 Dec 2026, 20:00–21:00 JST / 10 Dec 2026 / 1,234"),
        ("ja", "2026年12月10日(木) 20:00 日本時間 / 2026年12月10日(木) 20:00–21:00 日本時間 / 2026年12月10日 / 1,234"),
    ]:
        with app.test_request_context(headers={"Accept-Language": language}):
            assert app.jinja_env.from_string(template).render(at=MOMENT, end=MOMENT + timedelta(hours=1), n=1234) == expected


@pytest.mark.parametrize(
    ("language", "display_name", "number", "expected"),
    [
        ("ja", "西川 花子", 7, "西川 花子"),
        ("ja", None, 7, "住民番号 7"),
        ("en", "", 7, "Resident No. 7"),
        ("ja", None, None, "ゲスト"),
        ("en", None, None, "Guest"),
    ],
)
def test_how_a_person_is_named(app: Flask, language: str, display_name: str | None, number: int | None, expected: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert person_name(display_name, number) == expected


# -- one of each, everywhere ---------------------------------------------------------------------------

SOURCES = [path for package in ("app", "community", "minting", "scripts") for path in (ROOT / package).rglob("*.py")]
TEMPLATES = [path for package in ("app", "community") for path in (ROOT / package).rglob("*.html")]


def test_tokyo_is_defined_once() -> None:
    definitions = [str(path.relative_to(ROOT)) for path in SOURCES if re.search(r"ZoneInfo\(\s*[\"']Asia/Tokyo", path.read_text(encoding="utf-8"))]
    assert definitions == ["app/timeutil.py"]
    assert str(timeutil.TOKYO) == "Asia/Tokyo"


def test_no_module_formats_dates_for_people_on_its_own() -> None:
    """strftime and Babel's date formatters appear only in the formatter family (machine formats
    for CSV, iCalendar and <input> values use isoformat or strftime with digits only)."""
    pattern = re.compile(r"format_datetime|format_date\(|format_time\(|dateformat|datetimeformat|strftime\([^)]*%[aAbBp]")
    offenders = [str(path.relative_to(ROOT)) for path in SOURCES + TEMPLATES if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_templates_use_the_shared_filters_only() -> None:
    pattern = re.compile(r"\|\s*(forum_time|tokyo_time|dateformat|datetimeformat|timeformat)\b|meetup_when|meetup_moment")
    offenders = [str(path.relative_to(ROOT)) for path in TEMPLATES if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_one_zone_label_per_language_in_the_catalogues() -> None:
    """Japanese says 日本時間 (never JST alone), English says JST (never "Japan time")."""
    from babel.messages.pofile import read_po

    for language, wrong in (("ja", re.compile(r"(?<![（(])JST")), ("en", re.compile(r"Japan time", re.IGNORECASE))):
        with (ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=language)
        strings = [text for message in catalog if message.id for text in ([message.string] if isinstance(message.string, str) else message.string)]
        assert ZONE_LABELS[language]
        assert [text for text in strings if wrong.search(text or "")] == []
