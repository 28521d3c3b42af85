"""Read access to the chain: connection checks and typed reads of the resident contract."""

from __future__ import annotations

import requests
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, Web3Exception

from app.chain.artifacts import load_artifact
from app.chain.errors import ChainError, ChainIdMismatch, ChainUnreachable, ContractMissing

RESIDENT_CONTRACT = "DigitalResident"


def connect(rpc_url: str, expected_chain_id: int, timeout: float = 10.0) -> Web3:
    """Return a Web3 connected to `rpc_url`, after checking the node answers with the expected chain id."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    try:
        actual = w3.eth.chain_id
    except (requests.RequestException, Web3Exception, OSError, ValueError) as exc:
        raise ChainUnreachable(rpc_url, type(exc).__name__) from None
    if actual != expected_chain_id:
        raise ChainIdMismatch(expected_chain_id, actual, rpc_url)
    return w3


class ResidentRegistry:
    """Reads of the DigitalResident contract at one address."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.contract: Contract = w3.eth.contract(address=self.address, abi=load_artifact(RESIDENT_CONTRACT).abi)

    def ensure_deployed(self) -> ResidentRegistry:
        if not self.w3.eth.get_code(self.address):
            raise ContractMissing(self.address, self.w3.eth.chain_id)
        return self

    def owner_of(self, resident_number: int) -> ChecksumAddress | None:
        """Return the wallet holding card `resident_number`, or None if it does not exist."""
        try:
            return Web3.to_checksum_address(self.contract.functions.ownerOf(resident_number).call())
        except ContractCustomError:
            return None  # ERC721NonexistentToken: never issued, or revoked
        except Web3Exception as exc:
            raise ChainError(f"Could not read the holder of card {resident_number} from {self.address}: {exc}") from exc

    def last_resident_number(self) -> int:
        return int(self.contract.functions.lastResidentNumber().call())
