"""Errors of the minting layer; each message says what happened and what to do next."""

from __future__ import annotations


class MintError(Exception):
    """Base of every failure while issuing or changing resident cards."""


class SigningKeyError(MintError):
    """No usable signing key for the configured chain."""


class TransactionFailed(MintError):
    """A transaction reverted or was not mined; names the transaction and the contract's error."""

    def __init__(self, action: str, reason: str, transaction_hash: str | None = None) -> None:
        where = f" (transaction {transaction_hash})" if transaction_hash else ""
        super().__init__(f"{action} failed{where}: {reason}")
        self.action = action
        self.reason = reason
        self.transaction_hash = transaction_hash
