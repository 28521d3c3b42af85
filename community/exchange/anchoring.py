"""The chain side of closing an event: reads through app/chain, the one write through the minter.

Kept apart from the service so views and the service never import web3 or the minter; tests
build a ChainAnchor from their own Minter on anvil.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from app.chain.client import ResidentRegistry
from community.exchange.service import OnChainAnchor
from minting.minter import Minter


@dataclass(frozen=True)
class ChainAnchor:
    """Anchors attendance roots on the DigitalResident contract with the minter's key (ORGANIZER_ROLE)."""

    registry: ResidentRegistry
    minter: Minter
    chain_id: int

    @property
    def contract_address(self) -> str:
        return str(self.registry.address)

    def anchored(self, event_id: int) -> OnChainAnchor | None:
        found = self.registry.attendance_root(event_id)
        return None if found is None else OnChainAnchor(found.merkle_root, found.attendee_count)

    def anchor(self, event_id: int, merkle_root: bytes, attendee_count: int) -> str:
        return self.minter.anchor_attendance(self.contract_address, event_id, merkle_root, attendee_count).transaction_hash


def build_chain_anchor(app: Flask) -> ChainAnchor:
    """Connect to the configured chain and load the signing key (never interactive in a request)."""
    from app.chain.service import open_registry
    from minting.keys import load_minter_account

    config = app.config["SETTINGS"]
    registry = open_registry(config)
    return ChainAnchor(registry, Minter(registry.w3, load_minter_account(config, interactive=False)), config.CHAIN_ID)
