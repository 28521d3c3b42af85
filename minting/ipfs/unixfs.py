"""A UnixFS file importer that computes the same CIDs as Kubo's `ipfs add --cid-version=1`.

Kubo's settings: fixed 256 KiB chunks, raw leaves, a balanced DAG of dag-pb nodes with at most
174 links each, sha2-256. A file of one chunk or less (the empty file too) is a single raw block.
Blocks come out as they are made, leaves first and the root last, so a large file never has to
be held in memory whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from minting.ipfs.cid import DAG_PB, RAW, Cid
from minting.ipfs.errors import CorruptBlock, InvalidCid

CHUNK_SIZE = 262_144
MAX_LINKS = 174
_UNIXFS_FILE = 2  # UnixFS Data.Type; leaves are raw blocks, so every dag-pb node is a File

#: What a file can be given as: all its bytes, a binary file object, or pieces of any size.
FileContent = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]


class Block(NamedTuple):
    cid: Cid
    data: bytes


class _Link(NamedTuple):
    cid: Cid
    tsize: int  # the child's block plus everything below it, as Kubo counts it
    filesize: int  # the file bytes under the child


@dataclass(frozen=True, slots=True)
class FileNode:
    """What `cat` needs from a dag-pb UnixFS node: its inline bytes and its children in order."""

    data: bytes
    links: tuple[Cid, ...]
    filesize: int


def file_blocks(content: FileContent) -> Iterator[Block]:
    """Yield the blocks of `content` as Kubo would store them; the last block is the root."""
    levels: list[list[_Link]] = [[]]  # levels[0] holds leaves, levels[i] nodes of depth i
    for chunk in _chunks(content):
        leaf = Block(Cid.for_block(RAW, chunk), chunk)
        yield leaf
        levels[0].append(_Link(leaf.cid, len(chunk), len(chunk)))
        # A full node is closed as soon as it fills, which gives Kubo's balanced, left-full tree.
        depth = 0
        while len(levels[depth]) == MAX_LINKS:
            if depth + 1 == len(levels):
                levels.append([])
            node = _file_node(levels[depth])
            yield node.block
            levels[depth + 1].append(node.link)
            levels[depth] = []
            depth += 1
    # Close the partial nodes bottom-up; all leaves sit at the same depth, so a lone child
    # below the top still gets a parent of its own.
    for depth in range(len(levels)):
        top = not any(levels[depth + 1 :])
        if top and len(levels[depth]) == 1:
            return  # that one block, already yielded, is the root
        if levels[depth]:
            if top:
                levels.append([])
            node = _file_node(levels[depth])
            yield node.block
            levels[depth + 1].append(node.link)


def file_cid(content: FileContent) -> str:
    """Return the CID `ipfs add --cid-version=1 --only-hash` prints for `content`."""
    root = deque(file_blocks(content), maxlen=1)[0]  # keeps only the last block: the root
    return str(root.cid)


def _chunks(content: FileContent) -> Iterator[bytes]:
    if isinstance(content, bytes | bytearray | memoryview):
        pieces: Iterable[bytes | bytearray | memoryview] = (content,)
    elif hasattr(content, "read"):
        pieces = iter(lambda: content.read(CHUNK_SIZE), b"")
    else:
        pieces = content
    pending = bytearray()
    emitted = False
    for piece in pieces:
        view = memoryview(piece)
        if pending:  # top up the partial chunk first
            taken = CHUNK_SIZE - len(pending)
            pending += view[:taken]
            view = view[taken:]
            if len(pending) < CHUNK_SIZE:
                continue
            yield bytes(pending)
            pending.clear()
            emitted = True
        # Slice whole chunks straight out of large pieces rather than through the buffer.
        while len(view) >= CHUNK_SIZE:
            yield bytes(view[:CHUNK_SIZE])
            view = view[CHUNK_SIZE:]
            emitted = True
        pending += view
    if pending or not emitted:
        yield bytes(pending)  # the empty file is one empty raw leaf, as in Kubo


class _Node(NamedTuple):
    block: Block
    link: _Link


def _file_node(children: list[_Link]) -> _Node:
    filesize = sum(child.filesize for child in children)
    unixfs = _field_varint(1, _UNIXFS_FILE) + _field_varint(3, filesize)
    unixfs += b"".join(_field_varint(4, child.filesize) for child in children)
    # dag-pb's canonical form puts Links (field 2) before Data (field 1); Kubo writes an
    # empty Name in every link, and the CIDs depend on both.
    links = b"".join(
        _field_bytes(2, _field_bytes(1, child.cid.to_bytes()) + _field_bytes(2, b"") + _field_varint(3, child.tsize))
        for child in children
    )
    data = links + _field_bytes(1, unixfs)
    cid = Cid.for_block(DAG_PB, data)
    return _Node(Block(cid, data), _Link(cid, len(data) + sum(child.tsize for child in children), filesize))


def decode_file_node(block: bytes) -> FileNode:
    """Decode a dag-pb block holding a UnixFS File (or Raw) node; raise CorruptBlock otherwise."""
    links: list[Cid] = []
    unixfs = b""
    try:
        for field, value in _fields(block):
            if field == 2:
                links.append(Cid.from_bytes(_as_bytes(dict(_fields(_as_bytes(value))).get(1))))
            elif field == 1:
                unixfs = _as_bytes(value)
        meta = dict(_fields(unixfs))
        data = _as_bytes(meta.get(2, b""))
        filesize = meta.get(3, len(data))
    except (IndexError, ValueError) as error:  # InvalidCid is a ValueError too
        raise CorruptBlock(f"Block is not a valid dag-pb UnixFS node ({error}); re-add the file.") from None
    if meta.get(1) not in (0, _UNIXFS_FILE) or not isinstance(filesize, int):  # 0: UnixFS Raw, from old importers
        raise CorruptBlock(f"dag-pb node has UnixFS type {meta.get(1)!r}, not a file; only files are served.")
    return FileNode(data, tuple(links), filesize)


def _as_bytes(value: int | bytes | None) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError(f"expected a length-delimited field, got {value!r}")
    return value


# --- protobuf, only the two wire types dag-pb and UnixFS use --------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field_varint(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n)


def _field_bytes(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        byte = buf[pos]  # IndexError on truncation, reported as CorruptBlock by the caller
        n |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return n, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        if key & 7 == 0:
            value, pos = _read_varint(buf, pos)
            yield key >> 3, value
        elif key & 7 == 2:
            length, pos = _read_varint(buf, pos)
            if pos + length > len(buf):
                raise IndexError("length past the end of the block")
            yield key >> 3, buf[pos : pos + length]
            pos += length
        else:
            raise IndexError(f"unexpected protobuf wire type {key & 7}")
