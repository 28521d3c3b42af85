"""Keys of the records anchored on the card contract: attendance of an exchange event, the
lottery commitment of an issuance round, the result of a vote.

A key names the record uniquely across everything that may share the contract:

    key = keccak256(abi.encode(
        string  "nishikawa-residents/anchor/v1",
        string  kind,            // "attendance", "draw" or "vote"
        uint256 chainId,
        address contract,        // the DigitalResident contract holding the anchor
        string  siteId,          // which site wrote it (see `site_id`)
        bytes16 recordUid))      // a random UUID stored with the record in the database

- A database reset or a second site on the same contract cannot collide: both would need the
  same site id *and* the same random UUID.
- The anchor key cannot squat records that do not exist yet: their UUIDs are drawn when the
  record is created, so nobody can compute their keys beforehand (a sequential id could be).
- A record whose anchor was voided (`voidAnchor`) gets a new UUID, hence a new key.

Anyone can recompute a key from the record's public fields, e.g. in JavaScript with viem:
`keccak256(encodeAbiParameters(parseAbiParameters("string,string,uint256,address,string,bytes16"), [...]))`.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

#: Versions the key derivation; a new scheme would get a new tag, never reuse this one.
KEY_DOMAIN = "nishikawa-residents/anchor/v1"

#: The records the contract anchors, by the name the key derivation uses.
ANCHOR_KINDS = ("attendance", "draw", "vote")


def record_key(kind: str, site_id: str, record_uid: uuid.UUID | str, *, chain_id: int, contract_address: str) -> bytes:
    """Return the 32-byte anchor key of one record (see the module notes for the encoding)."""
    if kind not in ANCHOR_KINDS:
        raise ValueError(f"unknown anchor kind {kind!r}; use one of {', '.join(ANCHOR_KINDS)}")
    if not site_id:
        raise ValueError("the site id must not be empty")
    uid = record_uid if isinstance(record_uid, uuid.UUID) else uuid.UUID(str(record_uid))
    encoded = abi_encode(
        ["string", "string", "uint256", "address", "string", "bytes16"],
        [KEY_DOMAIN, kind, chain_id, to_checksum_address(contract_address), site_id, uid.bytes],
    )
    return keccak(encoded)


def new_record_uid() -> str:
    """A fresh random id for a record that will be anchored (stored as text, 36 characters)."""
    return str(uuid.uuid4())


def site_id(site_url: str) -> str:
    """The site's identifier in anchor keys: the host (and port) of SITE_URL, lower case.

    Two sites sharing a contract have different public addresses; the same site keeps its
    keys across a database reset because the record UUIDs are new anyway.
    """
    netloc = urlsplit(site_url).netloc.lower()
    if not netloc:
        raise ValueError(f"SITE_URL {site_url!r} has no host")
    return netloc
