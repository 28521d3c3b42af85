"""Passkeys (WebAuthn) for residents without a wallet: the registration and assertion ceremonies,
thin over Duo Labs' `webauthn` library, which does every check.

The functions take and return plain values, so a view or a service calls them without a request:
the caller keeps each challenge (random, single-use and short-lived, stored like a sign-in nonce
and deleted when used) and the credential's public key and sign count, and passes them back in.

Two kinds of challenge (the design of issue 15):

- **Signing in** uses `new_challenge()`: a discoverable passkey names its credential only in
  the answer, so the assertion is checked off-chain against the credential registered for it,
  with no chain call.
- **Signing data** (a kiosk check-in, a request to move the card, a ballot) uses the data's
  ERC-7739 hash for the resident's account (`app.chain.erc7739`) as the challenge: the same
  assertion then verifies here and, encoded by `app.chain.erc7739.encode_webauthn_signature`,
  through the account's `isValidSignature` on chain.

Only P-256 passkeys (COSE ES256) are offered and accepted, because the resident's account
contract verifies P-256 on chain; user verification (biometrics or PIN) is required throughout.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn as py_webauthn
from webauthn.helpers import (
    base64url_to_bytes,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
)
from webauthn.helpers.cose import COSECRV, COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import DecodedEC2PublicKey, decode_credential_public_key
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    ClientDataType,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

#: How long a ceremony may wait for the person (the browser's timeout, and the challenge's life).
CHALLENGE_LIFETIME = timedelta(minutes=5)
#: Random bytes in a sign-in or registration challenge (WebAuthn asks for at least 16).
CHALLENGE_BYTES = 32
#: The only algorithm offered: ES256 (ECDSA on P-256 with SHA-256), what the account verifies.
_ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256]

# Anything a malformed answer from a browser can make the library raise while parsing it.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)


class PasskeyError(Exception):
    """A passkey ceremony was refused. `code` is stable, for views to map to a translated text;
    the message (English, for logs and the command line) says what happened and what to do next.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- the relying party ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RelyingParty:
    """The site as WebAuthn sees it: its RP id (the host of SITE_URL) and its exact origin."""

    id: str
    origin: str
    name: str

    @classmethod
    def from_site_url(cls, site_url: str, name: str = "Nishikawa Digital Residents") -> RelyingParty:
        """Derive RP id and origin from SITE_URL; refuse what no browser would accept."""
        parts = urlsplit(site_url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise PasskeyError("site_url", f"Setting SITE_URL: {site_url!r} is not an http(s) URL. Set it to the site's public URL.")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            raise PasskeyError(
                "site_url",
                f"Setting SITE_URL: passkeys need a domain name, but {site_url} names the IP address {host}, "
                "which browsers refuse as a WebAuthn RP id. Use the site's domain (locally http://localhost:PORT).",
            )
        if parts.scheme == "http" and host != "localhost" and not host.endswith(".localhost"):
            raise PasskeyError(
                "site_url",
                f"Setting SITE_URL: browsers offer passkeys only over https (or on localhost), not at {site_url}. Serve the site over https.",
            )
        port = f":{parts.port}" if parts.port and parts.port != {"http": 80, "https": 443}[parts.scheme] else ""
        return cls(id=host, origin=f"{parts.scheme}://{host}{port}", name=name)


def new_challenge() -> bytes:
    """Return a fresh random challenge for signing in or registering; the caller stores it for one use."""
    return secrets.token_bytes(CHALLENGE_BYTES)


# -- registration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredPasskey:
    """A verified new passkey: what to store for it, and its P-256 key for the resident's account."""

    credential_id: bytes
    #: The COSE public key, as `verify_assertion` wants it back.
    public_key: bytes
    sign_count: int
    #: The key's affine coordinates (32 bytes each): the signer of the resident's account.
    qx: bytes
    qy: bytes
    #: The passkey may be synced to the person's other devices (e.g. iCloud Keychain, Google Password Manager).
    multi_device: bool
    backed_up: bool
    #: How the browser can reach the authenticator ("internal", "hybrid", "usb", …), for later assertions.
    transports: tuple[str, ...]


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    challenge: bytes,
    existing_credential_ids: Sequence[bytes] = (),
) -> dict[str, Any]:
    """Return the JSON for `navigator.credentials.create()`: a discoverable P-256 passkey with user verification.

    `user_handle` is a random id of the site's account (never an address or a name; up to 64
    bytes). `existing_credential_ids` are the account's passkeys already registered, so an
    authenticator that holds one of them does not make a second.
    """
    if not 1 <= len(user_handle) <= 64:
        raise PasskeyError("bad_request", "A WebAuthn user handle is 1 to 64 random bytes; generate one per account and keep it.")
    options = py_webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=credential_id) for credential_id in existing_credential_ids],
        supported_pub_key_algs=_ALGORITHMS,
    )
    document: dict[str, Any] = json.loads(py_webauthn.options_to_json(options))
    return document


def verify_registration(rp: RelyingParty, response: str | Mapping[str, Any], *, expected_challenge: bytes) -> RegisteredPasskey:
    """Check the browser's answer to `registration_options` and return the new passkey to store."""
    try:
        verified = py_webauthn.verify_registration_response(
            credential=_as_json(response),
            expected_challenge=expected_challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_presence=True,
            require_user_verification=True,
            supported_pub_key_algs=_ALGORITHMS,
        )
    except _MALFORMED:
        raise _refusal(rp, response, expected_challenge, ClientDataType.WEBAUTHN_CREATE) from None
    qx, qy = p256_coordinates(verified.credential_public_key)
    return RegisteredPasskey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        qx=qx,
        qy=qy,
        multi_device=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        transports=_transports(response),
    )


def p256_coordinates(public_key: bytes) -> tuple[bytes, bytes]:
    """Return the (x, y) coordinates, 32 bytes each, of a COSE ES256 public key."""
    try:
        decoded = decode_credential_public_key(public_key)
    except _MALFORMED:
        raise PasskeyError("unsupported_key", "The passkey's public key could not be read. Register the passkey again.") from None
    if not isinstance(decoded, DecodedEC2PublicKey) or decoded.crv != COSECRV.P256 or len(decoded.x) != 32 or len(decoded.y) != 32:
        raise PasskeyError("unsupported_key", "This passkey does not use a P-256 key, which the resident's account needs. Use another passkey or device.")
    return decoded.x, decoded.y


# -- assertions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasskeyAssertion:
    """The parts of an assertion, read before it is verified: which credential answered, and the
    signed bytes (for `app.chain.erc7739.encode_webauthn_signature`)."""

    credential_id: bytes
    #: The account's user handle, which a discoverable passkey returns; None from some security keys.
    user_handle: bytes | None
    authenticator_data: bytes
    client_data_json: bytes
    #: The DER-encoded ECDSA signature over authenticator_data ‖ sha256(client_data_json).
    signature: bytes


@dataclass(frozen=True)
class VerifiedAssertion:
    credential_id: bytes
    #: Store this as the credential's sign count (authenticators that keep no counter send 0).
    sign_count: int
    user_verified: bool
    backed_up: bool


def authentication_options(rp: RelyingParty, *, challenge: bytes, credential_ids: Sequence[bytes] = ()) -> dict[str, Any]:
    """Return the JSON for `navigator.credentials.get()` with user verification required.

    With no `credential_ids` (signing in) the browser offers every passkey it has for this site;
    for signing data, pass the resident's credentials so only theirs are offered.
    """
    options = py_webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        allow_credentials=[PublicKeyCredentialDescriptor(id=credential_id) for credential_id in credential_ids],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    document: dict[str, Any] = json.loads(py_webauthn.options_to_json(options))
    return document


def read_assertion(response: str | Mapping[str, Any]) -> PasskeyAssertion:
    """Read which credential answered (to look it up) and the signed parts, without verifying anything."""
    try:
        credential = parse_authentication_credential_json(_as_json(response))
    except _MALFORMED:
        raise PasskeyError("malformed", "The passkey's answer could not be read. Try again; if it keeps failing, reload the page.") from None
    answer = credential.response
    return PasskeyAssertion(
        credential_id=credential.raw_id,
        user_handle=answer.user_handle,
        authenticator_data=answer.authenticator_data,
        client_data_json=answer.client_data_json,
        signature=answer.signature,
    )


def verify_assertion(
    rp: RelyingParty,
    response: str | Mapping[str, Any],
    *,
    expected_challenge: bytes,
    credential_public_key: bytes,
    stored_sign_count: int,
    user_handle: bytes | None = None,
) -> VerifiedAssertion:
    """Check an assertion against the stored credential: challenge, origin, RP id, user presence
    and verification, signature, and a sign count that must grow (unless the authenticator keeps none).

    The caller looked the credential up by `read_assertion(response).credential_id` and must
    store the returned `sign_count`, and must have used up `expected_challenge`. With
    `user_handle` (the handle of the account that owns the credential), a passkey that names
    another account is refused (WebAuthn §7.2, step 6).
    """
    if user_handle is not None:
        named = read_assertion(response).user_handle
        if named is not None and named != user_handle:
            raise PasskeyError("credential_mismatch", "This passkey belongs to another account on this site. Choose the passkey of your own account.")
    try:
        verified = py_webauthn.verify_authentication_response(
            credential=_as_json(response),
            expected_challenge=expected_challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=credential_public_key,
            credential_current_sign_count=stored_sign_count,
            require_user_verification=True,
        )
    except _MALFORMED:
        raise _refusal(rp, response, expected_challenge, ClientDataType.WEBAUTHN_GET, stored_sign_count) from None
    return VerifiedAssertion(
        credential_id=verified.credential_id,
        sign_count=verified.new_sign_count,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
    )


# -- helpers -------------------------------------------------------------------------------------


def _as_json(response: str | Mapping[str, Any]) -> str | dict[str, Any]:
    return response if isinstance(response, str) else dict(response)


def _transports(response: str | Mapping[str, Any]) -> tuple[str, ...]:
    document = json.loads(response) if isinstance(response, str) else response
    answer = document.get("response") if isinstance(document, Mapping) else None
    listed = answer.get("transports") if isinstance(answer, Mapping) else None
    known = {transport.value for transport in AuthenticatorTransport}
    return tuple(t for t in listed if t in known) if isinstance(listed, list) else ()


def _refusal(
    rp: RelyingParty,
    response: str | Mapping[str, Any],
    expected_challenge: bytes,
    expected_type: ClientDataType,
    stored_sign_count: int | None = None,
) -> PasskeyError:
    """Name why the library refused: the library decides, this only explains, in its order of checks."""
    ceremony = "registration" if expected_type is ClientDataType.WEBAUTHN_CREATE else "sign-in"
    try:
        document = json.loads(response) if isinstance(response, str) else dict(response)
        answer = document["response"]
        client_data = parse_client_data_json(base64url_to_bytes(answer["clientDataJSON"]))
        if expected_type is ClientDataType.WEBAUTHN_CREATE:
            auth_data = parse_attestation_object(base64url_to_bytes(answer["attestationObject"])).auth_data
        else:
            auth_data = parse_authenticator_data(base64url_to_bytes(answer["authenticatorData"]))
    except _MALFORMED:
        return PasskeyError("malformed", f"The passkey's answer could not be read. Start the {ceremony} again.")
    if client_data.type != expected_type:
        return PasskeyError("wrong_type", f"The passkey answered a different request ({client_data.type}). Start the {ceremony} again.")
    if client_data.challenge != expected_challenge:
        return PasskeyError("challenge_mismatch", f"This passkey answer is for another or an earlier request. Start the {ceremony} again.")
    if client_data.origin != rp.origin:
        return PasskeyError("origin_mismatch", f"The passkey was used on another site ({client_data.origin}), not {rp.origin}. Use it on this site.")
    if auth_data.rp_id_hash != hashlib.sha256(rp.id.encode()).digest():
        return PasskeyError("rp_id_mismatch", f"This passkey belongs to another site, not {rp.id}. Choose a passkey made for this site.")
    if not auth_data.flags.up or not auth_data.flags.uv:
        return PasskeyError("user_not_verified", "The device did not confirm it was you (fingerprint, face or PIN). Try again and confirm on the device.")
    if stored_sign_count is not None and (auth_data.sign_count or stored_sign_count) and auth_data.sign_count <= stored_sign_count:
        return PasskeyError(
            "sign_count",
            f"The passkey's use counter did not move forward ({auth_data.sign_count}, after {stored_sign_count}): it may have been copied. "
            "Sign in with another passkey and remove this one.",
        )
    if auth_data.flags.bs and not auth_data.flags.be:
        return PasskeyError("malformed", f"The passkey's answer contradicts itself (backed up but not backup-eligible). Start the {ceremony} again.")
    attested = auth_data.attested_credential_data
    if attested is not None:
        try:
            algorithm = decode_credential_public_key(attested.credential_public_key).alg
        except _MALFORMED:
            algorithm = None
        if algorithm not in _ALGORITHMS:
            return PasskeyError("unsupported_key", "This passkey does not use a P-256 key, which the resident's account needs. Use another passkey or device.")
    return PasskeyError("invalid_signature", f"The passkey's signature is not valid for this account. Start the {ceremony} again.")
