"""The IPFS layer's exceptions: every failure of the block store, the importer or the Kubo
client is an `IpfsError`, and each message says what to do next."""

from __future__ import annotations


class IpfsError(Exception):
    """Base for every error raised by `minting.ipfs`."""


class InvalidCid(IpfsError, ValueError):
    """A string is not a CID this project serves (CIDv1, base32, raw or dag-pb, sha2-256)."""


class BlockNotFound(IpfsError):
    """A block is not in the store (or not on the daemon)."""

    def __init__(self, cid: str, where: str) -> None:
        super().__init__(
            f"Block {cid} is not in {where}. Add the file again (`residents ipfs add FILE`) "
            "or check that the CID was copied completely."
        )
        self.cid = cid


class CorruptBlock(IpfsError):
    """Stored bytes do not hash to their CID, or a dag-pb node cannot be decoded."""


class CidMismatch(IpfsError):
    """The CID the daemon reports differs from the one computed locally."""

    def __init__(self, expected: str, actual: str, what: str) -> None:
        super().__init__(
            f"{what}: expected CID {expected}, got {actual}. The daemon must be Kubo-compatible and "
            "honour cid-version=1, raw-leaves=true and the default 256 KiB chunker; "
            "check its version and settings."
        )
        self.expected = expected
        self.actual = actual


class DaemonUnavailable(IpfsError):
    """The Kubo RPC API could not be reached, or did not answer in time."""


class DaemonError(IpfsError):
    """The daemon answered with an error."""
