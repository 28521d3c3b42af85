"""Language choice (the person's setting, then the browser's, then Japanese) and dates shown per
language in Asia/Tokyo, on the staff pages and through the shared Jinja filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEntry
from app.extensions import db

MOMENT = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)  # 20:00 in Tokyo


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
    shown = {"ja": "2026年12月5日(土) 20:00 日本時間", "en": "Sat 5 Dec 2026, 20:00 JST"}[expected]
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
