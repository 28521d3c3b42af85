"""The town's three keys on anvil, as the local chain's defaults give them (minting.keys.DEV_KEYS):
a card contract deployed by the admin key with the minting and anchor keys holding their roles."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from web3 import Web3

from app.chain.client import ResidentRegistry
from minting.keys import DEV_KEYS, KeyRole
from minting.minter import AnchorSigner, CardAdmin, Minter


@dataclass(frozen=True)
class TownKeys:
    admin: CardAdmin
    minter: Minter
    anchor: AnchorSigner

    @property
    def w3(self) -> Web3:
        return self.admin.w3


def town_keys(w3: Web3) -> TownKeys:
    """Signers for the three local development keys (each its own anvil account)."""
    key = {role: Account.from_key(DEV_KEYS[role][1]) for role in KeyRole}
    return TownKeys(CardAdmin(w3, key[KeyRole.ADMIN]), Minter(w3, key[KeyRole.MINTER]), AnchorSigner(w3, key[KeyRole.ANCHOR]))


def deploy_card(keys: TownKeys, *, soulbound: bool = True, contract_uri: str = "") -> ResidentRegistry:
    """A fresh DigitalResident: admin, minter and organizer each on their own key."""
    receipt = keys.admin.deploy_resident_contract(
        "Nishikawa Digital Resident", "NDR", soulbound, contract_uri, minter=keys.minter.address, organizer=keys.anchor.address
    )
    assert receipt.contract_address is not None
    return ResidentRegistry(keys.w3, receipt.contract_address).ensure_deployed()
