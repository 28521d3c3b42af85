"""Attendance trees: OpenZeppelin StandardMerkleTree layout, proofs verified in Python."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from community.exchange.merkle import AttendanceTree, attendance_leaf, hash_pair, process_proof, verify_proof

ADDRESSES = [Account.from_key(bytes([i]) * 32).address for i in range(1, 12)]


def key(n: int) -> bytes:
    """A stand-in event anchor key (app.chain.anchors.record_key makes the real ones)."""
    return keccak(text=f"event key {n}")


def test_the_leaf_is_the_double_keccak_of_the_abi_encoded_pair() -> None:
    address = ADDRESSES[0]
    expected = keccak(keccak(encode(["bytes32", "address"], [key(7), address])))
    assert attendance_leaf(key(7), address) == expected
    assert attendance_leaf(key(7), address.lower()) == expected, "addresses are compared checksummed"
    assert attendance_leaf(key(8), address) != expected


def test_pairs_are_hashed_in_sorted_order() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(a + b)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8, 11])
def test_every_attendee_has_a_proof_of_the_root(size: int) -> None:
    tree = AttendanceTree.build(key(3), ADDRESSES[:size])
    assert tree.attendee_count == size and len(tree.nodes) == 2 * size - 1
    for address in ADDRESSES[:size]:
        proof = tree.proof(address)
        assert verify_proof(tree.root, attendance_leaf(key(3), address), proof)
        assert not verify_proof(tree.root, attendance_leaf(key(4), address), proof), "the event key is part of the leaf"
    if size == 1:
        assert tree.root == attendance_leaf(key(3), ADDRESSES[0]) and tree.proof(ADDRESSES[0]) == []


def test_the_layout_matches_openzeppelin_standard_merkle_tree() -> None:
    # StandardMerkleTree.of sorts the leaf hashes ascending and stores them reversed at the end
    # of the array ([root, n1, l2, l1, l0]); node i has children 2i+1 and 2i+2. Rebuilt by hand.
    leaves = sorted(attendance_leaf(key(1), address) for address in ADDRESSES[:3])
    tree = AttendanceTree.build(key(1), ADDRESSES[:3])
    assert tree.nodes[2:] == (leaves[2], leaves[1], leaves[0])
    assert tree.nodes[1] == hash_pair(leaves[1], leaves[0])
    assert tree.root == hash_pair(hash_pair(leaves[1], leaves[0]), leaves[2])
    assert tree.proof(ADDRESSES[0]) in ([leaves[1], leaves[2]], [leaves[0], leaves[2]], [tree.nodes[1]])


def test_the_tree_does_not_depend_on_check_in_order_or_duplicates() -> None:
    forward = AttendanceTree.build(key(9), ADDRESSES[:6])
    backward = AttendanceTree.build(key(9), list(reversed(ADDRESSES[:6])) + [ADDRESSES[0].lower()])
    assert forward.root == backward.root and backward.attendee_count == 6


def test_a_tampered_proof_or_stranger_fails() -> None:
    tree = AttendanceTree.build(key(2), ADDRESSES[:4])
    proof = tree.proof(ADDRESSES[0])
    assert process_proof(attendance_leaf(key(2), ADDRESSES[5]), proof) != tree.root
    broken = [bytes(32)] + proof[1:]
    assert not verify_proof(tree.root, attendance_leaf(key(2), ADDRESSES[0]), broken)
    with pytest.raises(KeyError):
        tree.proof(ADDRESSES[5])
    with pytest.raises(ValueError):
        AttendanceTree.build(key(2), [])
