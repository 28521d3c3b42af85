"""Passkey registration and sign-in ceremonies (app.auth.webauthn) against the real `webauthn`
library, answered by a software authenticator: what is accepted, and every refusal with its code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.auth.webauthn import (
    PasskeyError,
    RelyingParty,
    authentication_options,
    new_challenge,
    read_assertion,
    registration_options,
    verify_assertion,
    verify_registration,
)
from tests.soft_authenticator import UP, UV, SoftAuthenticator, b64url, unb64url

RP = RelyingParty.from_site_url("https://residents.nishikawa.example")
USER_HANDLE = bytes(range(16))


@pytest.fixture
def phone() -> SoftAuthenticator:
    return SoftAuthenticator(origin=RP.origin)


def register(phone: SoftAuthenticator, **spoil: Any) -> tuple[bytes, dict[str, Any]]:
    challenge = new_challenge()
    options = registration_options(RP, user_handle=USER_HANDLE, user_name="resident-7", display_name="山田 太郎", challenge=challenge)
    return challenge, phone.create(options, **spoil)


def refusal(call: Any) -> str:
    with pytest.raises(PasskeyError) as refused:
        call()
    assert str(refused.value), "every refusal says what to do"
    return refused.value.code


# -- the relying party --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "rp_id", "origin"),
    [
        ("https://residents.nishikawa.example", "residents.nishikawa.example", "https://residents.nishikawa.example"),
        ("https://Residents.Nishikawa.Example:443/", "residents.nishikawa.example", "https://residents.nishikawa.example"),
        ("https://residents.nishikawa.example:8443", "residents.nishikawa.example", "https://residents.nishikawa.example:8443"),
        ("http://localhost:5000", "localhost", "http://localhost:5000"),
    ],
)
def test_rp_id_and_origin_come_from_site_url(site_url: str, rp_id: str, origin: str) -> None:
    rp = RelyingParty.from_site_url(site_url)
    assert (rp.id, rp.origin) == (rp_id, origin)


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:5000", "https://[::1]:5000", "http://residents.nishikawa.example", "ftp://x.example"])
def test_site_urls_no_browser_accepts_for_passkeys_are_refused(site_url: str) -> None:
    with pytest.raises(PasskeyError, match="SITE_URL") as refused:
        RelyingParty.from_site_url(site_url)
    assert refused.value.code == "site_url"


# -- registration -------------------------------------------------------------------------------


def test_registration_options_ask_for_a_discoverable_p256_passkey_with_user_verification() -> None:
    challenge = new_challenge()
    options = registration_options(
        RP, user_handle=USER_HANDLE, user_name="resident-7", display_name="山田 太郎", challenge=challenge, existing_credential_ids=[b"old-phone"]
    )
    assert options["rp"] == {"id": RP.id, "name": "Nishikawa Digital Residents"}
    assert unb64url(options["challenge"]) == challenge and len(challenge) == 32
    assert unb64url(options["user"]["id"]) == USER_HANDLE
    assert options["user"]["displayName"] == "山田 太郎"
    assert options["pubKeyCredParams"] == [{"type": "public-key", "alg": -7}]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert [unb64url(c["id"]) for c in options["excludeCredentials"]] == [b"old-phone"]


def test_a_registered_passkey_gives_its_credential_and_the_p256_key_for_the_account(phone: SoftAuthenticator) -> None:
    challenge, response = register(phone)
    passkey = verify_registration(RP, response, expected_challenge=challenge)
    made = phone.credentials[0]
    assert passkey.credential_id == made.credential_id
    assert (passkey.qx, passkey.qy) == (made.qx, made.qy)
    assert passkey.sign_count == 0
    assert passkey.transports == ("internal", "hybrid")
    # The same answer as a JSON string (what a view receives) verifies the same way.
    assert verify_registration(RP, json.dumps(response), expected_challenge=challenge).public_key == passkey.public_key


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        ({"origin": "https://phishing.example"}, "origin_mismatch"),
        ({"rp_id": "phishing.example"}, "rp_id_mismatch"),
        ({"flags": UP}, "user_not_verified"),
        ({"type": "webauthn.get"}, "wrong_type"),
        ({"ed25519": True}, "unsupported_key"),
    ],
)
def test_registration_refusals(phone: SoftAuthenticator, spoil: dict[str, Any], code: str) -> None:
    challenge, response = register(phone, **spoil)
    assert refusal(lambda: verify_registration(RP, response, expected_challenge=challenge)) == code


def test_registration_for_another_challenge_is_refused(phone: SoftAuthenticator) -> None:
    _, response = register(phone)
    assert refusal(lambda: verify_registration(RP, response, expected_challenge=new_challenge())) == "challenge_mismatch"


@pytest.mark.parametrize("response", ["not json", "[]", {"id": "x"}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "%%%"}}])
def test_malformed_registration_answers_are_refused_not_crashed(response: Any) -> None:
    assert refusal(lambda: verify_registration(RP, response, expected_challenge=new_challenge())) == "malformed"


def test_a_user_handle_must_be_1_to_64_bytes() -> None:
    with pytest.raises(PasskeyError):
        registration_options(RP, user_handle=bytes(65), user_name="x", display_name="x", challenge=new_challenge())


# -- signing in ---------------------------------------------------------------------------------


@pytest.fixture
def registered(phone: SoftAuthenticator) -> Any:
    challenge, response = register(phone)
    return verify_registration(RP, response, expected_challenge=challenge)


def sign_in(phone: SoftAuthenticator, challenge: bytes | None = None, **spoil: Any) -> tuple[bytes, dict[str, Any]]:
    challenge = challenge or new_challenge()
    return challenge, phone.get(authentication_options(RP, challenge=challenge), **spoil)


def test_authentication_options_leave_the_choice_to_the_browser_and_require_user_verification() -> None:
    challenge = new_challenge()
    options = authentication_options(RP, challenge=challenge)
    assert options["rpId"] == RP.id
    assert unb64url(options["challenge"]) == challenge
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert [unb64url(c["id"]) for c in authentication_options(RP, challenge=challenge, credential_ids=[b"a", b"b"])["allowCredentials"]] == [b"a", b"b"]


def test_a_discoverable_passkey_signs_in_with_its_credential_and_user_handle(phone: SoftAuthenticator, registered: Any) -> None:
    challenge, response = sign_in(phone)
    answer = read_assertion(response)
    assert answer.credential_id == registered.credential_id
    assert answer.user_handle == USER_HANDLE
    verified = verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=registered.sign_count)
    assert verified.credential_id == registered.credential_id
    assert verified.sign_count == 1
    assert verified.user_verified


def test_a_passkey_naming_another_account_is_refused(phone: SoftAuthenticator, registered: Any) -> None:
    challenge, response = sign_in(phone)
    assert refusal(
        lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0, user_handle=b"another account")
    ) == "credential_mismatch"
    verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0, user_handle=USER_HANDLE)


def test_a_high_s_signature_is_the_same_signature_for_the_library(phone: SoftAuthenticator, registered: Any) -> None:
    for high_s in (True, False):
        challenge, response = sign_in(phone, high_s=high_s)
        verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=phone.credentials[0].sign_count - 1)


def test_a_replayed_assertion_is_refused_for_a_new_challenge_and_by_the_sign_count(phone: SoftAuthenticator, registered: Any) -> None:
    challenge, response = sign_in(phone)
    first = verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0)
    # The site used up `challenge`; the next sign-in has a fresh one, which the old answer does not carry.
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=new_challenge(), credential_public_key=registered.public_key, stored_sign_count=first.sign_count)) == "challenge_mismatch"
    # Even checked against its own (stolen) challenge, the stored count has moved past it.
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=first.sign_count)) == "sign_count"


def test_a_sign_count_going_backwards_is_refused(phone: SoftAuthenticator, registered: Any) -> None:
    challenge, response = sign_in(phone, sign_count=3)
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=5)) == "sign_count"


def test_a_passkey_that_keeps_no_counter_signs_in_every_time(registered: Any, phone: SoftAuthenticator) -> None:
    phone.counts_signatures = False  # synced passkeys send 0 every time
    for _ in range(2):
        challenge, response = sign_in(phone)
        assert verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0).sign_count == 0


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        ({"origin": "https://residents.nishikawa.example.phishing.example"}, "origin_mismatch"),
        ({"origin": "http://residents.nishikawa.example"}, "origin_mismatch"),
        ({"rp_id": "nishikawa.example"}, "rp_id_mismatch"),
        ({"flags": UP}, "user_not_verified"),
        ({"flags": UV}, "user_not_verified"),
        ({"type": "webauthn.create"}, "wrong_type"),
    ],
)
def test_sign_in_refusals(phone: SoftAuthenticator, registered: Any, spoil: dict[str, Any], code: str) -> None:
    challenge, response = sign_in(phone, **spoil)
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0)) == code


def test_an_assertion_checked_against_another_passkeys_key_is_refused(phone: SoftAuthenticator, registered: Any) -> None:
    other = SoftAuthenticator(origin=RP.origin)
    _, other_response = register(other)
    other_key = verify_registration(RP, other_response, expected_challenge=json_challenge(other_response)).public_key
    challenge, response = sign_in(phone)
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=other_key, stored_sign_count=0)) == "invalid_signature"


def test_a_tampered_assertion_is_refused(phone: SoftAuthenticator, registered: Any) -> None:
    challenge, response = sign_in(phone)
    auth_data = bytearray(unb64url(response["response"]["authenticatorData"]))
    auth_data[-1] ^= 0x01  # another sign count than the one signed
    response["response"]["authenticatorData"] = b64url(bytes(auth_data))
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=registered.public_key, stored_sign_count=0)) == "invalid_signature"


@pytest.mark.parametrize("response", ["{", {"id": "AA"}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "AA", "authenticatorData": "AA", "signature": 5}}])
def test_malformed_assertions_are_refused_not_crashed(registered: Any, response: Any) -> None:
    assert refusal(lambda: read_assertion(response)) == "malformed"
    assert refusal(lambda: verify_assertion(RP, response, expected_challenge=new_challenge(), credential_public_key=registered.public_key, stored_sign_count=0)) == "malformed"


def json_challenge(response: dict[str, Any]) -> bytes:
    return unb64url(json.loads(unb64url(response["response"]["clientDataJSON"]))["challenge"])
