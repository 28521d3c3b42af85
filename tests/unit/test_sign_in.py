"""Signing in with a wallet over HTTP: messages, nonces, refusals, sessions, rate limits; my page,
public profiles and the `residents roles` commands."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext

from app.audit.models import AuditEntry
from app.auth import service
from app.auth.models import ADMIN, MODERATOR, ORGANIZER, Account, SignInNonce
from app.auth.siwe import Expired, SiweMessage, parse_timestamp
from app.chain.anvil import free_port
from app.extensions import db
from tests.conftest import new_address
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
    """Unit tests have no chain: every address is an EOA (ERC-1271 is tested on anvil)."""
    monkeypatch.setattr(service, "contract_wallet_check", lambda config: lambda address, digest, signature: False)


def issued(client: FlaskClient, address: str, **headers: str) -> SiweMessage:
    response = request_message(client, address, **headers)
    assert response.status_code == 200, response.get_json()
    return SiweMessage.parse(response.get_json()["message"])


def signed_in(client: FlaskClient, key: bytes, address: str, next_page: str | None = None):  # type: ignore[no-untyped-def]
    message = issued(client, address).to_text()
    return post_signature(client, message, personal_sign(key, message), next_page=next_page)


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# -- issuing messages ---------------------------------------------------------------------------


def test_the_message_names_this_site_chain_and_a_fresh_nonce(app: Flask, client: FlaskClient) -> None:
    address, _ = new_wallet()
    before = datetime.now(UTC)
    message = issued(client, address.lower(), **{"Accept-Language": "en"})

    assert message.domain == "127.0.0.1:5000"  # host of SITE_URL
    assert message.scheme == "http"  # SITE_URL is not https, so the message says so
    assert message.uri == "http://127.0.0.1:5000"
    assert message.chain_id == 31337
    assert message.address == address  # checksummed, though the wallet sent lower case
    assert message.statement == "Sign in to Nishikawa Digital Residents."
    assert re.fullmatch(r"[A-Za-z0-9]{24}", message.nonce)
    issued_at = message.issued_at_datetime
    assert before - timedelta(seconds=1) <= issued_at <= datetime.now(UTC)
    assert message.expiration_datetime == parse_timestamp(message.issued_at) + timedelta(minutes=5)
    with app.app_context():
        stored = db.session.get(SignInNonce, message.nonce)
        assert stored is not None and stored.address == address
        assert abs(stored.expires_at - message.expiration_datetime) < timedelta(milliseconds=1)

    second = issued(client, address)
    assert second.nonce != message.nonce


def test_the_statement_follows_the_persons_language(app: Flask, client: FlaskClient) -> None:
    address, _ = new_wallet()
    message = issued(client, address, **{"Accept-Language": "ja"})
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert message.statement == gettext("Sign in to Nishikawa Digital Residents.")


def test_expired_nonces_are_swept_when_messages_are_issued(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(SignInNonce(nonce="staleNonce12345678", address=new_address(), expires_at=datetime.now(UTC) - timedelta(seconds=1), message_sha256="0" * 64))
        db.session.commit()
    issued(client, new_address())
    with app.app_context():
        assert db.session.get(SignInNonce, "staleNonce12345678") is None


@pytest.mark.parametrize("address", ["0x1234", "not an address", "0x" + "g" * 40, "0x52908400098527886E0F7030069857D2E4169Ee7"])
def test_a_bad_address_gets_a_clear_json_refusal(client: FlaskClient, address: str) -> None:
    response = request_message(client, address, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_address", "message": "That is not a wallet address (0x followed by 40 hexadecimal digits)."}


def test_requests_without_the_csrf_token_are_refused_as_json(client: FlaskClient) -> None:
    response = client.post("/sign-in/message", json={"address": new_address()})
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"
    response = client.post("/sign-in", json={"message": "x", "signature": "0x00"}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"


# -- signing in -----------------------------------------------------------------------------------


def test_first_sign_in_creates_the_account_and_opens_my_page(app: Flask, client: FlaskClient) -> None:
    address, key = new_wallet()
    response = signed_in(client, key, address)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"address": address, "redirect": "/me"}
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.address == address))
        assert account is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInNonce)) == 0, "the nonce was not used up"
    page = client.get("/me")
    assert page.status_code == 200
    assert address in page.get_data(as_text=True)

    again = signed_in(client, key, address)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.address == address)) == 1


@pytest.mark.parametrize(("next_page", "redirect"), [("/forums?page=2", "/forums?page=2"), ("https://evil.example/", "/me"), ("//evil.example", "/me")])
def test_sign_in_returns_to_the_page_that_asked_but_never_off_site(client: FlaskClient, next_page: str, redirect: str) -> None:
    address, key = new_wallet()
    response = signed_in(client, key, address, next_page=next_page)
    assert response.get_json()["redirect"] == redirect


def test_the_page_passes_next_to_the_script(client: FlaskClient) -> None:
    assert sign_in_data(client, "/sign-in?next=/forums")["next"] == "/forums"
    assert sign_in_data(client, "/sign-in?next=https://evil.example")["next"] == "/me"


def test_a_replayed_message_is_refused(client: FlaskClient) -> None:
    address, key = new_wallet()
    message = issued(client, address).to_text()
    signature = personal_sign(key, message)
    assert post_signature(client, message, signature).status_code == 200

    other = FlaskClient(client.application)  # the attacker's browser, with the captured message
    replay = post_signature(other, message, signature)
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "nonce_mismatch"
    assert other.get("/me").status_code == 302, "the replay signed the attacker in"


def test_a_forged_signature_is_refused_with_401(app: Flask, client: FlaskClient) -> None:
    address, _ = new_wallet()
    _, attacker_key = new_wallet()
    message = issued(client, address).to_text()
    response = post_signature(client, message, personal_sign(attacker_key, message))
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "invalid_signature"
    assert body["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.address == address)) is None
    assert client.get("/me").status_code == 302, "a forged signature signed somebody in"


def test_a_garbled_signature_is_refused(client: FlaskClient) -> None:
    address, _ = new_wallet()
    message = issued(client, address).to_text()
    response = post_signature(client, message, "0xnothex")
    assert response.status_code == 401
    assert response.get_json()["error"] == "malformed_signature"


def test_a_nonce_issued_to_another_wallet_is_refused(client: FlaskClient) -> None:
    victim, _ = new_wallet()
    attacker, attacker_key = new_wallet()
    theirs = issued(client, victim)
    mine = replace(theirs, address=attacker).to_text()
    response = post_signature(client, mine, personal_sign(attacker_key, mine))
    assert response.status_code == 400
    assert response.get_json()["error"] == "nonce_mismatch"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        # The server compares the whole text with what it issued, so any change is refused as
        # such (siwe.verify's own domain, URI and chain checks are tested with the vectors).
        ({"domain": "evil.example"}, "message_mismatch"),
        ({"scheme": "https"}, "message_mismatch"),
        ({"uri": "https://evil.example/"}, "message_mismatch"),
        ({"chain_id": 1}, "message_mismatch"),
        ({"nonce": "madeUpNonce123456789"}, "nonce_mismatch"),
    ],
)
def test_a_message_for_another_site_or_chain_is_refused(client: FlaskClient, change: dict[str, object], code: str) -> None:
    address, key = new_wallet()
    # The wallet signs what it was given: a phishing site's message, validly signed.
    message = replace(issued(client, address), **change).to_text()  # type: ignore[arg-type]
    response = post_signature(client, message, personal_sign(key, message))
    assert response.status_code == 400
    assert response.get_json()["error"] == code


def test_an_expired_nonce_is_refused(app: Flask, client: FlaskClient) -> None:
    address, key = new_wallet()
    message = issued(client, address)
    with app.app_context():
        db.session.get(SignInNonce, message.nonce).expires_at = datetime.now(UTC) - timedelta(seconds=1)  # type: ignore[union-attr]
        db.session.commit()
    response = post_signature(client, message.to_text(), personal_sign(key, message.to_text()))
    assert response.status_code == 400
    assert response.get_json()["error"] == "expired"


def test_a_message_past_its_expiration_time_is_refused(app_context: Flask) -> None:
    address, key = new_wallet()
    site = service.SignInSite.from_config(app_context.config["SETTINGS"])
    now = datetime.now(UTC)
    issued_message = service.issue_sign_in_message(site, address, "Sign in.", now=now)
    message = issued_message.to_text()
    signed = service.SignedMessage(message, personal_sign(key, message))
    with pytest.raises(Expired):
        service.sign_in_with_wallet(site, signed, issued_nonce=issued_message.nonce, contract_wallets=None, now=now + timedelta(minutes=5))
    assert service.sign_in_with_wallet(site, signed, issued_nonce=issued_message.nonce, contract_wallets=None, now=now + timedelta(minutes=4)).address == address


@pytest.mark.parametrize(
    "body",
    [None, {}, {"message": "x"}, {"message": 1, "signature": "0x"}, ["message", "signature"]],
)
def test_an_incomplete_request_is_a_400_not_a_500(client: FlaskClient, body: object) -> None:
    token = sign_in_data(client)["csrfToken"]
    response = client.post("/sign-in", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_a_malformed_message_is_a_400(client: FlaskClient) -> None:
    response = post_signature(client, "hello\nworld", "0x" + "00" * 65)
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_message"


def test_refusals_are_translated(client: FlaskClient) -> None:
    address, _ = new_wallet()
    message = issued(client, address).to_text()
    with client.application.test_request_context(headers={"Accept-Language": "ja"}):
        expected = gettext("The signature does not match the wallet address. Please sign again with the same wallet.")
    japanese = client.post(
        "/sign-in",
        json={"message": message, "signature": "0x" + "11" * 65},
        headers={"X-CSRFToken": sign_in_data(client)["csrfToken"], "Accept-Language": "ja"},
    )
    assert japanese.get_json() == {"error": "invalid_signature", "message": expected}


def test_a_chain_outage_during_a_contract_wallet_check_is_a_503(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real ERC-1271 check, against a node that is not there
    monkeypatch.setattr(app.config["SETTINGS"], "CHAIN_RPC_URL", f"http://127.0.0.1:{free_port()}")
    contract_wallet = new_address()
    message = issued(client, contract_wallet).to_text()
    _, some_key = new_wallet()
    response = post_signature(client, message, personal_sign(some_key, message))
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "chain_unavailable"
    assert "127.0.0.1" not in body["message"], "the node's URL leaked to the browser"


# -- sessions ------------------------------------------------------------------------------------------


def test_the_session_is_rotated_at_sign_in(client: FlaskClient) -> None:
    address, key = new_wallet()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["locale"] = "en"
    message = issued(client, address).to_text()
    with client.session_transaction() as session:
        old_csrf = session["csrf_token"]
    before = session_cookie(client)

    assert post_signature(client, message, personal_sign(key, message)).status_code == 200

    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session, "data from before sign-in survived"
        assert session.get("csrf_token") != old_csrf, "the CSRF secret survived sign-in"
        assert session["locale"] == "en", "the language choice was lost"
        assert session["_user_id"]


def test_sign_out_ends_the_session_but_keeps_the_language(client: FlaskClient) -> None:
    address, key = new_wallet()
    with client.session_transaction() as session:
        session["locale"] = "en"
    assert signed_in(client, key, address).status_code == 200
    token = sign_in_data(client)["csrfToken"]
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert session["locale"] == "en"
    assert client.get("/me").status_code == 302


# -- rate limits ---------------------------------------------------------------------------------------


def test_sign_in_attempts_are_rate_limited(client: FlaskClient) -> None:
    token = sign_in_data(client)["csrfToken"]
    statuses = [client.post("/sign-in", json={}, headers={"X-CSRFToken": token}).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    refused = client.post("/sign-in", json={}, headers={"X-CSRFToken": token, "Accept-Language": "en"})
    assert refused.get_json() == {"error": "rate_limited", "message": "Too many sign-in attempts. Please wait a minute and try again."}


def test_message_issuance_is_rate_limited_per_wallet_and_client(client: FlaskClient) -> None:
    token = sign_in_data(client)["csrfToken"]
    wallet = new_address()
    statuses = [request_message(client, wallet, csrf=token).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    assert request_message(client, wallet, csrf=token).get_json()["error"] == "rate_limited"
    assert request_message(client, new_address(), csrf=token).status_code == 200, "another wallet from the same client is not held back"


# -- my page ---------------------------------------------------------------------------------------------


def test_my_page_needs_a_signed_in_wallet(client: FlaskClient) -> None:
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/me"


def test_my_page_for_a_visitor_without_a_card(client: FlaskClient, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    sign_in(client, account)
    text = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert account.address in text
    assert "holds no digital resident card" in text
    assert 'id="resident-number"' not in text


def test_my_page_shows_the_residents_card(client: FlaskClient, create_account, give_card, sign_in) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    give_card(account.address, 1234)
    sign_in(client, account)
    text = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'id="resident-number">1234<', text)
    assert "No. 1234" in text  # the placeholder card
    assert "1 Apr 2026" in text  # minted 2026-04-01 00:00 UTC, 09:00 in Tokyo
    assert account.address in text
    assert "/residents/1234" in text


def test_the_card_image_appears_once_the_hook_knows_it(client: FlaskClient, create_account, give_card, sign_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service, "card_image_url", lambda number: f"/ipfs/bafy-card-{number}")
    account = create_account()
    give_card(account.address, 5)
    sign_in(client, account)
    text = client.get("/me").get_data(as_text=True)
    assert 'src="/ipfs/bafy-card-5"' in text
    assert "resident-card-placeholder" not in text


def settings_token(client: FlaskClient) -> str:
    match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', client.get("/me").get_data(as_text=True))
    assert match
    return match.group(1)


def test_settings_are_saved(app: Flask, client: FlaskClient, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    sign_in(client, account)
    response = client.post("/me", data={"csrf_token": settings_token(client), "display_name": "  Hanako  ", "profile_public": "y", "locale": "en"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Account, account.id)
        assert (saved.display_name, saved.profile_public, saved.locale) == ("Hanako", True, "en")  # type: ignore[union-attr]
    page = client.get("/me").get_data(as_text=True)
    assert '<html lang="en">' in page, "the chosen language was not used"
    assert "Your settings were saved." in page

    client.post("/me", data={"csrf_token": settings_token(client), "display_name": "", "locale": ""})
    with app.app_context():
        saved = db.session.get(Account, account.id)
        assert (saved.display_name, saved.profile_public, saved.locale) == (None, False, None)  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "error"), [("x" * 81, "at most 80 characters"), ("Hana\u202eko", "letters, numbers and punctuation")])
def test_invalid_settings_are_explained(app: Flask, client: FlaskClient, create_account, sign_in, name: str, error: str) -> None:  # type: ignore[no-untyped-def]
    account = create_account(locale="en")
    sign_in(client, account)
    response = client.post("/me", data={"csrf_token": settings_token(client), "display_name": name, "locale": "en"})
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account.id).display_name is None  # type: ignore[union-attr]


def test_settings_need_the_csrf_token(client: FlaskClient, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, create_account())
    assert client.post("/me", data={"display_name": "Hanako"}).status_code == 400


# -- public profiles ------------------------------------------------------------------------------------


def test_a_public_profile_shows_the_name_only_after_opting_in(app: Flask, client: FlaskClient, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    account = create_account(display_name="Hanako")
    give_card(account.address, 77)
    hidden = client.get("/residents/77", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No. 77" in hidden
    assert "Hanako" not in hidden
    assert account.address not in hidden

    with app.app_context():
        db.session.get(Account, account.id).profile_public = True  # type: ignore[union-attr]
        db.session.commit()
    shown = client.get("/residents/77").get_data(as_text=True)
    assert "Hanako" in shown
    assert account.address not in shown, "the wallet address is never on the public profile"


def test_a_card_whose_holder_never_signed_in_has_a_profile(client: FlaskClient, give_card) -> None:  # type: ignore[no-untyped-def]
    give_card(new_address(), 78)
    assert client.get("/residents/78").status_code == 200


def test_unknown_resident_numbers_are_404(client: FlaskClient) -> None:
    assert client.get("/residents/999999").status_code == 404
    assert client.get("/residents/abc").status_code == 404


# -- staff roles from the command line -------------------------------------------------------------------


def audit_rows(app: Flask) -> list[tuple[str, str, str, dict[str, object]]]:
    with app.app_context():
        return [(row.actor, row.action, row.target, row.details) for row in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_roles_are_granted_listed_and_revoked_with_an_audit_trail(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    address = new_address()
    granted = runner.invoke(args=["roles", "grant", address.lower(), "organizer"])
    assert granted.exit_code == 0, granted.output
    assert granted.output == f"Granted organizer to {address}.\n"
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.address == address))
        assert account is not None and account.roles == {ORGANIZER}

    again = runner.invoke(args=["roles", "grant", address, "organizer"])
    assert again.exit_code == 0
    assert "already holds organizer; nothing changed" in again.output
    assert runner.invoke(args=["roles", "grant", address, "moderator"]).exit_code == 0

    listed = runner.invoke(args=["roles", "list"])
    assert listed.exit_code == 0
    assert listed.output == f"{address}  moderator, organizer\n"

    revoked = runner.invoke(args=["roles", "revoke", address, "organizer"])
    assert revoked.exit_code == 0
    assert revoked.output == f"Revoked organizer from {address}.\n"
    assert "does not hold organizer" in runner.invoke(args=["roles", "revoke", address, "organizer"]).output

    rows = audit_rows(app)
    assert [(action, target, details) for _, action, target, details in rows] == [
        ("role.grant", address, {"role": ORGANIZER}),
        ("role.grant", address, {"role": MODERATOR}),
        ("role.revoke", address, {"role": ORGANIZER}),
    ]
    assert all(actor.startswith("cli:") for actor, *_ in rows)
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.address == address)).roles == {MODERATOR}  # type: ignore[union-attr]


def test_a_granted_role_opens_staff_access(app: Flask, runner, create_account) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    assert runner.invoke(args=["roles", "grant", account.address, "admin"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Account, account.id).has_role(ORGANIZER)  # type: ignore[union-attr]
        assert db.session.get(Account, account.id).roles == {ADMIN}  # type: ignore[union-attr]


def test_roles_list_when_nobody_is_staff(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["roles", "list"])
    assert result.exit_code == 0
    assert "No staff roles are granted" in result.output


@pytest.mark.parametrize(
    ("address", "expected"),
    [("0x1234", "not a wallet address"), ("0x52908400098527886E0F7030069857D2E4169Ee7", "wrong EIP-55 checksum")],
)
def test_role_commands_refuse_bad_addresses_in_one_line(app: Flask, runner, address: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["roles", "grant", address, "admin"])
    assert result.exit_code == 1
    assert expected in result.output
    assert result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    assert audit_rows(app) == []


def test_role_commands_refuse_unknown_roles(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["roles", "grant", new_address(), "mayor"])
    assert result.exit_code == 2
    assert "'mayor' is not one of 'admin', 'organizer', 'moderator'" in result.output
