"""Fixtures for the indexer and chain-gating tests: a freshly deployed resident contract on
anvil, a minter, wallets with anvil's dev keys #1 and #2, and helpers that run the indexer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import count

import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_account.signers.local import LocalAccount
from flask import Flask
from web3 import Web3

from app.chain.anvil import AnvilProcess
from app.chain.artifacts import load_artifact
from app.chain.client import RESIDENT_CONTRACT, ResidentRegistry
from app.chain.indexer import CatchUp, IndexerStep, catch_up, open_indexer
from app.chain.models import Holding
from app.extensions import db
from minting.minter import CardAdmin, Minter
from tests.integration.town_keys import town_keys

#: anvil's well-known dev accounts #1 and #2 (public test keys, chain 31337 only).
HOLDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"

_digests = count(1)


def digest() -> bytes:
    """A fresh metadata digest (any non-zero 32 bytes will do for the contract)."""
    return hashlib.sha256(f"card {next(_digests)}".encode()).digest()


@dataclass
class CardChain:
    """A deployed DigitalResident contract on anvil and the wallets that act on it."""

    w3: Web3
    address: str
    minter: Minter
    admin: CardAdmin
    holder: LocalAccount
    other: LocalAccount

    def mint(self, to: str) -> int:
        self.minter.mint(self.address, to, digest())
        number = ResidentRegistry(self.w3, self.address).card_of(to)
        assert number is not None
        return number

    def mint_batch(self, recipients: list[str]) -> tuple[int, ...]:
        return self.minter.mint_batch(self.address, recipients, [digest() for _ in recipients]).resident_numbers

    @property
    def contract(self):  # type: ignore[no-untyped-def]
        return self.w3.eth.contract(address=Web3.to_checksum_address(self.address), abi=load_artifact(RESIDENT_CONTRACT).abi)

    def transfer(self, sender: LocalAccount, to: str, resident_number: int) -> int:
        """Move a card with its holder's own key, as a wallet would; return the block."""
        transaction = self.contract.functions.transferFrom(sender.address, to, resident_number).build_transaction(
            {"from": sender.address, "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"), "chainId": 31337}
        )
        signed = sender.sign_transaction(transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        assert receipt["status"] == 1
        return int(receipt["blockNumber"])

    def owners(self) -> dict[int, str]:
        """Every live card's holder, read from the contract itself."""
        last = int(self.contract.functions.lastResidentNumber().call())
        holders = {}
        for number in range(1, last + 1):
            try:
                holders[number] = Web3.to_checksum_address(self.contract.functions.ownerOf(number).call())
            except Exception:  # noqa: BLE001 (revoked: ERC721NonexistentToken)
                continue
        return holders


def deploy_cards(app: Flask, rpc_url: str, *, soulbound: bool) -> CardChain:
    """Deploy a fresh contract through the deploy service, recorded for chain 31337."""
    from minting.service import ContractSettings, deploy_resident_contract

    w3 = Web3(Web3.HTTPProvider(rpc_url))
    keys = town_keys(w3)
    with app.app_context():
        outcome = deploy_resident_contract(keys.admin, 31337, ContractSettings(soulbound=soulbound), "test", minter=keys.minter.address, organizer=keys.anchor.address)
        db.session.commit()
        address = outcome.deployment.address
    return CardChain(w3, address, keys.minter, keys.admin, Account.from_key(HOLDER_KEY), Account.from_key(OTHER_KEY))


@pytest.fixture
def cards(anvil: AnvilProcess, app: Flask) -> CardChain:
    """A transferable resident contract, freshly deployed for this test."""
    return deploy_cards(app, anvil.rpc_url, soulbound=False)


@pytest.fixture
def soulbound_cards(anvil: AnvilProcess, app: Flask) -> CardChain:
    return deploy_cards(app, anvil.rpc_url, soulbound=True)


def run_indexer(app: Flask, **options: object) -> CatchUp:
    """Catch the indexer up with anvil, the way `residents indexer --once` does."""
    with app.app_context():
        return catch_up(open_indexer(app.config["SETTINGS"], **options))  # type: ignore[arg-type]


def one_step(app: Flask, **options: object) -> IndexerStep:
    """One indexer step, committed: what the follow loop does once per poll."""
    with app.app_context():
        step = open_indexer(app.config["SETTINGS"], **options).step()  # type: ignore[arg-type]
        db.session.commit()
        return step


def holdings(app: Flask) -> dict[int, str]:
    with app.app_context():
        return {number: holder for number, holder in db.session.execute(sa.select(Holding.resident_number, Holding.holder))}
