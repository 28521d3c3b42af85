"""A software passkey for the tests: a platform authenticator and the browser in one.

It answers the JSON options of `app.auth.webauthn` the way `navigator.credentials.create()` and
`.get()` do (PublicKeyCredential JSON with base64url fields), with real P-256 keys
(`cryptography`), CBOR attestation objects ("none" attestation), authenticator data and
clientDataJSON. Keyword options spoil one thing at a time to test the refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from webauthn.helpers import encode_cbor

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def qx(self) -> bytes:
        return self.private_key.public_key().public_numbers().x.to_bytes(32, "big")

    @property
    def qy(self) -> bytes:
        return self.private_key.public_key().public_numbers().y.to_bytes(32, "big")


@dataclass
class SoftAuthenticator:
    """Holds discoverable credentials, like a phone's passkey store, and answers for `origin`."""

    origin: str
    credentials: list[SoftCredential] = field(default_factory=list)
    #: Whether the counter grows with each use (many synced passkeys always send 0).
    counts_signatures: bool = True

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        flags: int = UP | UV,
        rp_id: str | None = None,
        type: str = "webauthn.create",
        ed25519: bool = False,
    ) -> dict[str, Any]:
        """Answer `navigator.credentials.create(options)`: a new P-256 credential, "none" attestation.

        `ed25519` makes an Ed25519 credential instead, as some security keys would.
        """
        rp = rp_id or options["rp"]["id"]
        credential = SoftCredential(os.urandom(32), ec.generate_private_key(ec.SECP256R1()), options["rp"]["id"], unb64url(options["user"]["id"]))
        self.credentials.append(credential)
        if ed25519:
            raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            cose_key = encode_cbor({1: 1, 3: -8, -1: 6, -2: raw})
        else:
            cose_key = encode_cbor({1: 2, 3: -7, -1: 1, -2: credential.qx, -3: credential.qy})
        attested = bytes(16) + len(credential.credential_id).to_bytes(2, "big") + credential.credential_id + cose_key
        auth_data = hashlib.sha256(rp.encode()).digest() + bytes([flags | AT]) + (0).to_bytes(4, "big") + attested
        client_data = self._client_data(type, options["challenge"], origin)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})),
                "transports": ["internal", "hybrid"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: SoftCredential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV,
        type: str = "webauthn.get",
        sign_count: int | None = None,
        high_s: bool | None = None,
    ) -> dict[str, Any]:
        """Answer `navigator.credentials.get(options)` with a credential for the RP (the first, or `credential`).

        `high_s` picks which of the two equivalent ECDSA signatures to send (None: whichever came out).
        """
        chosen = credential or next(c for c in self.credentials if c.rp_id == options["rpId"])
        if sign_count is not None:
            chosen.sign_count = sign_count
        elif self.counts_signatures:
            chosen.sign_count += 1
        auth_data = hashlib.sha256((rp_id or chosen.rp_id).encode()).digest() + bytes([flags]) + chosen.sign_count.to_bytes(4, "big")
        client_data = self._client_data(type, options["challenge"], origin)
        signature = chosen.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        if high_s is not None:
            r, s = decode_dss_signature(signature)
            if (s > P256_N // 2) != high_s:
                signature = encode_dss_signature(r, P256_N - s)
        return {
            "id": b64url(chosen.credential_id),
            "rawId": b64url(chosen.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
        }

    def _client_data(self, type: str, challenge: str, origin: str | None) -> bytes:
        # The order and spacing browsers use: {"type":…,"challenge":…,"origin":…,"crossOrigin":false}
        document = {"type": type, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(document, separators=(",", ":")).encode()

