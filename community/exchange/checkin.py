"""The cryptography of check-in: rotating kiosk codes, the EIP-712 check-in message, and
server-signed passes. Pure functions of their inputs; the service decides what to accept."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from itsdangerous import BadSignature, URLSafeSerializer

from app.auth.siwe import MAX_SIGNATURE_BYTES, is_high_s

#: A kiosk code lives for one window; the current and the previous window are accepted, so a
#: code is useful for 10 to 20 seconds and a photo of it shared later is not.
KIOSK_WINDOW_SECONDS = 10

DOMAIN_NAME = "Nishikawa Digital Residents"
DOMAIN_VERSION = "1"

CHECK_IN_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "CheckIn": [
        {"name": "eventId", "type": "uint256"},
        {"name": "resident", "type": "address"},
        {"name": "kioskCode", "type": "bytes32"},
        {"name": "issuedAt", "type": "uint64"},
    ],
}


# ---------------------------------------------------------------------------------------------
# Kiosk codes


def _kiosk_key(secret_key: str) -> bytes:
    # A key of its own, so a kiosk code can never double as a session or CSRF signature.
    return hmac.new(secret_key.encode(), b"nishikawa/exchange/kiosk-code/v1", hashlib.sha256).digest()


def kiosk_window(unix_time: float) -> int:
    return int(unix_time // KIOSK_WINDOW_SECONDS)


def kiosk_code(secret_key: str, event_id: int, window: int) -> bytes:
    """Return the 32-byte code the kiosk of `event_id` shows during `window`."""
    message = event_id.to_bytes(32, "big") + window.to_bytes(8, "big")
    return hmac.new(_kiosk_key(secret_key), message, hashlib.sha256).digest()


def kiosk_code_is_fresh(secret_key: str, event_id: int, code: bytes, unix_time: float) -> bool:
    """True when `code` is the code of the current or the previous window at `unix_time`."""
    window = kiosk_window(unix_time)
    return any(hmac.compare_digest(code, kiosk_code(secret_key, event_id, w)) for w in (window, window - 1))


def parse_kiosk_code(text: str) -> bytes | None:
    """Return the code from its 0x-hex (or bare hex) form, or None when it is not 32 bytes of hex."""
    raw = text.strip().removeprefix("0x")
    if len(raw) != 64:
        return None
    try:
        return bytes.fromhex(raw)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# EIP-712 check-in message


@dataclass(frozen=True)
class CheckInMessage:
    event_id: int
    resident: str
    kiosk_code: bytes
    issued_at: int


def check_in_typed_data(message: CheckInMessage, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """Return the full EIP-712 typed data, as `eth_signTypedData_v4` takes it (JSON-ready)."""
    return {
        "types": CHECK_IN_TYPES,
        "primaryType": "CheckIn",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(verifying_contract),
        },
        "message": {
            "eventId": message.event_id,
            "resident": to_checksum_address(message.resident),
            "kioskCode": "0x" + message.kiosk_code.hex(),
            "issuedAt": message.issued_at,
        },
    }


def signature_bytes(signature: str) -> bytes | None:
    """Return the bytes of a 0x-hex signature, or None when it is not hex or absurdly long."""
    text = signature.strip()
    if not text.startswith(("0x", "0X")) or not 2 < len(text) <= 2 + 2 * MAX_SIGNATURE_BYTES:
        return None
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        return None


def check_in_digest(typed_data: dict[str, Any]) -> bytes:
    """The EIP-712 hash of the check-in, as a smart-contract wallet gets it (ERC-1271)."""
    signable = encode_typed_data(full_message=typed_data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def recover_check_in_signer(typed_data: dict[str, Any], signature: str | bytes) -> str | None:
    """Return the checksummed address whose key signed `typed_data`, or None when the signature
    is not a plain 65-byte r‖s‖v with low s (EIP-2) — the same rule as sign-in."""
    raw = signature_bytes(signature) if isinstance(signature, str) else signature
    if raw is None or len(raw) != 65 or raw[64] not in (0, 1, 27, 28) or is_high_s(raw):
        return None
    try:
        signable = encode_typed_data(full_message=typed_data)
        return to_checksum_address(Account.recover_message(signable, signature=raw))
    except (ValueError, TypeError, KeyError):
        return None


# ---------------------------------------------------------------------------------------------
# Passes


@dataclass(frozen=True)
class Pass:
    """What a resident's pass says: who, which event, until when (unix seconds)."""

    resident_number: int
    address: str
    event_id: int
    expires_at: int


def _pass_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="nishikawa/exchange/pass/v1")


def sign_pass(secret_key: str, issued: Pass) -> str:
    """Return the pass as a compact URL-safe token (HMAC-SHA1 by itsdangerous over JSON)."""
    payload = {"n": issued.resident_number, "a": issued.address, "e": issued.event_id, "x": issued.expires_at}
    return str(_pass_serializer(secret_key).dumps(payload))


def read_pass(secret_key: str, token: str) -> Pass | None:
    """Return the pass inside `token`, or None when its signature or shape is wrong."""
    try:
        payload = _pass_serializer(secret_key).loads(token.strip())
        return Pass(int(payload["n"]), to_checksum_address(payload["a"]), int(payload["e"]), int(payload["x"]))
    except (BadSignature, KeyError, TypeError, ValueError, json.JSONDecodeError):
        return None
