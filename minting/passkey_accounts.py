"""Deploying the passkey residents' account factory, and their accounts, and recording them.

`residents deploy` calls `deploy_account_factory` after the card contract; the card pipeline
(or an admin command) calls `deploy_resident_account` when a passkey resident's account is first
needed on chain. Both are idempotent and paid by the town's minting key: neither is an admin
power (the factory has no owner and anyone may deploy an account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.audit import service as audit
from app.chain.models import Deployment
from app.chain.passkey_accounts import ACCOUNT_CONTRACT, FACTORY_CONTRACT, AccountFactoryMissing
from app.chain.service import find_deployment, has_code
from app.extensions import db
from minting.minter import Minter, PasskeyAccountDeployment, Receipt, deploy_passkey_account, deploy_passkey_account_factory

if TYPE_CHECKING:  # only app/chain/ and minting/minter.py use web3 itself
    from web3 import Web3


@dataclass(frozen=True)
class AccountFactoryOutcome:
    factory: Deployment
    implementation: Deployment
    #: False when the factory was already deployed on this chain and nothing was sent.
    created: bool


def account_factory_deployed(w3: Web3, chain_id: int) -> bool:
    """Whether the implementation and factory are recorded for this chain and the factory has code there."""
    factory = find_deployment(chain_id, FACTORY_CONTRACT)
    return factory is not None and find_deployment(chain_id, ACCOUNT_CONTRACT) is not None and has_code(w3, factory.address)


def deploy_account_factory(minter: Minter, chain_id: int, actor: str) -> AccountFactoryOutcome:
    """Deploy the ResidentAccount implementation and its factory unless this chain has them; record and audit."""
    factory = find_deployment(chain_id, FACTORY_CONTRACT)
    implementation = find_deployment(chain_id, ACCOUNT_CONTRACT)
    if factory is not None and implementation is not None and account_factory_deployed(minter.w3, chain_id):
        return AccountFactoryOutcome(factory, implementation, created=False)

    deployed = deploy_passkey_account_factory(minter)
    implementation = _record(implementation or Deployment(chain_id=chain_id, contract_name=ACCOUNT_CONTRACT), deployed.implementation)
    factory = _record(factory or Deployment(chain_id=chain_id, contract_name=FACTORY_CONTRACT), deployed.factory)
    audit.record(
        actor,
        "passkey_factory.deploy",
        factory.address,
        chain_id=chain_id,
        implementation=implementation.address,
        block_number=factory.block_number,
        transaction_hash=factory.transaction_hash,
    )
    return AccountFactoryOutcome(factory, implementation, created=True)


def deploy_resident_account(minter: Minter, chain_id: int, qx: bytes, qy: bytes, actor: str) -> PasskeyAccountDeployment:
    """Deploy the account of passkey (qx, qy) through the recorded factory unless it is deployed; audit a deployment."""
    factory = find_deployment(chain_id, FACTORY_CONTRACT)
    if factory is None:
        raise AccountFactoryMissing(chain_id)
    outcome = deploy_passkey_account(minter, factory.address, qx, qy)
    if outcome.receipt is not None:
        audit.record(actor, "passkey_account.deploy", outcome.address, chain_id=chain_id, qx=qx.hex(), qy=qy.hex(), transaction_hash=outcome.receipt.transaction_hash)
    return outcome


def _record(deployment: Deployment, receipt: Receipt) -> Deployment:
    assert receipt.contract_address is not None
    deployment.address = receipt.contract_address
    deployment.block_number = receipt.block_number
    deployment.transaction_hash = receipt.transaction_hash
    # The column describes card collections; the account contracts are none.
    deployment.soulbound = False
    db.session.add(deployment)
    db.session.flush()
    return deployment
