"""Which chain and contract the site uses, as configured and as recorded by deploys."""

from __future__ import annotations

import sqlalchemy as sa
from web3 import Web3

from app.chain.client import RESIDENT_CONTRACT, ResidentRegistry, connect
from app.chain.errors import ContractMissing, ContractNotDeployed
from app.chain.models import Deployment
from app.config import Config
from app.extensions import db


def find_deployment(chain_id: int, contract_name: str = RESIDENT_CONTRACT) -> Deployment | None:
    return db.session.scalar(sa.select(Deployment).filter_by(chain_id=chain_id, contract_name=contract_name))


def has_code(w3: Web3, address: str) -> bool:
    return bool(w3.eth.get_code(Web3.to_checksum_address(address)))


def resident_contract_address(config: Config) -> str:
    """Return the configured contract address, else the one recorded for the configured chain."""
    if config.RESIDENT_CONTRACT_ADDRESS:
        if not Web3.is_address(config.RESIDENT_CONTRACT_ADDRESS):
            raise ContractMissing(config.RESIDENT_CONTRACT_ADDRESS, config.CHAIN_ID)
        return Web3.to_checksum_address(config.RESIDENT_CONTRACT_ADDRESS)
    deployment = find_deployment(config.CHAIN_ID)
    if deployment is None:
        raise ContractNotDeployed(config.CHAIN_ID)
    return deployment.address


def open_chain(config: Config) -> Web3:
    """Connect to the configured node, checking it answers with the configured chain id."""
    return connect(config.CHAIN_RPC_URL, config.CHAIN_ID)


def open_registry(config: Config) -> ResidentRegistry:
    """Return the resident contract on the configured chain, checking there is code at its address."""
    address = resident_contract_address(config)
    return ResidentRegistry(open_chain(config), address, deployment_block(config.CHAIN_ID, address)).ensure_deployed()


def deployment_block(chain_id: int, address: str) -> int:
    """The block `residents deploy` recorded for the contract at `address`; 0 (genesis) when unknown."""
    deployment = db.session.scalar(sa.select(Deployment).filter_by(chain_id=chain_id, address=Web3.to_checksum_address(address)))
    return deployment.block_number if deployment is not None else 0
