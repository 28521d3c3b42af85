"""CIDv1 as this project uses it: base32 lowercase ("b…"), sha2-256, codec raw or dag-pb.

Only these CIDs are produced by `ipfs add --cid-version=1`, so the gateway and the
contract accept nothing else; parsing is strict and canonical so one file has one name.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from minting.ipfs.errors import InvalidCid

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12
_CODEC_NAMES = {RAW: "raw", DAG_PB: "dag-pb"}
# Version 1, then the codec and the multihash header (sha2-256, 32 bytes): all one-byte varints.
_PREFIX = {codec: bytes([1, codec, SHA2_256, 32]) for codec in _CODEC_NAMES}
_BINARY_LENGTH = 4 + 32
_TEXT_LENGTH = 1 + 58  # "b" + base32 of 36 bytes without padding


@dataclass(frozen=True, slots=True)
class Cid:
    """A CIDv1 with a sha2-256 multihash."""

    codec: int
    digest: bytes

    @classmethod
    def for_block(cls, codec: int, block: bytes | memoryview) -> Cid:
        return cls(codec, hashlib.sha256(block).digest())

    @classmethod
    def from_bytes(cls, binary: bytes) -> Cid:
        """Read the binary form (as found in dag-pb links)."""
        if len(binary) == _BINARY_LENGTH:
            for codec, prefix in _PREFIX.items():
                if binary.startswith(prefix):
                    return cls(codec, bytes(binary[4:]))
        raise InvalidCid(
            f"Binary CID {binary.hex()} is not a CIDv1 raw or dag-pb sha2-256 CID; "
            "only files added with `--cid-version=1` are supported."
        )

    def to_bytes(self) -> bytes:
        return _PREFIX[self.codec] + self.digest

    def __str__(self) -> str:
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=").lower()

    @property
    def is_raw(self) -> bool:
        return self.codec == RAW


def parse_cid(text: str) -> Cid:
    """Parse a CIDv1 in base32 lowercase, raw or dag-pb, sha2-256; raise InvalidCid otherwise."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    if text.startswith("Qm"):
        raise InvalidCid(f"{shown!r} is a CIDv0; convert it with `ipfs cid base32 {shown}` and use the bafy… form.")
    if not text.startswith("b") or len(text) != _TEXT_LENGTH or not text.isascii():
        raise InvalidCid(
            f"{shown!r} is not a CIDv1 in base32 (expected 59 characters starting with 'bafk' or 'bafy'); "
            "check that the whole CID was copied."
        )
    body = text[1:]
    if body != body.lower():
        raise InvalidCid(f"{shown!r} has upper-case letters; CIDs are written in lower-case base32.")
    try:
        binary = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except ValueError:
        raise InvalidCid(f"{shown!r} contains characters outside base32 (a-z, 2-7); check the CID.") from None
    cid = Cid.from_bytes(binary)
    # base32 of 36 bytes leaves 2 spare bits; reject non-zero ones so each CID has one spelling.
    if str(cid) != text:
        raise InvalidCid(f"{shown!r} is not in canonical form; use {cid}.")
    return cid


def raw_cid_from_digest(digest: bytes) -> str:
    """Return the CIDv1 (raw, base32) of a single-block file from its sha2-256 digest."""
    if len(digest) != 32:
        raise InvalidCid(f"A sha2-256 digest is 32 bytes, got {len(digest)}; pass the raw digest, not hex.")
    return str(Cid(RAW, bytes(digest)))


def digest_from_raw_cid(cid: str) -> bytes:
    """Return the sha2-256 digest inside a raw CID, as stored on-chain for the metadata JSON."""
    parsed = parse_cid(cid)
    if not parsed.is_raw:
        raise InvalidCid(
            f"{cid} is a dag-pb CID (a file over 256 KiB); the contract stores only single-block "
            "(raw, bafkrei…) CIDs, so keep the metadata JSON under 256 KiB."
        )
    return parsed.digest
