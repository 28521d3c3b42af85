"""The Kubo RPC client against a real IPFS daemon: js-ipfs, offline, started by the fixture.

If js-ipfs is not installed (`toolchain/ipfs`) or its daemon does not start, the daemon tests
are skipped with the reason; the client's error handling is tested either way.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from minting.ipfs import BlockNotFound, CidMismatch, DaemonError, DaemonUnavailable, IpfsBackend, KuboClient, file_cid

ROOT = Path(__file__).parents[2]
NODE = ROOT / "toolchain" / "node22" / "node_modules" / ".bin" / "node"
JSIPFS = ROOT / "toolchain" / "ipfs" / "node_modules" / "ipfs" / "src" / "cli.js"
VECTORS = json.loads((ROOT / "tests" / "data" / "ipfs" / "unixfs_vectors.json").read_text())["vectors"]
SMALL_VECTORS = [v for v in VECTORS if v["size"] <= 1024 * 1024]  # the 50 MiB one only costs upload time
UNKNOWN_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyaa"
STARTUP_SECONDS = 60


@functools.cache
def vector_content(size: int) -> bytes:
    """The vectors' content: sha256(uint64_be(i)) for i = 0, 1, 2, … concatenated, cut at `size`."""
    return b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range((size + 31) // 32))[:size]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def daemon_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A js-ipfs daemon, offline, with its own repo and free ports; stopped by PID afterwards."""
    if not (NODE.exists() and JSIPFS.exists()):
        pytest.skip(
            "js-ipfs is not installed, so the IPFS daemon tests cannot run: install Node 22 "
            "(`cd toolchain/node22 && npm ci`), then with toolchain/node22/node_modules/.bin first on PATH "
            "run `cd toolchain/ipfs && npm ci` (DESIGN.md section 4)"
        )
    repo = tmp_path_factory.mktemp("jsipfs")
    env = {**os.environ, "IPFS_PATH": str(repo)}
    init = subprocess.run([NODE, JSIPFS, "init", "--profile", "test"], env=env, capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        pytest.skip(f"`jsipfs init` failed, so the IPFS daemon tests cannot run:\n{init.stdout}{init.stderr}")
    api_port = free_port()
    config_path = repo / "config"
    config = json.loads(config_path.read_text())
    # Nothing may leave this machine: no swarm, no bootstrap peers, no mDNS, everything on loopback.
    config["Addresses"].update(
        Swarm=[],
        API=f"/ip4/127.0.0.1/tcp/{api_port}",
        Gateway=f"/ip4/127.0.0.1/tcp/{free_port()}",
        RPC=f"/ip4/127.0.0.1/tcp/{free_port()}",
    )
    config["Bootstrap"] = []
    config.setdefault("Discovery", {}).update(MDNS={"Enabled": False}, webRTCStar={"Enabled": False})
    config_path.write_text(json.dumps(config, indent=2))

    log_path = repo / "daemon.log"
    with log_path.open("wb") as log:
        daemon = subprocess.Popen([NODE, JSIPFS, "daemon", "--offline"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while b"Daemon is ready" not in log_path.read_bytes():
                if daemon.poll() is not None or time.monotonic() > deadline:
                    reason = "exited" if daemon.returncode is not None else f"was not ready within {STARTUP_SECONDS} s"
                    pytest.skip(f"The js-ipfs daemon {reason}, so the IPFS daemon tests cannot run:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{api_port}"
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


@pytest.fixture
def kubo(daemon_url: str) -> Iterator[KuboClient]:
    with KuboClient(daemon_url, timeout=5) as client:
        yield client


def pinned_recursively(daemon_url: str, cid: str) -> bool:
    """Ask the daemon directly, not through the client under test."""
    answer = httpx.post(f"{daemon_url}/api/v0/pin/ls", params={"arg": cid, "type": "recursive", "cid-base": "base32"}, timeout=10)
    return answer.status_code == 200 and cid in answer.json().get("Keys", {})


# --- against the real daemon -------------------------------------------------------------


@pytest.mark.parametrize("vector", SMALL_VECTORS, ids=[v["name"] for v in SMALL_VECTORS])
def test_daemon_cid_equals_local_cid_and_the_vector(kubo: KuboClient, vector: dict[str, Any]) -> None:
    content = vector_content(vector["size"])
    cid = kubo.add(content)
    assert cid == file_cid(content) == vector["cid"]
    assert kubo.cat(cid) == content


def test_add_pins_by_default(kubo: KuboClient, daemon_url: str) -> None:
    cid = kubo.add("西川町デジタル住民票 #1".encode())
    assert pinned_recursively(daemon_url, cid)


def test_pin_pins_a_file_added_without_pin(kubo: KuboClient, daemon_url: str) -> None:
    cid = kubo.add(vector_content(300_000) + b"added without pin", pin=False)
    assert not pinned_recursively(daemon_url, cid)
    kubo.pin(cid)
    assert pinned_recursively(daemon_url, cid)


def test_add_streams_file_objects_and_one_pass_iterators(kubo: KuboClient) -> None:
    content = vector_content(600_000) + b"streamed"
    expected = file_cid(content)
    assert kubo.add(io.BytesIO(content)) == expected
    assert kubo.add(content[i : i + 70_000] for i in range(0, len(content), 70_000)) == expected


def test_the_client_serves_as_a_backend(kubo: KuboClient) -> None:
    backend: IpfsBackend = kubo
    cid = backend.add(b'{"name": "Resident #7"}')
    backend.pin(cid)
    assert backend.cat(cid) == b'{"name": "Resident #7"}'


def test_unknown_cid_is_not_found_rather_than_waited_for(daemon_url: str) -> None:
    with KuboClient(daemon_url, timeout=1) as kubo:
        with pytest.raises(BlockNotFound, match=UNKNOWN_CID):
            kubo.cat(UNKNOWN_CID)
        with pytest.raises(BlockNotFound, match=UNKNOWN_CID):
            kubo.pin(UNKNOWN_CID)


# --- error handling, no daemon needed ----------------------------------------------------


def test_unreachable_daemon_says_how_to_fix_it() -> None:
    with KuboClient(f"http://127.0.0.1:{free_port()}", timeout=2) as kubo:
        with pytest.raises(DaemonUnavailable, match="Start the IPFS daemon .* or set IPFS_API_URL"):
            kubo.add(b"card")


def answering(status: int, body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body))


def test_a_daemon_that_names_the_file_differently_is_caught() -> None:
    other_answer = json.dumps({"Name": "file", "Hash": "bafybeiavfl3mrv5rig3iqfle6aheyo3crcdzseal3jfwykhuwtmc4vtyjy", "Size": "9"})
    with KuboClient(transport=answering(200, other_answer.encode())) as kubo:
        with pytest.raises(CidMismatch, match=f"expected CID {file_cid(b'card')}") as caught:
            kubo.add(b"card")
    assert caught.value.actual == "bafybeiavfl3mrv5rig3iqfle6aheyo3crcdzseal3jfwykhuwtmc4vtyjy"


def test_a_daemon_that_returns_other_bytes_is_caught() -> None:
    with KuboClient(transport=answering(200, b"not the card")) as kubo:
        with pytest.raises(CidMismatch):
            kubo.cat(file_cid(b"card"))


def test_daemon_errors_carry_the_daemon_message() -> None:
    refusal = json.dumps({"Message": "pinning is disabled", "Code": 0, "Type": "error"}).encode()
    with KuboClient(transport=answering(500, refusal)) as kubo:
        with pytest.raises(DaemonError, match="pinning is disabled"):
            kubo.pin(file_cid(b"card"))


def test_a_gateway_mistaken_for_the_api_is_explained() -> None:
    with KuboClient(transport=answering(200, b"<html>IPFS gateway</html>")) as kubo:
        with pytest.raises(DaemonError, match="not the JSON of the Kubo RPC API"):
            kubo.add(b"card")
