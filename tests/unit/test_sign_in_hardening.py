"""Sign-In with Ethereum as an attacker tries it: only the exact text the server issued, to this
browser session, signed in canonical form, and bounded in length before any chain call. Then
the rate limits behind a reverse proxy: per wallet and real client, never one shared bucket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.auth import service
from app.auth.models import Account, SignInNonce
from app.auth.siwe import SECP256K1_N, SiweMessage
from app.extensions import db, limiter
from app.security import rate_limit_key
from tests.conftest import make_config
from tests.unit.conftest_sign_in import (
    fresh_rate_limits,  # noqa: F401  (autouse fixture)
    new_wallet,
    personal_sign,
    post_signature,
    request_message,
    sign_in_data,
)


@pytest.fixture(autouse=True)
def chain_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """No chain in unit tests; every ERC-1271 question the site would ask is recorded (and answered no)."""
    asked: list[tuple[str, int]] = []

    def check(config: object):  # type: ignore[no-untyped-def]
        def ask(address: str, digest: bytes, signature: bytes) -> bool:
            asked.append((address, len(signature)))
            return False

        return ask

    monkeypatch.setattr(service, "contract_wallet_check", check)
    return asked


def issued(client: FlaskClient, address: str) -> SiweMessage:
    response = request_message(client, address)
    assert response.status_code == 200, response.get_json()
    return SiweMessage.parse(response.get_json()["message"])


def signed_in_as(client: FlaskClient) -> str | None:
    page = client.get("/me")
    return None if page.status_code != 200 else page.get_data(as_text=True)


# -- only the text that was issued --------------------------------------------------------------------

TAMPERING = {
    "expiration removed": {"expiration_time": None},
    "expiration moved to 2999": {"expiration_time": "2999-01-01T00:00:00.000Z"},
    "statement replaced": {"statement": "I agree to transfer all my cards."},
    "statement removed": {"statement": None},
    "resources added": {"resources": ("https://evil.example/grant",)},
    "request id added": {"request_id": "attacker-42"},
    "not-before added": {"not_before": "2020-01-01T00:00:00.000Z"},
    "issued-at moved": {"issued_at": "2020-01-01T00:00:00.000Z"},
}


@pytest.mark.parametrize("change", TAMPERING.values(), ids=list(TAMPERING))
def test_a_message_the_server_did_not_issue_is_refused_though_validly_signed(app: Flask, client: FlaskClient, change: dict[str, object]) -> None:
    address, key = new_wallet()
    text = replace(issued(client, address), **change).to_text()  # type: ignore[arg-type]
    response = post_signature(client, text, personal_sign(key, text))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "message_mismatch"
    assert response.get_json()["message"]
    assert signed_in_as(client) is None
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.address == address)) is None


def test_a_100_kb_statement_is_refused_before_it_is_parsed(client: FlaskClient, chain_calls: list[tuple[str, int]]) -> None:
    address, key = new_wallet()
    text = replace(issued(client, address), statement="a" * 100_000).to_text()
    response = post_signature(client, text, personal_sign(key, text))
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert chain_calls == []


def test_the_issued_text_still_signs_in(client: FlaskClient) -> None:
    address, key = new_wallet()
    text = issued(client, address).to_text()
    assert post_signature(client, text, personal_sign(key, text)).status_code == 200
    assert address in (signed_in_as(client) or "")


def test_the_nonce_belongs_to_the_browser_session_that_asked_for_it(app: Flask, client: FlaskClient) -> None:
    address, key = new_wallet()
    text = issued(client, address).to_text()
    signature = personal_sign(key, text)
    elsewhere = app.test_client()  # a second browser, e.g. a phishing page relaying the message
    response = post_signature(elsewhere, text, signature)
    assert response.status_code == 400 and response.get_json()["error"] == "session_mismatch"
    assert signed_in_as(elsewhere) is None
    assert post_signature(client, text, signature).status_code == 200, "the browser that asked still signs in"


def test_a_newer_message_replaces_the_older_one_in_the_same_browser(client: FlaskClient) -> None:
    address, key = new_wallet()
    first = issued(client, address).to_text()
    second = issued(client, address).to_text()
    assert post_signature(client, first, personal_sign(key, first)).get_json()["error"] == "session_mismatch"
    assert post_signature(client, second, personal_sign(key, second)).status_code == 200


def test_the_issued_text_is_kept_as_a_hash(app: Flask, client: FlaskClient) -> None:
    import hashlib

    address, _ = new_wallet()
    message = issued(client, address)
    with app.app_context():
        stored = db.session.get(SignInNonce, message.nonce)
        assert stored is not None and stored.message_sha256 == hashlib.sha256(message.to_text().encode()).hexdigest()


# -- the signature ---------------------------------------------------------------------------------------


def malleated(signature: str) -> str:
    """The same signature with s replaced by N - s and v flipped: it still recovers the signer."""
    raw = bytes.fromhex(signature[2:])
    s = int.from_bytes(raw[32:64], "big")
    v = raw[64]
    flipped = {27: 28, 28: 27, 0: 1, 1: 0}[v]
    return "0x" + (raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([flipped])).hex()


def test_a_high_s_signature_is_refused(app: Flask, client: FlaskClient) -> None:
    from eth_account import Account as EthAccount
    from eth_account.messages import encode_defunct

    address, key = new_wallet()
    text = issued(client, address).to_text()
    twin = malleated(personal_sign(key, text))
    assert EthAccount.recover_message(encode_defunct(text=text), signature=twin) == address, "the twin is valid maths"
    response = post_signature(client, text, twin)
    assert response.status_code == 401 and response.get_json()["error"] == "noncanonical_signature"
    assert signed_in_as(client) is None


@pytest.mark.parametrize("size", [4097, 10_000, 30_000])
def test_an_oversized_signature_never_reaches_the_chain(client: FlaskClient, chain_calls: list[tuple[str, int]], size: int) -> None:
    address, _ = new_wallet()
    text = issued(client, address).to_text()
    response = post_signature(client, text, "0x" + "ab" * size)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "bad_request"
    assert chain_calls == [], "a chain call was made for a signature nobody could have made"


def test_a_900_kb_signature_is_a_400_not_a_503(client: FlaskClient, chain_calls: list[tuple[str, int]]) -> None:
    address, _ = new_wallet()
    text = issued(client, address).to_text()
    response = post_signature(client, text, "0x" + "ab" * 450_000)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert chain_calls == []


def test_a_smart_wallet_signature_within_bounds_is_still_asked_on_chain(client: FlaskClient, chain_calls: list[tuple[str, int]]) -> None:
    address, _ = new_wallet()
    text = issued(client, address).to_text()
    response = post_signature(client, text, "0x" + "ab" * 1500)  # e.g. a WebAuthn assertion
    assert response.status_code == 401
    assert chain_calls == [(address, 1500)]


# -- rate limits behind the proxy ----------------------------------------------------------------------------


@pytest.fixture
def proxied(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The same site and database, behind one trusted reverse proxy (TRUSTED_PROXY_HOPS=1)."""
    site = create_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], 9, TRUSTED_PROXY_HOPS=1))
    with site.app_context():
        limiter.reset()
    yield site
    with site.app_context():
        limiter.reset()
        db.engine.dispose()


PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def bad_sign_in(client: FlaskClient, token: str, forwarded_for: str | None) -> int:
    headers = {"X-CSRFToken": token, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
    return client.post("/sign-in", json={"message": "x", "signature": "0x00"}, headers=headers, environ_base=PROXY).status_code


def test_behind_the_proxy_one_clients_failures_do_not_lock_out_another(proxied: Flask) -> None:
    attacker, resident = proxied.test_client(), proxied.test_client()
    token = sign_in_data(attacker, X_Forwarded_For="203.0.113.7")["csrfToken"]
    statuses = [bad_sign_in(attacker, token, "203.0.113.7") for _ in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]

    address, key = new_wallet()
    resident_token = sign_in_data(resident)["csrfToken"]
    headers = {"X-CSRFToken": resident_token, "X-Forwarded-For": "198.51.100.23"}
    message = resident.post("/sign-in/message", json={"address": address}, headers=headers, environ_base=PROXY).get_json()["message"]
    answer = resident.post("/sign-in", json={"message": message, "signature": personal_sign(key, message)}, headers=headers, environ_base=PROXY)
    assert answer.status_code == 200, answer.get_json()


def test_behind_the_proxy_the_log_sees_the_real_client(proxied: Flask, app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="residents.requests")
    proxied.test_client().get("/sign-in", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, environ_base=PROXY)
    app.test_client().get("/sign-in", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=PROXY)
    seen = [getattr(record, "remote_addr", None) for record in caplog.records if record.name == "residents.requests"]
    assert seen == ["203.0.113.9", "10.0.0.2"], "behind one trusted proxy: the client; with none: the socket's peer"


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(app: Flask, client: FlaskClient) -> None:
    token = sign_in_data(client)["csrfToken"]
    statuses = [bad_sign_in(client, token, f"198.51.100.{n}") for n in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429], "a made-up X-Forwarded-For bought a fresh allowance"


def test_one_wallet_is_limited_per_client_while_others_go_on(client: FlaskClient) -> None:
    token = sign_in_data(client)["csrfToken"]
    victim, _ = new_wallet()
    hammered = [client.post("/sign-in/message", json={"address": victim}, headers={"X-CSRFToken": token}).status_code for _ in range(21)]
    assert hammered[-1] == 429
    other, _ = new_wallet()
    assert client.post("/sign-in/message", json={"address": other}, headers={"X-CSRFToken": token}).status_code == 200


def test_one_client_has_a_ceiling_across_wallets(client: FlaskClient) -> None:
    from app.auth.views import MESSAGE_CLIENT_LIMIT

    ceiling = int(MESSAGE_CLIENT_LIMIT.split("/")[0])
    token = sign_in_data(client)["csrfToken"]
    statuses = [client.post("/sign-in/message", json={"address": new_wallet()[0]}, headers={"X-CSRFToken": token}).status_code for _ in range(ceiling + 1)]
    assert statuses[:ceiling] == [200] * ceiling and statuses[ceiling] == 429


def test_signed_in_limits_count_per_account(app: Flask, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    first, second = create_account(), create_account()
    keys = []
    for account in (first, second):
        client = sign_in(app.test_client(), account)
        with client.session_transaction() as session:
            cookie = dict(session)
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
            from flask import session as live

            live.update(cookie)
            keys.append(rate_limit_key())
    assert keys == [f"account:{first.id}", f"account:{second.id}"], "two residents on one Wi-Fi share nothing"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        assert rate_limit_key() == "client:192.0.2.1"
