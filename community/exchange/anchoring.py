"""The chain side of closing an event: reads through app/chain, the one write with the anchor key.

Kept apart from the service so views and the service never import web3 or the signers; tests
build a ChainAnchor from their own AnchorSigner on anvil. The anchor key (ORGANIZER_ROLE) is the
only key a web process loads: it can anchor records and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from app.chain.client import ResidentRegistry
from community.exchange.service import OnChainAnchor
from minting.minter import AnchorSigner

#: Seconds a close waits for another process anchoring with the same key (a page request).
WEB_SEND_LOCK_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class ChainAnchor:
    """Anchors attendance roots on the DigitalResident contract with the anchor key."""

    registry: ResidentRegistry
    signer: AnchorSigner
    chain_id: int
    site_id: str

    @property
    def contract_address(self) -> str:
        return str(self.registry.address)

    def anchored(self, event_key: bytes) -> OnChainAnchor | None:
        found = self.registry.attendance_root(event_key)
        return None if found is None else OnChainAnchor(found.merkle_root, found.attendee_count)

    def anchor(self, event_key: bytes, merkle_root: bytes, attendee_count: int) -> str:
        return self.signer.anchor_attendance(self.contract_address, event_key, merkle_root, attendee_count).transaction_hash


def build_chain_anchor(app: Flask) -> ChainAnchor:
    """Connect to the configured chain and load the anchor key (never interactive in a request)."""
    from app.chain.anchors import site_id
    from app.chain.sendlock import DatabaseSendLock
    from app.chain.service import open_registry
    from app.extensions import db
    from minting.keys import KeyRole, load_signing_account

    config = app.config["SETTINGS"]
    registry = open_registry(config)
    account = load_signing_account(KeyRole.ANCHOR, config, interactive=False)
    signer = AnchorSigner(registry.w3, account, send_lock=DatabaseSendLock(db.engine, wait_seconds=WEB_SEND_LOCK_WAIT_SECONDS))
    return ChainAnchor(registry, signer, config.CHAIN_ID, site_id(config.SITE_URL))
