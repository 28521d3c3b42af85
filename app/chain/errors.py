"""Errors of the chain layer; each message says what happened and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.security import redacted_url

if TYPE_CHECKING:
    from app.chain.client import ContractRevert


class ChainError(Exception):
    """Base of every chain failure the site reports."""


class ChainUnreachable(ChainError):
    def __init__(self, rpc_url: str, reason: str) -> None:
        super().__init__(
            f"Setting CHAIN_RPC_URL: no chain node answers at {redacted_url(rpc_url)} ({reason}). "
            "Start the local chain with `residents chain` (or `make run`), or fix the URL."
        )
        self.rpc_url = redacted_url(rpc_url)


class ChainIdMismatch(ChainError):
    def __init__(self, expected: int, actual: int, rpc_url: str) -> None:
        super().__init__(
            f"Setting CHAIN_ID: expected chain {expected}, but the node at {redacted_url(rpc_url)} reports chain {actual}. "
            "Point CHAIN_RPC_URL at the right network or set CHAIN_ID to match it."
        )
        self.expected = expected
        self.actual = actual


class ContractMissing(ChainError):
    def __init__(self, address: str, chain_id: int, setting: str = "RESIDENT_CONTRACT_ADDRESS") -> None:
        super().__init__(
            f"Setting {setting}: there is no contract code at {address} on chain {chain_id}. "
            "Deploy with `residents deploy`, or set the address of the deployed contract."
        )
        self.address = address


class ContractNotDeployed(ChainError):
    def __init__(self, chain_id: int) -> None:
        super().__init__(
            f"Setting RESIDENT_CONTRACT_ADDRESS: no DigitalResident contract is recorded for chain {chain_id}. "
            "Run `residents deploy`, or set RESIDENT_CONTRACT_ADDRESS."
        )


class ArtifactMissing(ChainError):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(f"The compiled contract {name} is missing ({path}). Compile the contracts with `make contracts`.")


class AnvilUnavailable(ChainError):
    """The local anvil binary is missing or would not start."""


class NodeStoppedAnswering(ChainError):
    """The node answered when the site connected, but not for this read."""

    def __init__(self, rpc_url: str, action: str, reason: str) -> None:
        super().__init__(
            f"{action} failed: the chain node at {redacted_url(rpc_url)} stopped answering ({reason}). "
            "Check that it is running (`residents chain` starts the local one) or that the network is up, then retry."
        )
        self.rpc_url = redacted_url(rpc_url)


class ContractCallReverted(ChainError):
    """A read the contract should always answer reverted; carries the decoded custom error."""

    def __init__(self, action: str, address: str, revert: ContractRevert) -> None:
        super().__init__(
            f"{action} failed: the contract at {address} refused: {revert}. "
            "Check that RESIDENT_CONTRACT_ADDRESS points at a DigitalResident contract built from this checkout."
        )
        self.revert = revert


class CardNotFound(ChainError):
    def __init__(self, resident_number: int, address: str) -> None:
        super().__init__(
            f"Card {resident_number} does not exist on {address}: it was never issued, or it was revoked. "
            "Check the resident number."
        )
        self.resident_number = resident_number


class UnknownRole(ChainError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"There is no role named {name!r} on the resident contract. Use one of: {', '.join(known)}.")
        self.name = name
