"""Signed-in sessions live on the server: signing out ends every copy of the cookie, sessions
end when idle or too old, and revoking a staff role ends the power (and the sessions) at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import AccountSession
from app.extensions import db
from tests.unit.conftest_forums import Forum, forum  # noqa: F401  (fixture)
from tests.unit.conftest_sign_in import (
    fresh_rate_limits,  # noqa: F401  (autouse fixture)
    new_wallet,
    personal_sign,
    post_signature,
    request_message,
    sign_in_data,
)


@pytest.fixture(autouse=True)
def no_contract_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth import service

    monkeypatch.setattr(service, "contract_wallet_check", lambda config: lambda address, digest, signature: False)


def wallet_sign_in(client: FlaskClient) -> str:
    """Sign in through the real endpoints; return the wallet address."""
    address, key = new_wallet()
    message = request_message(client, address).get_json()["message"]
    response = post_signature(client, message, personal_sign(key, message))
    assert response.status_code == 200, response.get_json()
    return address


def copy_of(client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (stolen, synced, backed up)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = client.application.test_client()
    other.set_cookie("session", cookie.value)
    return other


def records(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(AccountSession)) or 0)


def test_sign_in_records_a_session_with_its_lifetime(app: Flask, client: FlaskClient) -> None:
    wallet_sign_in(client)
    with app.app_context():
        [record] = db.session.scalars(sa.select(AccountSession)).all()
        assert record.method == "siwe"
        assert record.expires_at - record.started_at == timedelta(hours=app.config["SETTINGS"].SESSION_LIFETIME_HOURS)
    with client.session_transaction() as session:
        token = session["_session"]
    with app.app_context():
        assert db.session.scalar(sa.select(AccountSession.token_sha256)) != token, "only the token's hash is stored"


def test_a_copied_cookie_is_worthless_after_sign_out(app: Flask, client: FlaskClient) -> None:
    address = wallet_sign_in(client)
    thief = copy_of(client)
    assert address in thief.get("/me").get_data(as_text=True), "the copy works while the session lives"

    token = sign_in_data(client)["csrfToken"]
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert records(app) == 0

    replay = thief.get("/me")
    assert replay.status_code == 302 and replay.headers["Location"] == "/sign-in?next=/me", "the copied cookie still opened my page"


def test_a_copied_cookie_cannot_post_after_sign_out(app: Flask, client: FlaskClient, give_card, forum: Forum) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The issue's case: the copy could post in the residents' forum from another client."""
    from tests.unit.test_input_layer import CSRF

    address = wallet_sign_in(client)
    give_card(address)
    thief = copy_of(client)
    page = thief.get("/").get_data(as_text=True)
    stolen_csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    before = thief.post(f"/forums/c/{forum.members_slug}/new", data={"csrf_token": stolen_csrf, "title": "", "body": ""})
    assert before.status_code == 422, "while the session lived, the copy reached the posting form"
    client.post("/sign-out", data={"csrf_token": sign_in_data(client)["csrfToken"]})
    response = thief.post(f"/forums/c/{forum.members_slug}/new", data={"csrf_token": stolen_csrf, "title": "乗っ取り", "body": "posted with a copied cookie"})
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/sign-in")
    from community.forums.models import ForumThread

    with app.app_context():
        assert db.session.scalar(sa.select(ForumThread).where(ForumThread.title == "乗っ取り")) is None


def test_an_idle_session_ends(app: Flask, client: FlaskClient) -> None:
    address = wallet_sign_in(client)
    idle = timedelta(minutes=app.config["SETTINGS"].SESSION_IDLE_MINUTES)
    with app.app_context():
        record = db.session.scalars(sa.select(AccountSession)).one()
        record.last_seen_at -= idle + timedelta(seconds=1)
        db.session.commit()
    assert client.get("/me").status_code == 302
    assert records(app) == 0, "the ended session's record is deleted"
    assert address


def test_a_session_in_use_stays_open_and_is_touched_at_most_every_few_minutes(app: Flask, client: FlaskClient) -> None:
    wallet_sign_in(client)
    with app.app_context():
        record = db.session.scalars(sa.select(AccountSession)).one()
        record.last_seen_at -= timedelta(minutes=10)
        db.session.commit()
        before = db.session.scalar(sa.select(AccountSession.last_seen_at))
    assert client.get("/me").status_code == 200
    with app.app_context():
        touched = db.session.scalar(sa.select(AccountSession.last_seen_at))
    assert touched is not None and before is not None and touched > before + timedelta(minutes=9)
    assert client.get("/me").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(AccountSession.last_seen_at)) == touched, "a second page view a moment later writes nothing"


def test_a_session_past_its_lifetime_ends_however_active(app: Flask, client: FlaskClient) -> None:
    wallet_sign_in(client)
    with app.app_context():
        db.session.execute(sa.update(AccountSession).values(expires_at=AccountSession.started_at))
        db.session.commit()
    assert client.get("/me").status_code == 302


def test_the_cookie_itself_expires_with_the_session_lifetime(app: Flask, client: FlaskClient) -> None:
    wallet_sign_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None, "a session cookie with an end"


def test_a_cookie_naming_another_account_opens_nothing(app: Flask, client: FlaskClient, create_account) -> None:  # type: ignore[no-untyped-def]
    wallet_sign_in(client)
    other = create_account()
    with client.session_transaction() as session:
        session["_user_id"] = str(other.id)  # (only possible with the secret key, but checked all the same)
    assert client.get("/me").status_code == 302


def test_revoking_a_staff_role_ends_its_power_at_the_next_request(app: Flask, client: FlaskClient, runner, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    organizer = create_account(roles=("organizer",))
    sign_in(client, organizer)
    assert client.get("/staff").status_code == 200
    thief = copy_of(client)
    assert runner.invoke(args=["roles", "revoke", organizer.address, "organizer"]).exit_code == 0
    for browser in (client, thief):
        response = browser.get("/staff")
        assert response.status_code in (302, 403), response.status_code
    assert records(app) == 0, "the revoked staff member's sessions ended"


def test_revoking_a_card_ends_resident_access_at_the_next_request(app: Flask, client: FlaskClient, create_account, give_card, sign_in, forum: Forum) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from app.chain.models import Holding

    resident = create_account()
    give_card(resident.address, 321)
    sign_in(client, resident)
    assert client.get(f"/forums/c/{forum.members_slug}").status_code == 200
    with app.app_context():
        db.session.execute(sa.delete(Holding).where(Holding.holder == resident.address))
        db.session.commit()
    assert client.get(f"/forums/c/{forum.members_slug}").status_code == 403


# -- pages with personal data are never cached ----------------------------------------------------------


def test_every_page_shown_to_a_signed_in_person_is_no_store(app: Flask, client: FlaskClient, create_account, give_card, sign_in) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.conftest_exchange import attached, draft
    from app.timeutil import utcnow
    from community.exchange import service

    admin = create_account(roles=("admin",))
    give_card(admin.address, 55)
    starts = utcnow() + timedelta(days=3)
    with app.test_request_context():
        event = service.create_event(attached(admin), draft(starts_at=starts, ends_at=starts + timedelta(hours=2), registration_deadline=starts - timedelta(days=1)), now=utcnow())
        service.register(attached(admin), event.id, now=utcnow())
        db.session.commit()
        event_id = event.id
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/").headers.get("Cache-Control", ""), "public pages stay cacheable for visitors"
    sign_in(client, admin)
    for path in ("/me", f"/events/{event_id}/pass", f"/events/{event_id}/attendance", "/my/attendance", "/staff", "/staff/audit", "/", "/forums", f"/events/{event_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), f"{path} may be kept by a shared or browser cache"
    static = client.get("/static/css/site.css")
    cache_control = static.headers.get("Cache-Control", "")
    static.close()
    assert "no-store" not in cache_control, "static files are the same for everyone"
