"""The embedded block store: round trips, atomic writes, integrity checks, content types."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from minting.ipfs import BlockNotFound, CorruptBlock, InvalidCid, IpfsBackend, LocalBlockstore, file_blocks, sniff_content_type
from minting.ipfs.unixfs import CHUNK_SIZE

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "ipfs" / "unixfs_vectors.json").read_text())["vectors"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNKNOWN_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyaa"


@functools.cache
def vector_content(size: int) -> bytes:
    """The vectors' content: sha256(uint64_be(i)) for i = 0, 1, 2, … concatenated, cut at `size`."""
    return b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range((size + 31) // 32))[:size]


@pytest.fixture
def store(tmp_path: Path) -> LocalBlockstore:
    return LocalBlockstore(tmp_path / "ipfs")


def block_files(store: LocalBlockstore) -> list[Path]:
    return sorted(p for p in (store.root / "blocks").rglob("*") if p.is_file())


def test_is_an_ipfs_backend(store: LocalBlockstore) -> None:
    backend: IpfsBackend = store  # checked by the type checker; the call checks it at run time
    assert backend.cat(backend.add(b"resident")) == b"resident"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_put_file_stores_every_block_and_cat_reassembles_the_file(store: LocalBlockstore, vector: dict[str, Any]) -> None:
    content = vector_content(vector["size"])
    cid = store.put_file(iter([content[:100_000], content[100_000:]]))
    assert cid == vector["cid"]
    assert len(block_files(store)) == vector["blocks"]
    assert store.cat(cid) == content
    assert store.file_size(cid) == len(content)
    assert all(store.has(str(block.cid)) for block in file_blocks(content))


def test_adding_again_changes_nothing(store: LocalBlockstore) -> None:
    content = vector_content(CHUNK_SIZE * 2 + 1)
    first = store.add(content)
    before = {p: p.stat().st_mtime_ns for p in block_files(store)}
    assert store.add(content) == first
    assert {p: p.stat().st_mtime_ns for p in block_files(store)} == before


def test_blocks_are_sharded_by_the_next_to_last_characters(store: LocalBlockstore) -> None:
    cid = store.add(b"card")
    assert block_files(store) == [store.root / "blocks" / cid[-3:-1] / cid]


def test_a_failed_write_leaves_no_block_and_no_temporary_file(store: LocalBlockstore, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.add(b"half-written card")
    monkeypatch.undo()
    assert block_files(store) == []
    assert store.cat(store.add(b"half-written card")) == b"half-written card"


def test_missing_blocks_say_so(store: LocalBlockstore) -> None:
    assert not store.has(UNKNOWN_CID)
    with pytest.raises(BlockNotFound, match="residents ipfs add"):
        store.get_block(UNKNOWN_CID)
    with pytest.raises(BlockNotFound):
        store.cat(UNKNOWN_CID)


def test_a_missing_leaf_is_found_by_cat_and_pin(store: LocalBlockstore) -> None:
    content = vector_content(CHUNK_SIZE * 3)
    cid = store.add(content)
    leaf = str(next(file_blocks(content)).cid)
    next(p for p in block_files(store) if p.name == leaf).unlink()
    assert store.has(cid)  # the root is there…
    with pytest.raises(BlockNotFound, match=leaf):  # …but the file is not complete
        store.pin(cid)
    with pytest.raises(BlockNotFound, match=leaf):
        store.cat(cid)


def test_a_damaged_block_is_not_served(store: LocalBlockstore) -> None:
    cid = store.add(b'{"name": "Resident #1"}')
    (path,) = block_files(store)
    path.write_bytes(b'{"name": "Resident #2"}')
    with pytest.raises(CorruptBlock, match="does not match its CID"):
        store.cat(cid)


@pytest.mark.parametrize("text", ["QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "../blocks", ""])
def test_invalid_cids_are_refused_before_touching_the_disk(store: LocalBlockstore, text: str) -> None:
    for read in (store.has, store.get_block, store.cat, store.content_type):
        with pytest.raises(InvalidCid):
            read(text)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG_SIGNATURE + b"\x00\x00\x00\rIHDR" + bytes(100), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(50), "image/jpeg"),
        (b"GIF89a" + bytes(20), "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20), "image/webp"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b'{"name": "\xe8\xa5\xbf\xe5\xb7\x9d\xe7\x94\xba\xe3\x83\x87\xe3\x82\xb8\xe3\x82\xbf\xe3\x83\xab\xe4\xbd\x8f\xe6\xb0\x91\xe7\xa5\xa8"}', "application/json"),
        (b"\xef\xbb\xbf[1, 2]", "application/json"),
        ("西川町へようこそ\n".encode(), "text/plain; charset=utf-8"),
        (b"<?xml version='1.0'?><note/>", "text/plain; charset=utf-8"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"caf\xe9", "application/octet-stream"),  # Latin-1, not UTF-8
    ],
)
def test_content_type_is_sniffed_from_the_first_bytes(store: LocalBlockstore, content: bytes, expected: str) -> None:
    assert store.content_type(store.add(content)) == expected


def test_content_type_of_a_multi_block_file_comes_from_its_first_leaf(store: LocalBlockstore) -> None:
    image = PNG_SIGNATURE + vector_content(CHUNK_SIZE * 2)
    assert store.content_type(store.add(image)) == "image/png"


def test_sniffing_tolerates_a_character_cut_at_the_end_of_the_head() -> None:
    text = ("住民" * 200).encode()  # 3-byte characters: 512 bytes cuts one in half
    assert sniff_content_type(text[:512]) == "text/plain; charset=utf-8"
    assert sniff_content_type(text[:512], complete=True) == "application/octet-stream"
