"""Attendance trees in OpenZeppelin's StandardMerkleTree layout, so proofs verify with
`MerkleProof.verify` and `@openzeppelin/merkle-tree`.

Leaf = keccak256(bytes.concat(keccak256(abi.encode(bytes32 eventKey, address attendee)))), where
`eventKey` is the event's anchor key (app/chain/anchors.py), so a leaf names one event on one
contract of one site; the double hash keeps a leaf from ever equalling an inner node (a
second-preimage guard). Leaves are
sorted by hash, placed at the end of a flat array in reverse, and every parent is the keccak256
of its two children in sorted order, exactly as the JavaScript library builds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

LEAF_ENCODING = ("bytes32", "address")


def attendance_leaf(event_key: bytes, attendee: str) -> bytes:
    """Return the 32-byte leaf of `attendee` in the tree of the event anchored under `event_key`."""
    return keccak(keccak(abi_encode(list(LEAF_ENCODING), [event_key, to_checksum_address(attendee)])))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """Return the root that `proof` leads to from `leaf` (OpenZeppelin MerkleProof.processProof)."""
    computed = leaf
    for sibling in proof:
        computed = hash_pair(computed, sibling)
    return computed


def verify_proof(root: bytes, leaf: bytes, proof: Iterable[bytes]) -> bool:
    return process_proof(leaf, proof) == root


@dataclass(frozen=True)
class AttendanceTree:
    """The attendance list of one event as a Merkle tree."""

    event_key: bytes
    #: Flat array: tree[0] is the root, leaves at the end (StandardMerkleTree layout).
    nodes: tuple[bytes, ...]
    #: Attendee address -> index of its leaf in `nodes`.
    positions: dict[str, int]

    @classmethod
    def build(cls, event_key: bytes, attendees: Sequence[str]) -> AttendanceTree:
        """Build the tree of `attendees` (each once); raise ValueError when there are none."""
        addresses = sorted({to_checksum_address(address) for address in attendees})
        if not addresses:
            raise ValueError("an attendance tree needs at least one attendee")
        hashed = sorted(((attendance_leaf(event_key, address), address) for address in addresses), key=lambda pair: pair[0])
        size = 2 * len(hashed) - 1
        nodes: list[bytes] = [b""] * size
        positions: dict[str, int] = {}
        for index, (leaf, address) in enumerate(hashed):
            position = size - 1 - index
            nodes[position] = leaf
            positions[address] = position
        for position in range(size - 1 - len(hashed), -1, -1):
            nodes[position] = hash_pair(nodes[2 * position + 1], nodes[2 * position + 2])
        return cls(event_key, tuple(nodes), positions)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    @property
    def attendee_count(self) -> int:
        return len(self.positions)

    def leaf(self, attendee: str) -> bytes:
        return self.nodes[self._position(attendee)]

    def proof(self, attendee: str) -> list[bytes]:
        """Return the sibling hashes from `attendee`'s leaf up to the root."""
        position = self._position(attendee)
        proof: list[bytes] = []
        while position > 0:
            sibling = position + 1 if position % 2 == 1 else position - 1
            proof.append(self.nodes[sibling])
            position = (position - 1) // 2
        return proof

    def _position(self, attendee: str) -> int:
        address = to_checksum_address(attendee)
        if address not in self.positions:
            raise KeyError(f"{address} did not attend event 0x{self.event_key.hex()}")
        return self.positions[address]
