"""A thin client for the Kubo RPC API (also served by js-ipfs), over httpx.

Every CID the daemon reports is checked against the one computed locally, so a daemon with
other import settings (CIDv0, no raw leaves, another chunker) cannot put a different CID on
chain than the embedded store would.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

import httpx

from minting.ipfs.cid import parse_cid
from minting.ipfs.errors import BlockNotFound, CidMismatch, DaemonError, DaemonUnavailable
from minting.ipfs.unixfs import FileContent, file_cid

DEFAULT_API_URL = "http://127.0.0.1:5001"
# What Kubo's `ipfs add --cid-version=1` does, spelled out so the daemon's defaults do not matter.
_ADD_PARAMS = {"cid-version": "1", "raw-leaves": "true", "cid-base": "base32", "chunker": "size-262144"}
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_ANSWER_SLACK = 2.0
# How Kubo and js-ipfs say that they gave up looking for a block.
_NOT_FOUND_SIGNS = ("not found", "could not find", "timed out", "deadline exceeded")


class KuboClient:
    """Add, read and pin files on a Kubo-compatible daemon."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        # The daemon is told `timeout` too (see `_fetching`); waiting a little longer here lets its
        # own "not found" answer arrive first. Connecting is instant or refused, so it gets less.
        self._http = httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            timeout=httpx.Timeout(timeout + _ANSWER_SLACK, connect=min(timeout, 5.0)),
            transport=transport,
        )

    def __enter__(self) -> KuboClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def add(self, content: FileContent, *, pin: bool = True) -> str:
        """Add `content` (pinned by default) and return its CID, checked against the local one."""
        with _rewindable(content) as upload:
            expected = file_cid(upload)
            upload.seek(0)
            response = self._post("add", {**_ADD_PARAMS, "pin": str(pin).lower()}, files={"file": ("file", upload)})
        # The answer is one JSON object per line, the added file's last.
        lines = [line for line in response.text.splitlines() if line.strip()]
        actual = str(self._answer(lines[-1], "add").get("Hash", "")) if lines else ""
        if actual != expected:
            raise CidMismatch(expected, actual or "nothing", f"The IPFS daemon at {self.api_url} stored the file")
        return actual

    def cat(self, cid: str) -> bytes:
        """Return the file named by `cid`, checked against the CID.

        The daemon gets `timeout` seconds for the whole file, which suits cards and metadata.
        """
        parse_cid(cid)
        content = self._post("cat", self._fetching(cid)).content
        actual = file_cid(content)
        if actual != cid:
            raise CidMismatch(cid, actual, f"The IPFS daemon at {self.api_url} returned content for {cid}")
        return content

    def pin(self, cid: str) -> None:
        """Pin the file (recursively) so the daemon's garbage collector keeps it."""
        parse_cid(cid)
        response = self._post("pin/add", {**self._fetching(cid), "cid-base": "base32"})
        pins = self._answer(response.text, "pin/add").get("Pins", [])
        if cid not in pins:
            raise DaemonError(f"The IPFS daemon at {self.api_url} did not confirm the pin of {cid} (answered {pins}); retry, then check its logs.")

    def _answer(self, text: str, command: str) -> dict[str, Any]:
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise DaemonError(
                f"The IPFS daemon at {self.api_url} answered `{command}` with {text[:200]!r}, not the JSON of "
                "the Kubo RPC API; check that IPFS_API_URL points at the daemon's API port, not its gateway."
            )
        return answer

    def _fetching(self, cid: str) -> dict[str, str]:
        # A daemon looks for a block it lacks until it finds it: on the network, or forever when
        # offline. Kubo's global `timeout` option (js-ipfs has it too) makes it give up and answer.
        return {"arg": cid, "timeout": f"{self.timeout:g}s"}

    def _post(self, command: str, params: dict[str, str], **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.post(command, params=params, **kwargs)
        except httpx.TimeoutException:
            raise DaemonUnavailable(
                f"The IPFS daemon at {self.api_url} did not answer `{command}` within {self.timeout + _ANSWER_SLACK:g} s. "
                "Check that it is running and not overloaded, or raise the timeout."
            ) from None
        except httpx.TransportError as error:
            raise DaemonUnavailable(
                f"Could not reach the IPFS daemon at {self.api_url} ({error}). "
                "Start the IPFS daemon (`ipfs daemon`) or set IPFS_API_URL to its RPC API address."
            ) from None
        if response.is_success:
            return response
        message = _daemon_message(response)
        if command in ("cat", "pin/add") and any(sign in message.lower() for sign in _NOT_FOUND_SIGNS):
            raise BlockNotFound(params["arg"], f"the IPFS daemon at {self.api_url} (searched for {self.timeout:g} s)")
        raise DaemonError(f"The IPFS daemon at {self.api_url} refused `{command}`: {message} (HTTP {response.status_code}).")


def _daemon_message(response: httpx.Response) -> str:
    # Kubo and js-ipfs answer errors as {"Message": ..., "Code": ..., "Type": "error"}.
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("Message"):
        return str(answer["Message"])
    return response.text.strip()[:200] or response.reason_phrase


@contextmanager
def _rewindable(content: FileContent) -> Iterator[BinaryIO]:
    """Give the content as a file that can be read twice: once to hash it, once to upload it.

    A seekable file object is read from its start: httpx rewinds it to 0 to upload it anyway.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        with io.BytesIO(content) as buffer:
            yield buffer
    elif isinstance(content, io.IOBase) and content.seekable():
        content.seek(0)
        yield cast(BinaryIO, content)  # the caller's file: not ours to close
    else:
        # A one-pass stream is spooled, to disk past a few MiB, rather than held twice in memory.
        pieces = iter(lambda: content.read(65536), b"") if hasattr(content, "read") else content
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            for piece in pieces:
                spool.write(piece)
            spool.seek(0)
            yield cast(BinaryIO, spool)
