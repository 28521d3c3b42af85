"""Language choice (the person's setting, then the browser's, then Japanese) and dates shown per
language in Asia/Tokyo, on the staff pages and through the shared Jinja filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEntry
from app.extensions import db
from app.formatting import format_count, format_day, format_moment, format_month, format_short_month

MOMENT = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)  # 20:00 in Tokyo


@pytest.mark.parametrize(
    ("locale", "moment", "day", "month", "short_month", "count"),
    [
        ("ja", "2026年12月5日 20:00 JST", "2026年12月5日", "2026年12月", "12月", "13,440"),
        ("en", "Dec 5, 2026, 8:00\u202fPM JST", "Dec 5, 2026", "Dec 2026", "Dec", "13,440"),
    ],
)
def test_formatters(app_context: Flask, locale: str, moment: str, day: str, month: str, short_month: str, count: str) -> None:
    assert format_moment(MOMENT, locale) == moment
    assert format_day(MOMENT, locale) == day
    assert format_day(date(2026, 12, 5), locale) == day
    assert format_month(date(2026, 12, 1), locale) == month
    assert format_short_month(date(2026, 12, 1), locale) == short_month
    assert format_count(13440, locale) == count


def test_a_moment_is_shown_on_its_tokyo_day(app_context: Flask) -> None:
    late_utc = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)  # already 1 January in Tokyo
    assert format_moment(late_utc, "ja") == "2027年1月1日 0:30 JST"
    assert format_day(late_utc, "en") == "Jan 1, 2027"


def test_filters_are_registered_for_every_template(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        rendered = app.jinja_env.from_string("{{ at|datetime }} / {{ at|date }} / {{ n|number }}").render(at=MOMENT, n=1234)
    assert rendered == "Dec 5, 2026, 8:00\u202fPM JST / Dec 5, 2026 / 1,234"


@pytest.fixture
def logged_entry(app: Flask) -> None:
    with app.app_context():
        db.session.add(AuditEntry(occurred_at=MOMENT, actor="cli:mayor", action="role.grant", target="0xabc", details={}))
        db.session.commit()


@pytest.mark.parametrize(
    ("account_locale", "session_locale", "browser", "expected"),
    [
        (None, None, None, "ja"),
        (None, None, "fr-FR,fr;q=0.9", "ja"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr;q=1.0, en;q=0.5, ja;q=0.8", "ja"),
        (None, "en", "ja", "en"),
        ("en", None, "ja", "en"),
        ("ja", "en", "en", "ja"),
    ],
)
def test_language_from_setting_then_browser_then_japanese(
    client: FlaskClient, create_account, sign_in, logged_entry: None, account_locale: str | None, session_locale: str | None, browser: str | None, expected: str  # type: ignore[no-untyped-def]
) -> None:
    organizer = create_account(roles=("organizer",), locale=account_locale)
    sign_in(client, organizer)
    if session_locale:
        with client.session_transaction() as session:
            session["locale"] = session_locale
    headers = {"Accept-Language": browser} if browser else {}
    page = client.get("/staff/audit", headers=headers).get_data(as_text=True)
    assert f'<html lang="{expected}">' in page
    shown = {"ja": "2026年12月5日 20:00 JST", "en": "Dec 5, 2026, 8:00\u202fPM JST"}[expected]
    assert shown in page, "the entry's time is shown in the page's language, in Tokyo time"


def test_switching_language_is_remembered_on_the_account(app: Flask, client: FlaskClient, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    from app.auth.models import Account

    organizer = create_account(roles=("organizer",))
    sign_in(client, organizer)
    with client.session_transaction() as session:
        session["csrf_token"] = "t"
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post("/language", data={"locale": "en", "next": "/staff/audit"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 302 and response.headers["Location"] == "/staff/audit"
    with app.app_context():
        assert db.session.get(Account, organizer.id).locale == "en"
    assert '<html lang="en">' in client.get("/staff/audit", headers={"Accept-Language": "ja"}).get_data(as_text=True)
