"""What a passkey signs for a resident's account, and the signature bytes the account reads.

A `ResidentAccount` answers ERC-1271 `isValidSignature(hash, signature)` through OpenZeppelin's
ERC7739: the passkey never signs an application's `hash` itself, but that hash nested in the
account's own EIP-712 domain ("Nishikawa Resident Account", version "1", the chain, the account's
address), so an assertion cannot be replayed to another account, chain or application:

- personal sign: `hash` is an EIP-191 message hash; the passkey signs
  `keccak256(0x1901 ‖ accountDomainSeparator ‖ keccak256(PERSONAL_SIGN_TYPEHASH ‖ hash))`, and the
  signature is the WebAuthn assertion alone.
- typed data: `hash` is `keccak256(0x1901 ‖ appDomainSeparator ‖ contentsHash)`; the passkey signs
  the `TypedDataSign` struct (the contents plus the account's domain fields) in the app's domain,
  and the signature is `assertion ‖ appDomainSeparator ‖ contentsHash ‖ contentsType ‖ uint16(len)`.

The signed hash is the WebAuthn challenge, so one assertion verifies off-chain with
`app.auth.webauthn.verify_assertion(expected_challenge=signed_hash)` and on chain with
`isValidSignature`. Nothing here calls the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from app.chain.errors import ChainError

#: The EIP-712 domain of every resident account (ResidentAccount.DOMAIN_NAME / DOMAIN_VERSION).
ACCOUNT_DOMAIN_NAME = "Nishikawa Resident Account"
ACCOUNT_DOMAIN_VERSION = "1"

_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_PERSONAL_SIGN_TYPEHASH = keccak(text="PersonalSign(bytes prefixed)")
#: Order of the P-256 group; OpenZeppelin's P256 accepts only s <= N / 2 (no malleable twin).
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_CHALLENGE_KEY = b'"challenge":"'
_TYPE_GET = b'"type":"webauthn.get"'


class PasskeySignatureMalformed(ChainError):
    """An assertion cannot be made into the account's signature bytes."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"The passkey's answer cannot be checked by the resident's account: {problem}. Ask the resident to sign again.")


# -- hashes --------------------------------------------------------------------------------------


def account_domain_separator(account: str, chain_id: int) -> bytes:
    """The EIP-712 domain separator of the resident account at `account` on chain `chain_id`."""
    return keccak(
        _DOMAIN_TYPEHASH
        + keccak(text=ACCOUNT_DOMAIN_NAME)
        + keccak(text=ACCOUNT_DOMAIN_VERSION)
        + abi_encode(["uint256", "address"], [chain_id, to_checksum_address(account)])
    )


def message_hash(message: str | bytes) -> bytes:
    """EIP-191 (`personal_sign`) hash of a message: the `hash` an application asks the account about."""
    data = message.encode() if isinstance(message, str) else bytes(message)
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def personal_sign_hash(account: str, chain_id: int, hash32: bytes) -> bytes:
    """The hash the passkey signs so that `isValidSignature(hash32, assertion)` holds on `account`."""
    _require_hash(hash32)
    struct_hash = keccak(_PERSONAL_SIGN_TYPEHASH + hash32)
    return keccak(b"\x19\x01" + account_domain_separator(account, chain_id) + struct_hash)


@dataclass(frozen=True)
class TypedContents:
    """EIP-712 contents an application wants signed: its domain separator, the contents' struct
    hash and their full type (`encodeType`, e.g. "Ballot(uint256 proposal,uint256 card,uint16[] choices,uint64 signedAt)")."""

    app_domain_separator: bytes
    contents_hash: bytes
    contents_type: str

    @property
    def hash(self) -> bytes:
        """The EIP-712 hash the application checks: keccak256(0x1901 ‖ domain separator ‖ contents hash)."""
        return keccak(b"\x19\x01" + self.app_domain_separator + self.contents_hash)

    @property
    def contents_name(self) -> str:
        name = self.contents_type.split("(", 1)[0]
        if not name or not self.contents_type.endswith(")") or any(c in name for c in " ,)\x00"):
            raise PasskeySignatureMalformed(f"{self.contents_type!r} is not an EIP-712 type such as 'Ballot(uint256 proposal,…)'")
        return name


def typed_data_sign_hash(account: str, chain_id: int, contents: TypedContents) -> bytes:
    """The hash the passkey signs so that `isValidSignature(contents.hash, nest_typed_data_signature(…))` holds."""
    _require_hash(contents.app_domain_separator)
    _require_hash(contents.contents_hash)
    typehash = keccak(
        text=f"TypedDataSign({contents.contents_name} contents,string name,string version,uint256 chainId,"
        f"address verifyingContract,bytes32 salt){contents.contents_type}"
    )
    account_fields = (
        keccak(text=ACCOUNT_DOMAIN_NAME)
        + keccak(text=ACCOUNT_DOMAIN_VERSION)
        + abi_encode(["uint256", "address", "bytes32"], [chain_id, to_checksum_address(account), bytes(32)])
    )
    struct_hash = keccak(typehash + contents.contents_hash + account_fields)
    return keccak(b"\x19\x01" + contents.app_domain_separator + struct_hash)


def nest_typed_data_signature(webauthn_signature: bytes, contents: TypedContents) -> bytes:
    """The ERC-7739 typed-data signature: the account's WebAuthn signature and what it nests."""
    descriptor = contents.contents_type.encode()
    if len(descriptor) > 0xFFFF:
        raise PasskeySignatureMalformed("the contents type is longer than 65,535 bytes")
    _ = contents.contents_name  # refuse a descriptor the account would refuse
    return webauthn_signature + contents.app_domain_separator + contents.contents_hash + descriptor + len(descriptor).to_bytes(2, "big")


# -- the assertion as the account reads it ------------------------------------------------------


def encode_webauthn_signature(authenticator_data: bytes, client_data_json: bytes, der_signature: bytes) -> bytes:
    """Encode an assertion as the abi-encoded `WebAuthn.WebAuthnAuth` that the account verifies.

    `s` is normalized to the low half (N - s), which is the same ECDSA signature: browsers and
    authenticators produce either, and OpenZeppelin refuses the high one.
    """
    try:
        r, s = decode_dss_signature(der_signature)
    except ValueError:
        raise PasskeySignatureMalformed("its signature is not a DER-encoded ECDSA signature") from None
    if not (0 < r < P256_N and 0 < s < P256_N):
        raise PasskeySignatureMalformed("its signature is out of range for P-256")
    if s > P256_N // 2:
        s = P256_N - s
    if len(authenticator_data) < 37:
        raise PasskeySignatureMalformed("its authenticator data is shorter than 37 bytes")
    challenge_index = client_data_json.find(_CHALLENGE_KEY)
    type_index = client_data_json.find(_TYPE_GET)
    if challenge_index < 0 or type_index < 0:
        raise PasskeySignatureMalformed('its client data has no "type":"webauthn.get" or no challenge')
    try:
        text = client_data_json.decode("utf-8")
    except UnicodeDecodeError:
        raise PasskeySignatureMalformed("its client data is not UTF-8 text") from None
    return abi_encode(
        ["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"],
        [r.to_bytes(32, "big"), s.to_bytes(32, "big"), challenge_index, type_index, authenticator_data, text],
    )


def _require_hash(value: bytes) -> None:
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise ValueError("an EIP-712 hash or domain separator is exactly 32 bytes")
