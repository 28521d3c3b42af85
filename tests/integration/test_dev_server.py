"""`residents dev`, which `make run` calls: start chain, migrate, deploy once, serve; stop cleanly;
a second start finds the same contract and the same chain data."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.chain.anvil import free_port, port_answers
from app.chain.client import ResidentRegistry, connect
from minting.keys import DEV_KEYS, KeyRole
from minting.minter import Minter

pytestmark = pytest.mark.chain

RESIDENTS = Path(sys.executable).with_name("residents")


def start_dev(instance: Path, web_port: int, chain_port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "CHAIN_RPC_URL": f"http://127.0.0.1:{chain_port}",
        "RESIDENTS_ENV": "development",
    }
    env.pop("DATABASE_URL", None)
    env.pop("SITE_URL", None)
    return subprocess.Popen([str(RESIDENTS), "dev", "--port", str(web_port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_site(process: subprocess.Popen[str], url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"residents dev exited early:\n{process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the site did not answer in time")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def assert_sign_in_is_for(site: str) -> None:
    """The sign-in message names the port dev serves on: SITE_URL followed --port."""
    import re

    with httpx.Client(base_url=site, timeout=10) as browser:
        page = browser.get("/sign-in").text
        token = re.search(r'"csrfToken":\s*"([^"]+)"', page)
        assert token, "the sign-in page carries its CSRF token"
        issued = browser.post("/sign-in/message", json={"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, headers={"X-CSRFToken": token.group(1)})
    assert issued.status_code == 200, issued.text
    message = issued.json()["message"]
    assert message.splitlines()[0].endswith(f"{site.removeprefix('http://')} wants you to sign in with your Ethereum account:"), message
    assert f"URI: {site}" in message.splitlines()


def test_dev_serves_and_a_restart_finds_the_same_contract_and_data(tmp_path: Path) -> None:
    web_port, chain_port = free_port(), free_port()
    rpc_url = f"http://127.0.0.1:{chain_port}"

    first = start_dev(tmp_path, web_port, chain_port)
    try:
        wait_for_site(first, f"http://127.0.0.1:{web_port}/")
        assert_sign_in_is_for(f"http://127.0.0.1:{web_port}")
        w3 = connect(rpc_url, 31337)
        address = w3.eth.contract  # noqa: F841  (connection works)
        from app import create_app
        from app.chain.service import resident_contract_address
        from app.config import Config

        config = Config({"INSTANCE_PATH": str(tmp_path), "CHAIN_RPC_URL": rpc_url})
        with create_app(config).app_context():
            contract = resident_contract_address(config)
        from eth_account import Account

        Minter(w3, Account.from_key(DEV_KEYS[KeyRole.MINTER][1])).mint(contract, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", hashlib.sha256(b"card").digest())
        time.sleep(1.5)  # anvil writes its state file every second
    finally:
        output = stop(first)
    assert f"deployed at {contract}" in output
    assert "Stopped the local chain." in output
    assert first.returncode == 0, output
    assert not port_answers(rpc_url), "the chain outlived the command that started it"
    assert (tmp_path / "chain-state.json").exists()

    second = start_dev(tmp_path, web_port, chain_port)
    try:
        wait_for_site(second, f"http://127.0.0.1:{web_port}/")
        registry = ResidentRegistry(connect(rpc_url, 31337), contract).ensure_deployed()
        assert registry.owner_of(1) == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    finally:
        output = stop(second)
    assert f"found at {contract}" in output
    assert "Running upgrade" not in output
