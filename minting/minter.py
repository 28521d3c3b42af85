"""The only code that signs chain writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3Exception

from app.chain.artifacts import load_artifact
from app.chain.client import RESIDENT_CONTRACT
from minting.errors import TransactionFailed


@dataclass(frozen=True)
class Receipt:
    transaction_hash: str
    block_number: int
    gas_used: int
    contract_address: ChecksumAddress | None = None


class Minter:
    """Signs and sends transactions for the resident contract with one account, waiting for each receipt."""

    def __init__(self, w3: Web3, account: LocalAccount, receipt_timeout: float = 120.0) -> None:
        self.w3 = w3
        self.account = account
        self.receipt_timeout = receipt_timeout

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def deploy_resident_contract(self, name: str, symbol: str, soulbound: bool, contract_uri: str) -> Receipt:
        """Deploy DigitalResident with this account as its admin and minter."""
        artifact = load_artifact(RESIDENT_CONTRACT)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        constructor = factory.constructor(name, symbol, self.address, soulbound, contract_uri)
        return self._send("Deploying DigitalResident", constructor.build_transaction(self._base_transaction()))

    def mint(self, contract_address: str, to: str, metadata_digest: bytes) -> Receipt:
        """Issue the next resident card to `to`."""
        function = self._contract(contract_address).functions.mint(Web3.to_checksum_address(to), metadata_digest)
        return self._transact(f"Minting a card to {to}", function)

    def _contract(self, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(RESIDENT_CONTRACT).abi)

    def _base_transaction(self) -> dict[str, Any]:
        return {"from": self.address, "nonce": self.w3.eth.get_transaction_count(self.address, "pending"), "chainId": self.w3.eth.chain_id}

    def _transact(self, action: str, function: ContractFunction) -> Receipt:
        try:
            transaction = function.build_transaction(self._base_transaction())
        except (ContractCustomError, ContractLogicError) as exc:
            raise TransactionFailed(action, f"the contract refused: {exc}") from None
        return self._send(action, transaction)

    def _send(self, action: str, transaction: dict[str, Any]) -> Receipt:
        signed = self.account.sign_transaction(transaction)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout)
        except TimeExhausted:
            raise TransactionFailed(action, f"not mined within {self.receipt_timeout:.0f} s; rerun the command to check and continue", signed.hash.to_0x_hex()) from None
        except Web3Exception as exc:
            raise TransactionFailed(action, str(exc), signed.hash.to_0x_hex()) from None
        if receipt["status"] != 1:
            raise TransactionFailed(action, "reverted", tx_hash.to_0x_hex())
        return Receipt(
            transaction_hash=tx_hash.to_0x_hex(),
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
            contract_address=receipt.get("contractAddress"),
        )
