"""Deploying the resident contract and recording where it lives."""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import service as audit
from app.chain.client import RESIDENT_CONTRACT, Role
from app.chain.models import Deployment
from app.chain.service import find_deployment, has_code
from app.config import LOCAL_CHAIN_ID
from app.extensions import db
from minting.minter import Minter


@dataclass(frozen=True)
class ContractSettings:
    name: str = "Nishikawa Digital Resident"
    symbol: str = "NDR"
    soulbound: bool = True
    contract_uri: str = ""


@dataclass(frozen=True)
class DeployOutcome:
    deployment: Deployment
    #: False when the contract was already deployed on this chain and nothing was sent.
    created: bool
    #: True when a recorded deployment had no code any more (a reset local chain) and was replaced.
    replaced_stale: bool = False


def deploy_resident_contract(minter: Minter, chain_id: int, settings: ContractSettings, actor: str) -> DeployOutcome:
    """Deploy DigitalResident unless this chain already has it; record the deployment and audit it.

    On the local chain (31337) the minter account also receives ORGANIZER_ROLE, so one dev key
    can mint and anchor exchange-event attendance in `make run` and the tests. On any other
    chain the roles stay apart: the mayor's office anchors with its own key, which the town's
    admin grants deliberately, and a leaked minting key cannot write attendance records.
    """
    existing = find_deployment(chain_id)
    if existing is not None and has_code(minter.w3, existing.address):
        return DeployOutcome(existing, created=False)

    receipt = minter.deploy_resident_contract(settings.name, settings.symbol, settings.soulbound, settings.contract_uri)
    assert receipt.contract_address is not None
    organizer = None
    if chain_id == LOCAL_CHAIN_ID:
        minter.grant_role(receipt.contract_address, Role.ORGANIZER, minter.address)
        organizer = minter.address
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
        organizer_granted_to=organizer,
    )
    return DeployOutcome(deployment, created=True, replaced_stale=existing is not None)
