"""Anchor keys (app/chain/anchors.py): the documented encoding, and every input names the record."""

from __future__ import annotations

import uuid

import pytest
from eth_utils import keccak

from app.chain.anchors import KEY_DOMAIN, record_key, site_id

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
UID = uuid.UUID("0b6e4b8c-7c57-4b43-9a5e-52f1d8a0c3e1")


def word(value: int | bytes) -> bytes:
    return value.to_bytes(32, "big") if isinstance(value, int) else value.ljust(32, b"\0")


def string_tail(text: str) -> bytes:
    raw = text.encode()
    return word(len(raw)) + raw.ljust((len(raw) + 31) // 32 * 32, b"\0")


def test_the_key_is_keccak_of_the_documented_abi_encoding_built_by_hand() -> None:
    # abi.encode(string, string, uint256, address, string, bytes16): six head words, then the
    # three strings' tails, each string's head word being the offset of its tail.
    domain, kind, site = string_tail(KEY_DOMAIN), string_tail("attendance"), string_tail("residents.example.jp")
    heads_size = 6 * 32
    encoded = b"".join(
        [
            word(heads_size),
            word(heads_size + len(domain)),
            word(31337),
            word(bytes(12) + bytes.fromhex(CONTRACT[2:])),
            word(heads_size + len(domain) + len(kind)),
            word(UID.bytes),
            domain,
            kind,
            site,
        ]
    )
    assert record_key("attendance", "residents.example.jp", UID, chain_id=31337, contract_address=CONTRACT) == keccak(encoded)
    assert record_key("attendance", "residents.example.jp", str(UID), chain_id=31337, contract_address=CONTRACT.lower()) == keccak(encoded)


def test_every_part_of_the_name_changes_the_key() -> None:
    base = {"kind": "attendance", "site_id": "residents.example.jp", "record_uid": UID, "chain_id": 31337, "contract_address": CONTRACT}
    variants = [
        {"kind": "vote"},
        {"site_id": "another-town.example"},
        {"record_uid": uuid.uuid4()},
        {"chain_id": 11155111},
        {"contract_address": "0x" + "12" * 20},
    ]

    def key(**parts: object) -> bytes:
        merged = {**base, **parts}
        return record_key(merged.pop("kind"), merged.pop("site_id"), merged.pop("record_uid"), **merged)  # type: ignore[arg-type]

    keys = {key()} | {key(**variant) for variant in variants}
    assert len(keys) == 1 + len(variants)


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown anchor kind 'lottery'"):
        record_key("lottery", "site", UID, chain_id=1, contract_address=CONTRACT)
    with pytest.raises(ValueError, match="site id must not be empty"):
        record_key("draw", "", UID, chain_id=1, contract_address=CONTRACT)
    with pytest.raises(ValueError):
        record_key("draw", "site", "not-a-uuid", chain_id=1, contract_address=CONTRACT)


def test_the_site_id_is_the_host_of_the_site_url() -> None:
    assert site_id("https://Residents.Example.JP/") == "residents.example.jp"
    assert site_id("http://127.0.0.1:5000") == "127.0.0.1:5000"
    with pytest.raises(ValueError, match="has no host"):
        site_id("residents")
