"""Content addressing for card images and metadata (DESIGN.md section 4).

Two backends behind one interface: `LocalBlockstore`, the embedded default under the instance
folder, and `KuboClient` for a real IPFS daemon. Both name a file by the CID Kubo's
`ipfs add --cid-version=1` gives it, computed here by `file_cid` without any daemon.
"""

from __future__ import annotations

from typing import Protocol

from minting.ipfs.blockstore import LocalBlockstore, sniff_content_type
from minting.ipfs.cid import Cid, digest_from_raw_cid, parse_cid, raw_cid_from_digest
from minting.ipfs.errors import (
    BlockNotFound,
    CidMismatch,
    CorruptBlock,
    DaemonError,
    DaemonUnavailable,
    InvalidCid,
    IpfsError,
)
from minting.ipfs.kubo import KuboClient
from minting.ipfs.unixfs import FileContent, file_blocks, file_cid


class IpfsBackend(Protocol):
    """Where the minting pipeline stores card images and metadata."""

    def add(self, content: FileContent) -> str:
        """Store the file and return its CID; adding the same bytes again is harmless."""
        ...

    def cat(self, cid: str) -> bytes:
        """Return the whole file named by `cid`."""
        ...

    def pin(self, cid: str) -> None:
        """Make sure the file is kept (a no-op check in the local store, which never collects)."""
        ...


__all__ = [
    "BlockNotFound",
    "Cid",
    "CidMismatch",
    "CorruptBlock",
    "DaemonError",
    "DaemonUnavailable",
    "FileContent",
    "InvalidCid",
    "IpfsBackend",
    "IpfsError",
    "KuboClient",
    "LocalBlockstore",
    "digest_from_raw_cid",
    "file_blocks",
    "file_cid",
    "parse_cid",
    "raw_cid_from_digest",
    "sniff_content_type",
]
