"""Errors of the chain layer; each message says what happened and what to do next."""

from __future__ import annotations


class ChainError(Exception):
    """Base of every chain failure the site reports."""


class ChainUnreachable(ChainError):
    def __init__(self, rpc_url: str, reason: str) -> None:
        super().__init__(
            f"Setting CHAIN_RPC_URL: no chain node answers at {rpc_url} ({reason}). "
            "Start the local chain with `residents chain` (or `make run`), or fix the URL."
        )
        self.rpc_url = rpc_url


class ChainIdMismatch(ChainError):
    def __init__(self, expected: int, actual: int, rpc_url: str) -> None:
        super().__init__(
            f"Setting CHAIN_ID: expected chain {expected}, but the node at {rpc_url} reports chain {actual}. "
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
