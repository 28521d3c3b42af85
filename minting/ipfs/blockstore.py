"""The embedded IPFS default: blocks as files under the app's instance folder.

The layout follows Kubo's flatfs (`next-to-last/2` sharding): `blocks/<2 chars>/<cid>`, where
the two characters are the next-to-last of the CID, which vary evenly (the first ones do not).
Every write goes to a temporary file that is renamed into place, so a killed process leaves
either a whole block or none, and every read is checked against its CID.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from minting.ipfs.cid import Cid, parse_cid
from minting.ipfs.errors import BlockNotFound, CorruptBlock
from minting.ipfs.unixfs import FileContent, decode_file_node, file_blocks

_SNIFF_BYTES = 512


class LocalBlockstore:
    """Store files as UnixFS blocks under `root` and read them back by CID."""

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        #: fsync each block before it is renamed into place, so it also survives a power cut
        self.durable = durable
        self.root = Path(root)
        (self.root / "blocks").mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlockstore({str(self.root)!r})"

    # --- the backend interface shared with KuboClient ----------------------------------

    def add(self, content: FileContent) -> str:
        """Store `content` and return its CID (the same as `ipfs add --cid-version=1`)."""
        root = ""
        for block in file_blocks(content):
            self._put_block(block.cid, block.data)
            root = str(block.cid)
        return root

    put_file = add

    def cat(self, cid: str) -> bytes:
        """Return the whole file named by `cid`."""
        return b"".join(self.iter_file(cid))

    def pin(self, cid: str) -> None:
        """Check that the file is complete; nothing is ever garbage-collected here, so that pins it."""
        for _ in self._iter_blocks(parse_cid(cid)):
            pass

    # --- blocks ------------------------------------------------------------------------

    def has(self, cid: str) -> bool:
        return self._path(parse_cid(cid)).is_file()

    def get_block(self, cid: str | Cid) -> bytes:
        """Return one block's bytes, checked against its CID."""
        parsed = parse_cid(cid) if isinstance(cid, str) else cid
        try:
            data = self._path(parsed).read_bytes()
        except FileNotFoundError:
            raise BlockNotFound(str(parsed), f"the local block store {self.root}") from None
        if Cid.for_block(parsed.codec, data) != parsed:
            raise CorruptBlock(
                f"Block {parsed} in {self.root} does not match its CID (disk damage or an edit by hand); "
                "delete the file and add the content again."
            )
        return data

    def _put_block(self, cid: Cid, data: bytes) -> None:
        """Store one block whose CID the caller computed; an existing block is kept as it is."""
        path = self._path(cid)
        if path.exists():
            return  # same CID, same bytes
        path.parent.mkdir(exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                if self.durable:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    # --- files -------------------------------------------------------------------------

    def iter_file(self, cid: str) -> Iterator[bytes]:
        """Yield the file's bytes leaf by leaf, so the gateway can stream large files."""
        for block_cid, data in self._iter_blocks(parse_cid(cid)):
            if block_cid.is_raw:
                yield data
            else:
                inline = decode_file_node(data).data
                if inline:
                    yield inline

    def file_size(self, cid: str) -> int:
        parsed = parse_cid(cid)
        block = self.get_block(parsed)
        return len(block) if parsed.is_raw else decode_file_node(block).filesize

    def content_type(self, cid: str) -> str:
        """Guess the media type from the file's first bytes, for the gateway's Content-Type."""
        head = b""
        for piece in self.iter_file(cid):
            head += piece
            if len(head) >= _SNIFF_BYTES:
                break
        return sniff_content_type(head[:_SNIFF_BYTES], complete=len(head) <= _SNIFF_BYTES)

    def _iter_blocks(self, cid: Cid) -> Iterator[tuple[Cid, bytes]]:
        # Depth first in link order is file order; the tree is at most a few levels deep.
        data = self.get_block(cid)
        yield cid, data
        if not cid.is_raw:
            for child in decode_file_node(data).links:
                yield from self._iter_blocks(child)

    def _path(self, cid: Cid) -> Path:
        name = str(cid)
        return self.root / "blocks" / name[-3:-1] / name


def sniff_content_type(head: bytes, *, complete: bool = False) -> str:
    """Return the media type of a file from its first bytes (`complete`: `head` is the whole file)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    try:
        # Not final: a multi-byte character may be cut at the end of the head.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=complete).lstrip("\ufeff \t\r\n")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if any(ch < " " and ch not in "\t\r\n\f" for ch in text):
        return "application/octet-stream"
    if text.startswith(("{", "[")):
        return "application/json"
    if text.startswith("<svg") or (text.startswith("<?xml") and "<svg" in text):
        return "image/svg+xml"
    return "text/plain; charset=utf-8"
