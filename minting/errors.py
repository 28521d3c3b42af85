"""Errors of the minting layer; each message says what happened and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.chain.client import ContractRevert


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


class InvalidMintRequest(MintError):
    """An argument the contract would refuse anyway, caught before anything is signed."""


class ContractRejected(TransactionFailed):
    """The contract refused the transaction; names its custom error and the error's arguments.

    Raised at gas estimation (nothing was sent) or, when the chain changed between estimation
    and mining, after a mined transaction reverted (then `transaction_hash` is set).
    """

    def __init__(self, action: str, revert: ContractRevert, transaction_hash: str | None = None) -> None:
        sent = "" if transaction_hash else " Nothing was sent."
        super().__init__(action, f"the contract refused: {revert}.{sent} {next_step(revert.name)}", transaction_hash)
        self.revert = revert
        self.error_name = revert.name
        self.arguments = dict(revert.arguments)


class GasCapExceeded(TransactionFailed):
    """A transaction needs more gas than one transaction may use on this node; nothing was sent."""

    def __init__(self, action: str, estimate: int | None, gas_cap: int, block_gas_limit: int, *, fits: int | None = None) -> None:
        needs = f"it needs about {estimate:,} gas" if estimate else "it needs more gas than the node allows"
        limit = (
            f"one transaction may use at most {gas_cap:,} gas here (EIP-7825 caps every transaction at 16,777,216; "
            f"this node's block gas limit is {block_gas_limit:,})"
        )
        if fits:
            advice = f"Mint at most {fits} cards per transaction: rerun with --batch-size {fits}."
        elif fits == 0:
            advice = "Not even one card fits: check the node's block gas limit (CHAIN_RPC_URL)."
        else:
            advice = "Split the work into smaller transactions."
        super().__init__(action, f"{needs}, but {limit}. Nothing was sent. {advice}")
        self.estimate = estimate
        self.gas_cap = gas_cap
        self.block_gas_limit = block_gas_limit
        self.fits = fits


class ChainNodeStopped(MintError):
    """The node stopped answering in the middle of a write."""

    def __init__(self, action: str, rpc_url: str, reason: str, transaction_hash: str | None = None) -> None:
        if transaction_hash is None:
            when = "before anything was sent"
        else:
            when = f"after transaction {transaction_hash} was signed; it may or may not be mined"
        super().__init__(
            f"{action} failed: the chain node at {rpc_url} stopped answering ({reason}) {when}. "
            "Start the node again (or check the network), then rerun the command to continue."
        )
        self.rpc_url = rpc_url
        self.transaction_hash = transaction_hash


#: What to do next after each of the contract's refusals, by custom-error name.
_NEXT_STEPS = {
    "WalletAlreadyHoldsCard": "A wallet holds at most one card: leave this wallet out, or revoke or recover its card first.",
    "MintBatchRecipientHoldsCard": "That wallet already holds a card: remove the entry from the batch and rerun.",
    "MintBatchDuplicateRecipient": "A wallet may appear once per batch: remove the repeated entry and rerun.",
    "MintBatchInvalidRecipient": "That entry is the zero address: fix or remove it and rerun.",
    "MintBatchMissingMetadataDigest": "That entry has no metadata digest: build its metadata first and rerun.",
    "MintBatchLengthMismatch": "Give exactly one metadata digest per recipient.",
    "MintBatchEmpty": "Give at least one recipient.",
    "MissingMetadataDigest": "Build the card's metadata first; the digest is the sha2-256 of its JSON block.",
    "ERC721NonexistentToken": "Check the resident number: that card was never issued, or it was revoked.",
    "ERC721InvalidReceiver": "Give a real wallet address, not the zero address.",
    "AccessControlUnauthorizedAccount": "Sign with the key that has that role (see `residents check`), or have the town's admin grant it with `residents chain-roles grant`.",
    "AccessControlEnforcedDefaultAdminRules": "The admin role moves in two steps: `residents chain-roles grant admin NEW_ADDRESS`, then accept with the new key.",
    "AccessControlEnforcedDefaultAdminDelay": "The admin transfer's delay has not passed yet (or none was started): see `residents chain-roles list` for when it may be accepted.",
    "AccessControlInvalidDefaultAdmin": "Only the address the admin role was offered to can accept it: set RESIDENTS_ADMIN_KEY to that key.",
    "AnchorKeyUsed": "A record is already anchored under this key; anchors are final. If it is wrong, an admin voids it and the record is anchored again under a new key.",
    "AnchorKeyVoided": "This key was voided; anchor the record again under a new key.",
    "NothingAnchored": "Nothing is anchored under that key: check it with `residents anchors show KEY`.",
    "InvalidAttendanceAnchor": "Anchor a non-zero Merkle root with at least one attendee, under a non-zero key.",
    "InvalidDrawCommitment": "Commit a non-zero commitment under a non-zero key, naming a draw block after the current one.",
    "InvalidVoteResult": "Anchor a non-zero ballots root under a non-zero key.",
    "ResidentCardLocked": "Cards of this collection are soulbound; an admin can move one with a recovery.",
    "ResidentCardsSoulbound": "Cards of this collection are soulbound; an admin can move one with a recovery.",
}


def next_step(error_name: str | None) -> str:
    return _NEXT_STEPS.get(
        error_name or "",
        "Check the arguments against the contract's documentation (contracts/DigitalResident.sol) and rerun.",
    )
