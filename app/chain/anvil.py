"""The local development chain: anvil from the npm package @foundry-rs/anvil."""

from __future__ import annotations

import platform
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from app.chain.artifacts import PROJECT_ROOT
from app.chain.errors import AnvilUnavailable


def anvil_binary() -> Path:
    """Return the anvil binary that npm installed for this platform."""
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = platform.system().lower()
    path = PROJECT_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    if not path.exists():
        raise AnvilUnavailable(f"anvil is not installed at {path}. Run `make install` (npm ci) first.")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(rpc_url: str) -> bool:
    """True when something at `rpc_url` answers JSON-RPC."""
    try:
        response = httpx.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1.0)
        return response.status_code == 200 and "result" in response.json()
    except (httpx.HTTPError, ValueError):
        return False


class AnvilProcess:
    """A running anvil that this process started and will stop."""

    def __init__(
        self, port: int, state_path: Path | None = None, chain_id: int = 31337, log_path: Path | None = None, extra_args: Sequence[str] = ()
    ) -> None:
        self.port = port
        self.rpc_url = f"http://127.0.0.1:{port}"
        args = [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id), "--silent", *extra_args]
        if state_path is not None:
            # --state loads the file at start and dumps to it; every second and at shutdown.
            args += ["--state", str(state_path), "--state-interval", "1"]
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        # Its own session: Ctrl-C in the terminal reaches only our process, which then stops anvil
        # with SIGTERM so that anvil writes its state file before it exits.
        self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        if log_path:
            log.close()  # type: ignore[union-attr]

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 20.0) -> AnvilProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AnvilUnavailable(f"anvil exited with code {self.process.returncode} before it answered on port {self.port}.")
            if port_answers(self.rpc_url):
                return self
            time.sleep(0.05)
        self.stop()
        raise AnvilUnavailable(f"anvil did not answer on port {self.port} within {timeout:.0f} s.")

    def stop(self) -> None:
        """Stop anvil (SIGTERM lets it write its state file), then make sure it is gone."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_anvil(
    port: int | None = None, state_path: Path | None = None, chain_id: int = 31337, log_path: Path | None = None, extra_args: Sequence[str] = ()
) -> AnvilProcess:
    """Start anvil and wait until it answers; `extra_args` go to anvil as they are (e.g. `--gas-limit`)."""
    return AnvilProcess(port or free_port(), state_path, chain_id, log_path, extra_args).wait_ready()
