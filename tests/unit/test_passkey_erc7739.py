"""The ERC-7739 hashes a resident account expects and its signature bytes (app.chain.erc7739),
checked against eth-account's own EIP-712 and EIP-191 encoders, and the off-chain account
address (app.chain.passkey_accounts)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from eth_abi import decode as abi_decode
from eth_account.messages import SignableMessage, encode_defunct, encode_typed_data
from eth_utils import keccak

from app.chain.erc7739 import (
    P256_N,
    PasskeySignatureMalformed,
    TypedContents,
    account_domain_separator,
    encode_webauthn_signature,
    message_hash,
    nest_typed_data_signature,
    personal_sign_hash,
    typed_data_sign_hash,
)
from app.chain.passkey_accounts import InvalidPasskeyKey, PasskeyKey, clone_runtime_code, predict_account_address

ACCOUNT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CARD = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
CHAIN_ID = 31337

DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
BALLOT_FIELDS = [
    {"name": "proposal", "type": "uint256"},
    {"name": "card", "type": "uint256"},
    {"name": "choices", "type": "uint16[]"},
    {"name": "signedAt", "type": "uint64"},
]
BALLOT_TYPE = "Ballot(uint256 proposal,uint256 card,uint16[] choices,uint64 signedAt)"
APP_DOMAIN = {"name": "Nishikawa Digital Residents", "version": "1", "chainId": CHAIN_ID, "verifyingContract": CARD}
ACCOUNT_DOMAIN = {"name": "Nishikawa Resident Account", "version": "1", "chainId": CHAIN_ID, "verifyingContract": ACCOUNT}
BALLOT = {"proposal": 7, "card": 1, "choices": [2, 5], "signedAt": 1775000000}


def eip712_hash(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


def typed(domain: dict[str, Any], types: dict[str, Any], primary: str, message: dict[str, Any]) -> SignableMessage:
    return encode_typed_data(full_message={"types": {"EIP712Domain": DOMAIN_FIELDS, **types}, "primaryType": primary, "domain": domain, "message": message})


def ballot_contents() -> TypedContents:
    reference = typed(APP_DOMAIN, {"Ballot": BALLOT_FIELDS}, "Ballot", BALLOT)
    return TypedContents(app_domain_separator=reference.header, contents_hash=reference.body, contents_type=BALLOT_TYPE)


def test_the_account_domain_separator_is_eip712s() -> None:
    reference = typed(ACCOUNT_DOMAIN, {"PersonalSign": [{"name": "prefixed", "type": "bytes"}]}, "PersonalSign", {"prefixed": b""})
    assert account_domain_separator(ACCOUNT, CHAIN_ID) == reference.header


def test_message_hash_is_eip191() -> None:
    for message in ("西川町 check-in", b"\x00\x01binary"):
        signable = encode_defunct(text=message) if isinstance(message, str) else encode_defunct(primitive=message)
        assert message_hash(message) == keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_personal_sign_hash_nests_the_message_hash_in_the_accounts_domain() -> None:
    text = "西川町 check-in, event 12"
    prefixed = b"\x19Ethereum Signed Message:\n" + str(len(text.encode())).encode() + text.encode()
    reference = typed(ACCOUNT_DOMAIN, {"PersonalSign": [{"name": "prefixed", "type": "bytes"}]}, "PersonalSign", {"prefixed": prefixed})
    assert personal_sign_hash(ACCOUNT, CHAIN_ID, message_hash(text)) == eip712_hash(reference)
    assert personal_sign_hash(ACCOUNT, CHAIN_ID + 1, message_hash(text)) != eip712_hash(reference)


def test_typed_data_sign_hash_nests_the_contents_and_the_accounts_domain_in_the_apps_domain() -> None:
    contents = ballot_contents()
    assert contents.hash == eip712_hash(typed(APP_DOMAIN, {"Ballot": BALLOT_FIELDS}, "Ballot", BALLOT))
    nested = typed(
        APP_DOMAIN,
        {
            "TypedDataSign": [
                {"name": "contents", "type": "Ballot"},
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
                {"name": "salt", "type": "bytes32"},
            ],
            "Ballot": BALLOT_FIELDS,
        },
        "TypedDataSign",
        {"contents": BALLOT, "name": "Nishikawa Resident Account", "version": "1", "chainId": CHAIN_ID, "verifyingContract": ACCOUNT, "salt": bytes(32)},
    )
    assert typed_data_sign_hash(ACCOUNT, CHAIN_ID, contents) == eip712_hash(nested)


def test_a_nested_typed_data_signature_ends_with_what_it_nests() -> None:
    contents = ballot_contents()
    nested = nest_typed_data_signature(b"assertion", contents)
    assert nested == b"assertion" + contents.app_domain_separator + contents.contents_hash + BALLOT_TYPE.encode() + len(BALLOT_TYPE).to_bytes(2, "big")


@pytest.mark.parametrize("contents_type", ["", "Ballot", "(uint256 a)", "Bad Name(uint256 a)"])
def test_a_contents_type_the_account_would_refuse_is_refused_here(contents_type: str) -> None:
    contents = TypedContents(bytes(32), bytes(32), contents_type)
    with pytest.raises(PasskeySignatureMalformed):
        nest_typed_data_signature(b"assertion", contents)


# -- the assertion as the account reads it -------------------------------------------------------

AUTH_DATA = hashlib.sha256(b"localhost").digest() + b"\x05" + (7).to_bytes(4, "big")
CLIENT_DATA = b'{"type":"webauthn.get","challenge":"3q2-7w","origin":"http://localhost:5000","crossOrigin":false}'


def der_signature(high_s: bool) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(AUTH_DATA + hashlib.sha256(CLIENT_DATA).digest(), ec.ECDSA(hashes.SHA256())))
    if (s > P256_N // 2) != high_s:
        s = P256_N - s
    return encode_dss_signature(r, s)


@pytest.mark.parametrize("high_s", [True, False])
def test_an_assertion_encodes_as_webauthn_auth_with_low_s(high_s: bool) -> None:
    der = der_signature(high_s)
    r, s = decode_dss_signature(der)
    encoded = encode_webauthn_signature(AUTH_DATA, CLIENT_DATA, der)
    fields = abi_decode(["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"], encoded)
    assert int.from_bytes(fields[0], "big") == r
    assert int.from_bytes(fields[1], "big") == (P256_N - s if high_s else s) <= P256_N // 2
    assert CLIENT_DATA[fields[2] :].startswith(b'"challenge":"3q2-7w"')
    assert CLIENT_DATA[fields[3] :].startswith(b'"type":"webauthn.get"')
    assert (fields[4], fields[5]) == (AUTH_DATA, CLIENT_DATA.decode())
    # The offsets of the two dynamic fields sit at 0x80 and 0xa0, where WebAuthn.tryDecodeAuth reads them.
    assert int.from_bytes(encoded[0x80:0xA0], "big") == 0xC0


@pytest.mark.parametrize(
    ("auth_data", "client_data", "der"),
    [
        (AUTH_DATA, CLIENT_DATA, b"\x30\x02junk"),
        (AUTH_DATA[:36], CLIENT_DATA, None),
        (AUTH_DATA, CLIENT_DATA.replace(b"webauthn.get", b"webauthn.create"), None),
        (AUTH_DATA, b'{"type":"webauthn.get"}', None),
        (AUTH_DATA, CLIENT_DATA + b"\xff", None),
    ],
)
def test_what_the_account_cannot_check_is_refused_before_the_chain(auth_data: bytes, client_data: bytes, der: bytes | None) -> None:
    with pytest.raises(PasskeySignatureMalformed, match="sign again"):
        encode_webauthn_signature(auth_data, client_data, der or der_signature(False))


# -- addresses ------------------------------------------------------------------------------------

GENERATOR = PasskeyKey(
    qx=bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
    qy=bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
)


def test_the_account_address_is_create2_of_the_clone_and_differs_per_key_factory_and_implementation() -> None:
    implementation, factory = "0x" + "11" * 20, "0x" + "22" * 20
    address = predict_account_address(factory, implementation, GENERATOR)
    runtime = clone_runtime_code(implementation, GENERATOR)
    assert len(runtime) == 0x2D + 64 and runtime.endswith(GENERATOR.qx + GENERATOR.qy)
    init_code = bytes.fromhex("61006d3d81600a3d39f3") + runtime
    assert address.lower() == "0x" + keccak(b"\xff" + bytes.fromhex("22" * 20) + bytes(32) + keccak(init_code))[12:].hex()
    other_key = PasskeyKey(GENERATOR.qx, ((-int.from_bytes(GENERATOR.qy, "big")) % 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF).to_bytes(32, "big"))
    assert len({address, predict_account_address(factory, implementation, other_key), predict_account_address("0x" + "33" * 20, implementation, GENERATOR), predict_account_address(factory, "0x" + "44" * 20, GENERATOR)}) == 4


@pytest.mark.parametrize(("qx", "qy"), [(GENERATOR.qx, bytes(32)), (GENERATOR.qx[:31], GENERATOR.qy), (b"\xff" * 32, GENERATOR.qy)])
def test_a_key_off_the_curve_is_refused(qx: bytes, qy: bytes) -> None:
    with pytest.raises(InvalidPasskeyKey, match="Register the passkey again"):
        PasskeyKey(qx, qy)
