"""How every signed write is sent, on real anvil nodes: one sender per key at a time (a lock in the
database), recovery from a nonce another sender took, and gas limits under the EIP-7825 cap."""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from flask import Flask
from web3 import Web3

from app.chain.anvil import AnvilProcess, start_anvil
from app.chain.client import ResidentRegistry, connect
from app.chain.sendlock import DatabaseSendLock, SendLockTimeout
from app.extensions import db
from minting.errors import GasCapExceeded
from minting.minter import GAS_HEADROOM, TX_GAS_CAP, Minter
from tests.integration.town_keys import TownKeys, deploy_card, town_keys

pytestmark = pytest.mark.chain


def wallets(count: int, seed: str) -> list[str]:
    return [Web3.to_checksum_address(hashlib.sha256(f"{seed} {i}".encode()).digest()[:20]) for i in range(count)]


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class RecordingAccount:
    """The minting account, recording every nonce it signs; `before_sign` runs first."""

    def __init__(self, account: Any, before_sign: Any = None) -> None:
        self._account = account
        self.before_sign = before_sign
        self.nonces: list[int] = []
        self._guard = threading.Lock()

    def sign_transaction(self, transaction: Any) -> Any:
        if self.before_sign is not None:
            self.before_sign(transaction)
        with self._guard:
            self.nonces.append(int(transaction["nonce"]))
        return self._account.sign_transaction(transaction)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._account, name)


@pytest.fixture
def keys(anvil: AnvilProcess) -> TownKeys:
    return town_keys(connect(anvil.rpc_url, 31337))


@pytest.fixture
def registry(keys: TownKeys) -> ResidentRegistry:
    return deploy_card(keys)


# ---- one sender per key --------------------------------------------------------------------


def test_two_processes_with_one_key_take_turns(app_context: Flask, keys: TownKeys, registry: ResidentRegistry, anvil: AnvilProcess) -> None:
    """Each sender waits at a barrier after reading its nonce: without the lock both would sign
    the same nonce; with it the second reads the nonce only after the first transaction is in."""
    barrier = threading.Barrier(2)

    def wait_for_the_other(transaction: Any) -> None:
        try:
            barrier.wait(timeout=1.0)
        except threading.BrokenBarrierError:
            pass  # the other sender is held by the lock: it cannot get here meanwhile

    account = RecordingAccount(keys.minter.account, wait_for_the_other)
    lock = DatabaseSendLock(db.engine)
    # Two signers with their own connection, as two processes would have.
    signers = [Minter(connect(anvil.rpc_url, 31337), account, send_lock=lock) for _ in range(2)]  # type: ignore[arg-type]
    recipients = wallets(2, "turns")
    failures: list[BaseException] = []

    def mint(signer: Minter, to: str) -> None:
        try:
            signer.mint(registry.address, to, digest(to))
        except BaseException as exc:  # noqa: BLE001 (collected for the assertion below)
            failures.append(exc)

    threads = [threading.Thread(target=mint, args=pair) for pair in zip(signers, recipients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    first, second = sorted(account.nonces) if len(account.nonces) == 2 else (None, None)
    assert len(account.nonces) == 2 and second == first + 1, f"signed nonces {account.nonces}: one was taken twice and re-signed"
    assert {registry.card_of(to) for to in recipients} == {1, 2}


def test_a_sender_waiting_too_long_for_the_lock_says_who_holds_it(app_context: Flask, keys: TownKeys) -> None:
    lock = DatabaseSendLock(db.engine, wait_seconds=0.2)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.hold(31337, keys.minter.address):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(SendLockTimeout, match=rf"Another process has been sending transactions with {keys.minter.address} on chain 31337"):
            with lock.hold(31337, keys.minter.address):
                pass
        with lock.hold(31337, keys.admin.address):  # another key is not held up
            pass
    finally:
        release.set()
        holder.join()
    with lock.hold(31337, keys.minter.address):  # released with its holder
        pass


def test_a_nonce_taken_by_another_wallet_is_read_again_from_the_chain(keys: TownKeys, registry: ResidentRegistry) -> None:
    """Someone uses the minting key elsewhere (a wallet app, a process without the lock) right
    after this signer read its nonce: the node refuses the nonce, the signer asks the chain again."""
    w3 = keys.w3
    minted_elsewhere: list[str] = []

    def someone_else_sends_first(transaction: Any) -> None:
        if minted_elsewhere:
            return
        # Signed and sent with plain web3 and the same nonce, outside the signer and its lock.
        minted_elsewhere.append(wallets(1, "elsewhere")[0])
        other = registry.contract.functions.mint(minted_elsewhere[0], digest("elsewhere")).build_transaction(
            {"from": keys.minter.address, "nonce": transaction["nonce"], "chainId": 31337}
        )
        signed = keys.minter.account.sign_transaction(other)
        assert w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))["status"] == 1

    account = RecordingAccount(keys.minter.account, someone_else_sends_first)
    minter = Minter(w3, account)  # type: ignore[arg-type]
    receipt = minter.mint(registry.address, wallets(1, "here")[0], digest("here"))
    assert w3.eth.get_transaction(receipt.transaction_hash)["nonce"] == account.nonces[-1] == account.nonces[0] + 1  # type: ignore[arg-type]
    assert registry.card_of(minted_elsewhere[0]) == 1 and registry.card_of(wallets(1, "here")[0]) == 2


# ---- gas -----------------------------------------------------------------------------------


def test_the_gas_limit_sent_has_headroom_over_the_estimate(keys: TownKeys, registry: ResidentRegistry) -> None:
    recipients = wallets(5, "headroom")
    estimate = registry.contract.functions.mintBatch(recipients, [digest(r) for r in recipients]).estimate_gas({"from": keys.minter.address})
    issued = keys.minter.mint_batch(registry.address, recipients, [digest(r) for r in recipients])
    sent = keys.w3.eth.get_transaction(issued.receipt.transaction_hash)["gas"]  # type: ignore[arg-type]
    assert sent == math.ceil(estimate * GAS_HEADROOM) > issued.receipt.gas_used


@pytest.fixture
def capped_anvil() -> Iterator[AnvilProcess]:
    """A node that enforces one transaction's cap: blocks of 16,777,216 gas, and EIP-7825."""
    node = start_anvil(extra_args=("--gas-limit", str(TX_GAS_CAP), "--enable-tx-gas-limit"))
    yield node
    node.stop()


def test_a_batch_too_big_for_one_transaction_names_the_cap_and_what_fits(capped_anvil: AnvilProcess) -> None:
    keys = town_keys(connect(capped_anvil.rpc_url, 31337))
    registry = deploy_card(keys)
    recipients = wallets(300, "too many")
    nonce = keys.w3.eth.get_transaction_count(keys.minter.address)
    with pytest.raises(GasCapExceeded) as caught:
        keys.minter.mint_batch(registry.address, recipients, [digest(r) for r in recipients])
    fits = caught.value.fits
    assert fits is not None and 150 < fits < 235
    assert "one transaction may use at most 16,777,216 gas here (EIP-7825 caps every transaction at 16,777,216" in str(caught.value)
    assert str(caught.value).endswith(f"Nothing was sent. Mint at most {fits} cards per transaction: rerun with --batch-size {fits}.")
    assert keys.w3.eth.get_transaction_count(keys.minter.address) == nonce, "nothing was sent"

    assert keys.minter.batch_fit(registry.address, recipients).fits == fits
    issued = keys.minter.mint_batch(registry.address, recipients[:fits], [digest(r) for r in recipients[:fits]])
    assert len(issued.resident_numbers) == fits
    sent = keys.w3.eth.get_transaction(issued.receipt.transaction_hash)["gas"]  # type: ignore[arg-type]
    assert issued.receipt.gas_used < sent <= TX_GAS_CAP
