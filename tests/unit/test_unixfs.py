"""The UnixFS importer against CIDs computed by js-ipfs (tests/data/ipfs/unixfs_vectors.json)."""

from __future__ import annotations

import functools
from collections.abc import Callable
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from minting.ipfs import Cid, InvalidCid, digest_from_raw_cid, file_blocks, file_cid, parse_cid, raw_cid_from_digest
from minting.ipfs.cid import DAG_PB, RAW
from minting.ipfs.errors import CorruptBlock
from minting.ipfs.unixfs import CHUNK_SIZE, MAX_LINKS, FileContent, decode_file_node

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "ipfs" / "unixfs_vectors.json").read_text())["vectors"]
EMPTY_FILE_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@functools.cache
def vector_content(size: int) -> bytes:
    """The vectors' content: sha256(uint64_be(i)) for i = 0, 1, 2, … concatenated, cut at `size`."""
    return b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range((size + 31) // 32))[:size]


def test_vectors_cover_the_sizes_the_issue_names() -> None:
    sizes = {v["size"] for v in VECTORS}
    assert sizes >= {0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 1024 * 1024, 50 * 1024 * 1024}
    biggest = max(VECTORS, key=lambda v: v["size"])
    assert biggest["size"] // CHUNK_SIZE > MAX_LINKS  # so it needs a two-level tree


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_file_cid_matches_js_ipfs(vector: dict[str, Any]) -> None:
    assert file_cid(vector_content(vector["size"])) == vector["cid"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_blocks_hash_to_their_cids_and_the_root_comes_last(vector: dict[str, Any]) -> None:
    blocks = list(file_blocks(vector_content(vector["size"])))
    assert len(blocks) == vector["blocks"]
    assert str(blocks[-1].cid) == vector["cid"]
    for block in blocks:
        assert Cid.for_block(block.cid.codec, block.data) == block.cid
    assert all(len(b.data) <= CHUNK_SIZE for b in blocks if b.cid.codec == RAW)


def test_single_chunk_files_are_one_raw_block() -> None:
    for size in (0, 1, CHUNK_SIZE):
        assert parse_cid(file_cid(vector_content(size))).codec == RAW
    assert parse_cid(file_cid(vector_content(CHUNK_SIZE + 1))).codec == DAG_PB
    assert file_cid(b"") == EMPTY_FILE_CID == raw_cid_from_digest(hashlib.sha256(b"").digest())


def test_fifty_mebibyte_tree_has_two_levels_of_full_left_nodes() -> None:
    blocks = list(file_blocks(vector_content(50 * 1024 * 1024)))
    root = decode_file_node(blocks[-1].data)
    assert root.filesize == 50 * 1024 * 1024
    children = [decode_file_node(next(b.data for b in blocks if b.cid == link)) for link in root.links]
    assert [len(child.links) for child in children] == [MAX_LINKS, 200 - MAX_LINKS]
    assert [child.filesize for child in children] == [MAX_LINKS * CHUNK_SIZE, (200 - MAX_LINKS) * CHUNK_SIZE]


@pytest.mark.parametrize(
    "feed",
    [
        pytest.param(lambda data: data, id="bytes"),
        pytest.param(lambda data: io.BytesIO(data), id="file"),
        pytest.param(lambda data: (data[i : i + 1000] for i in range(0, len(data), 1000)), id="small-pieces"),
        pytest.param(lambda data: iter([data[:5], data[5 : CHUNK_SIZE * 2 + 7], data[CHUNK_SIZE * 2 + 7 :]]), id="uneven-pieces"),
        pytest.param(lambda data: iter([b"", data, b""]), id="empty-pieces"),
    ],
)
def test_cid_does_not_depend_on_how_the_content_is_fed(feed: Callable[[bytes], FileContent]) -> None:
    vector = next(v for v in VECTORS if v["name"] == "one-mebibyte")
    assert file_cid(feed(vector_content(vector["size"]))) == vector["cid"]
    assert file_cid(feed(b"")) == EMPTY_FILE_CID


def test_a_lone_last_leaf_gets_its_own_parent_below_the_root() -> None:
    blocks = list(file_blocks(vector_content(MAX_LINKS * CHUNK_SIZE + 1)))
    root = decode_file_node(blocks[-1].data)
    children = [decode_file_node(next(b.data for b in blocks if b.cid == link)) for link in root.links]
    assert [len(child.links) for child in children] == [MAX_LINKS, 1]


def test_node_decoder_reads_what_the_importer_wrote() -> None:
    content = vector_content(CHUNK_SIZE * 3 + 10)
    blocks = list(file_blocks(content))
    node = decode_file_node(blocks[-1].data)
    assert node.links == tuple(b.cid for b in blocks[:-1])
    assert node.filesize == len(content)
    assert node.data == b""


@pytest.mark.parametrize("garbage", [b"\x12\x05abc", b"\x0b", b"\x12\x03\x0a\x01\x00", b"\xff"])
def test_node_decoder_rejects_garbage(garbage: bytes) -> None:
    with pytest.raises(CorruptBlock):
        decode_file_node(garbage)


def test_node_decoder_rejects_directories() -> None:
    directory = b"\x0a\x02\x08\x01"  # Data = UnixFS {Type: Directory}
    with pytest.raises(CorruptBlock, match="not a file"):
        decode_file_node(directory)


# --- CIDs ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_parse_cid_round_trips_every_vector(vector: dict[str, Any]) -> None:
    assert str(parse_cid(vector["cid"])) == vector["cid"]


def test_raw_cid_and_digest_round_trip() -> None:
    metadata = b'{"name":"\xe8\xa5\xbf\xe5\xb7\x9d\xe7\x94\xba #1"}'
    digest = hashlib.sha256(metadata).digest()
    cid = raw_cid_from_digest(digest)
    assert cid == file_cid(metadata)
    assert cid.startswith("bafkrei")
    assert digest_from_raw_cid(cid) == digest


def test_digest_from_raw_cid_refuses_multi_block_files() -> None:
    with pytest.raises(InvalidCid, match="256 KiB"):
        digest_from_raw_cid(next(v["cid"] for v in VECTORS if v["name"] == "one-mebibyte"))


def test_raw_cid_from_digest_refuses_hex() -> None:
    with pytest.raises(InvalidCid, match="32 bytes"):
        raw_cid_from_digest(hashlib.sha256(b"").hexdigest().encode())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "CIDv0"),
        ("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", "base32"),
        (EMPTY_FILE_CID.upper(), "base32"),
        ("B" + EMPTY_FILE_CID[1:].upper(), "base32"),
        ("b" + EMPTY_FILE_CID[1:].upper(), "upper-case"),
        (EMPTY_FILE_CID[:-1], "base32"),
        (EMPTY_FILE_CID + "a", "base32"),
        (EMPTY_FILE_CID[:-1] + "v", "canonical"),  # same bytes, non-zero spare bits
        (EMPTY_FILE_CID[:-1] + "1", "outside base32"),
        ("bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "CIDv1 raw or dag-pb"),  # dag-cbor
        ("bafkr4ihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "sha2-256"),  # blake3
        ("../../../../etc/passwd", "base32"),
        ("", "base32"),
    ],
)
def test_parse_cid_rejects_what_the_gateway_must_not_serve(text: str, reason: str) -> None:
    with pytest.raises(InvalidCid, match=reason):
        parse_cid(text)
