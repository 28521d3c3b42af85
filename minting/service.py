"""Deploying the resident contract and recording where it lives."""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import service as audit
from app.chain.client import RESIDENT_CONTRACT
from app.chain.models import Deployment
from app.chain.service import find_deployment, has_code
from app.config import LOCAL_CHAIN_ID
from app.extensions import db
from minting.minter import CardAdmin

#: Hours between starting and accepting a transfer of the admin role, off the local chain: long
#: enough for the town to notice and cancel a transfer it did not start.
DEFAULT_ADMIN_DELAY_HOURS = 48


@dataclass(frozen=True)
class ContractSettings:
    name: str = "Nishikawa Digital Resident"
    symbol: str = "NDR"
    soulbound: bool = True
    contract_uri: str = ""
    #: None: DEFAULT_ADMIN_DELAY_HOURS, or none at all on the local chain.
    admin_delay_hours: int | None = None


@dataclass(frozen=True)
class DeployOutcome:
    deployment: Deployment
    #: False when the contract was already deployed on this chain and nothing was sent.
    created: bool
    #: True when a recorded deployment had no code any more (a reset local chain) and was replaced.
    replaced_stale: bool = False


def admin_delay_seconds(chain_id: int, settings: ContractSettings) -> int:
    hours = settings.admin_delay_hours
    if hours is None:
        hours = 0 if chain_id == LOCAL_CHAIN_ID else DEFAULT_ADMIN_DELAY_HOURS
    return hours * 3600


def deploy_resident_contract(admin: CardAdmin, chain_id: int, settings: ContractSettings, actor: str, *, minter: str, organizer: str) -> DeployOutcome:
    """Deploy DigitalResident unless this chain already has it; record the deployment and audit it.

    The admin key deploys and keeps only DEFAULT_ADMIN_ROLE; the constructor gives MINTER_ROLE
    to the minting key and ORGANIZER_ROLE to the anchor key, so each key can do only its own
    work from the first block on (least privilege: a leaked anchor key anchors, nothing more).
    """
    existing = find_deployment(chain_id)
    if existing is not None and has_code(admin.w3, existing.address):
        return DeployOutcome(existing, created=False)

    delay = admin_delay_seconds(chain_id, settings)
    receipt = admin.deploy_resident_contract(
        settings.name, settings.symbol, settings.soulbound, settings.contract_uri, minter=minter, organizer=organizer, admin_transfer_delay=delay
    )
    assert receipt.contract_address is not None
    deployment = existing or Deployment(chain_id=chain_id, contract_name=RESIDENT_CONTRACT)
    deployment.address = receipt.contract_address
    deployment.block_number = receipt.block_number
    deployment.transaction_hash = receipt.transaction_hash
    deployment.soulbound = settings.soulbound
    db.session.add(deployment)
    db.session.flush()
    audit.record(
        actor,
        "contract.deploy",
        deployment.address,
        chain_id=chain_id,
        block_number=receipt.block_number,
        transaction_hash=receipt.transaction_hash,
        soulbound=settings.soulbound,
        replaced=existing is not None,
        admin=admin.address,
        admin_delay_seconds=delay,
        minter=minter,
        organizer=organizer,
    )
    return DeployOutcome(deployment, created=True, replaced_stale=existing is not None)
