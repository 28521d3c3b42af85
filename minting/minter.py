"""The only code that signs chain writes: one signer class per key of the town.

- `CardAdmin` (the admin key, DEFAULT_ADMIN_ROLE): deploy, recover, revoke, roles, void anchors.
- `Minter` (the minting key, MINTER_ROLE): mint, batch mint, metadata updates.
- `AnchorSigner` (the anchor key, ORGANIZER_ROLE): the three anchors. The only one a web
  process builds.

Every write goes the same way (`ChainSigner._submit`): estimated first, so a revert is caught
before anything is signed and raised as ContractRejected naming the contract's custom error;
the gas limit is the estimate plus headroom, under the per-transaction cap of EIP-7825 and the
node's block gas limit; the key's send lock is held from reading the nonce until the receipt is
in, so two processes with one key never take the same nonce; a nonce error (another wallet
used the key after all) is answered by reading the nonce from the chain again and re-signing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception, Web3RPCError, Web3ValidationError
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt

from app.chain.artifacts import load_artifact
from app.chain.client import (
    NODE_FAILURES,
    RESIDENT_CONTRACT,
    ZERO_ADDRESS,
    ContractRevert,
    Role,
    failure_reason,
    node_url,
    resident_revert_decoder,
)
from app.chain.sendlock import ProcessSendLock, SendLock
from minting.errors import ChainNodeStopped, ContractRejected, GasCapExceeded, InvalidMintRequest, TransactionFailed

#: EIP-7825 (Osaka): no transaction may use more gas than this, whatever the block gas limit.
TX_GAS_CAP = 2**24
#: The gas limit sent is the estimate times this (a storage slot first written by someone else in
#: between, a node that estimates tightly), and batches are sized so that it still fits the cap.
GAS_HEADROOM = 1.10
#: Attempts to send after a nonce error before giving up.
NONCE_ATTEMPTS = 3
#: How nodes say that the nonce was taken (geth, anvil, Hardhat, Nethermind, Erigon, providers).
_NONCE_ERRORS = ("nonce too low", "nonce too high", "invalid nonce", "nonce has already been used", "replacement transaction underpriced", "transaction already imported")
_ALREADY_KNOWN = ("already known", "known transaction")
#: How nodes say that a transaction needs more gas than they allow (estimation or sending).
_GAS_ERRORS = ("out of gas", "gas required exceeds", "exceeds block gas limit", "gas limit reached", "intrinsic gas too high", "exceeds the transaction gas limit", "gas limit too high", "exceeds max transaction gas limit")
#: A metadata digest for sizing batches before any card is rendered: no zero byte, so its
#: calldata costs at least what a real digest does.
_SIZING_DIGEST = bytes([0xFF]) * 32


@dataclass(frozen=True)
class Receipt:
    transaction_hash: str
    block_number: int
    gas_used: int
    contract_address: ChecksumAddress | None = None


@dataclass(frozen=True)
class IssuedCards:
    """A mined batch mint: its receipt and the resident numbers it assigned, in recipient order."""

    receipt: Receipt
    resident_numbers: tuple[int, ...]


@dataclass(frozen=True)
class BatchFit:
    """How many cards of a batch one transaction may carry on this node."""

    requested: int
    fits: int
    #: The gas one transaction may use here: min(EIP-7825 cap, block gas limit).
    gas_cap: int
    block_gas_limit: int
    #: The estimate of the largest batch that fits (or of the one card that does not fit).
    estimate: int


class RevocationReason(IntEnum):
    """Reason codes carried by ResidentCardRevoked; the contract stores any uint8 uninterpreted."""

    UNSPECIFIED = 0
    HOLDER_REQUEST = 1
    ISSUED_IN_ERROR = 2
    TERMS_BREACHED = 3


class ChainSigner:
    """Signs and sends transactions for the resident contract with one account, waiting for each receipt."""

    def __init__(self, w3: Web3, account: LocalAccount, receipt_timeout: float = 120.0, send_lock: SendLock | None = None) -> None:
        self.w3 = w3
        self.account = account
        self.receipt_timeout = receipt_timeout
        self.send_lock: SendLock = send_lock or ProcessSendLock()

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def gas_cap(self) -> tuple[int, int]:
        """Return (the most gas one transaction may use here, the node's block gas limit)."""
        block_limit = int(self._node("Reading the block gas limit", lambda: self.w3.eth.get_block("latest")["gasLimit"]))
        return min(TX_GAS_CAP, block_limit), block_limit

    # -----------------------------------------------------------------------------------------

    def _contract(self, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(RESIDENT_CONTRACT).abi)

    def _transact(self, action: str, contract_address: str, function_name: str, *args: Any) -> TxReceipt:
        function = getattr(self._contract(contract_address).functions, function_name)
        return self._submit(action, lambda base: function(*args).build_transaction(base))

    def _node(self, action: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except NODE_FAILURES as exc:
            raise ChainNodeStopped(action, node_url(self.w3), failure_reason(exc)) from None

    def _submit(self, action: str, build: Callable[[TxParams], TxParams]) -> TxReceipt:
        """Under the key's send lock: build (which estimates gas, so reverts surface here), sign,
        send, and wait for the receipt; after a nonce error, read the nonce again and re-sign."""
        chain_id = int(self._node(action, lambda: self.w3.eth.chain_id))
        with self.send_lock.hold(chain_id, self.address):
            lowest = 0  # a nonce the node called taken is not offered again, even by a lagging replica
            for attempt in range(1, NONCE_ATTEMPTS + 1):
                transaction = self._build(action, build, chain_id, lowest)
                try:
                    return self._send(action, transaction)
                except _NonceTaken as taken:
                    if taken.too_low:
                        lowest = int(transaction["nonce"]) + 1
                    if attempt == NONCE_ATTEMPTS:
                        raise TransactionFailed(
                            action,
                            f"the node kept refusing the nonce ({taken.message}); another wallet is using {self.address} at the same time. Stop it and rerun",
                            taken.transaction_hash,
                        ) from None
        raise AssertionError("unreachable")

    def _build(self, action: str, build: Callable[[TxParams], TxParams], chain_id: int, lowest_nonce: int = 0) -> TxParams:
        base: TxParams = {"from": self.address, "chainId": chain_id}
        try:
            base["nonce"] = max(lowest_nonce, self.w3.eth.get_transaction_count(self.address, "pending"))
            transaction = build(base)
            cap, block_limit = self.gas_cap()
        except ContractLogicError as exc:
            revert = resident_revert_decoder().from_exception(exc)
            if revert.name is None and _mentions(exc, _GAS_ERRORS):
                raise GasCapExceeded(action, None, *self.gas_cap()) from None
            raise ContractRejected(action, revert) from None
        except Web3ValidationError as exc:
            raise InvalidMintRequest(f"{action}: the arguments do not fit the contract ({exc}). Fix them and rerun.") from None
        except NODE_FAILURES as exc:
            raise ChainNodeStopped(action, node_url(self.w3), failure_reason(exc)) from None
        except Web3Exception as exc:
            if _mentions(exc, _GAS_ERRORS):
                raise GasCapExceeded(action, None, *self.gas_cap()) from None
            raise TransactionFailed(action, f"{_rpc_message(exc)}; nothing was sent") from None
        estimate = int(transaction["gas"])
        if estimate > cap:
            raise GasCapExceeded(action, estimate, cap, block_limit)
        transaction["gas"] = min(cap, math.ceil(estimate * GAS_HEADROOM))
        return transaction

    def _send(self, action: str, transaction: TxParams) -> TxReceipt:
        signed = self.account.sign_transaction(transaction)  # type: ignore[arg-type]
        transaction_hash = signed.hash.to_0x_hex()
        try:
            try:
                self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Web3RPCError as exc:
                if _mentions(exc, _ALREADY_KNOWN):
                    pass  # this very transaction reached the node before (a retried request): wait for it
                elif _mentions(exc, _NONCE_ERRORS):
                    raise _NonceTaken(_rpc_message(exc), transaction_hash, too_low=not _mentions(exc, ("nonce too high",))) from None
                else:
                    raise
            receipt = self.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=self.receipt_timeout)
        except TimeExhausted:
            raise TransactionFailed(action, f"not mined within {self.receipt_timeout:.0f} s; rerun the command to check and continue", transaction_hash) from None
        except NODE_FAILURES as exc:
            raise ChainNodeStopped(action, node_url(self.w3), failure_reason(exc), transaction_hash) from None
        except Web3Exception as exc:
            raise TransactionFailed(action, _rpc_message(exc), transaction_hash) from None
        if receipt["status"] != 1:
            revert = self._replay(transaction, receipt)
            if revert is not None and revert.name is not None:
                raise ContractRejected(action, revert, transaction_hash)
            raise TransactionFailed(
                action,
                "reverted when mined after passing gas estimation (out of gas, or the chain changed in between); rerun the command to see why",
                transaction_hash,
            )
        return receipt

    def _replay(self, transaction: TxParams, receipt: TxReceipt) -> ContractRevert | None:
        """Re-run a mined, reverted transaction as a call on its block to learn the custom error."""
        call: TxParams = {key: transaction[key] for key in ("from", "to", "data", "value", "gas") if key in transaction}  # type: ignore[literal-required]
        try:
            self.w3.eth.call(call, receipt["blockNumber"])
        except ContractLogicError as exc:
            return resident_revert_decoder().from_exception(exc)
        except (*NODE_FAILURES, Web3Exception):
            return None
        return None


class CardAdmin(ChainSigner):
    """The admin key's writes (DEFAULT_ADMIN_ROLE). Cold: only admin commands build one."""

    def deploy_resident_contract(
        self, name: str, symbol: str, soulbound: bool, contract_uri: str, *, minter: str, organizer: str, admin_transfer_delay: int = 0
    ) -> Receipt:
        """Deploy DigitalResident with this account as admin, `minter` and `organizer` holding their roles."""
        action = "Deploying DigitalResident"
        if not 0 <= admin_transfer_delay < 2**48:
            raise InvalidMintRequest(f"{action}: the admin transfer delay must be 0 to 2**48 - 1 seconds, got {admin_transfer_delay}.")
        artifact = load_artifact(RESIDENT_CONTRACT)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        keys = (_wallet(f"{action}, minter", minter), _wallet(f"{action}, organizer", organizer))
        constructor = factory.constructor(name, symbol, self.address, admin_transfer_delay, *keys, soulbound, contract_uri)
        return _receipt(self._submit(action, constructor.build_transaction))

    def recover(self, contract_address: str, resident_number: int, new_holder: str) -> Receipt:
        """Move card `resident_number` to `new_holder` (a lost key); works on locked cards too."""
        action = f"Recovering card {resident_number} to {new_holder}"
        return _receipt(self._transact(action, contract_address, "recover", resident_number, _wallet(action, new_holder)))

    def revoke(self, contract_address: str, resident_number: int, reason: int) -> Receipt:
        """Burn card `resident_number` with a reason code (see RevocationReason); its number is never reissued."""
        action = f"Revoking card {resident_number}"
        if not 0 <= int(reason) <= 255:
            raise InvalidMintRequest(f"{action}: the reason code must be 0 to 255, got {reason}. Use a RevocationReason.")
        return _receipt(self._transact(action, contract_address, "revoke", resident_number, int(reason)))

    def grant_role(self, contract_address: str, role: Role | str, account: str) -> Receipt:
        """Give `account` the minter or organizer role; granting a held role changes nothing."""
        role = _staff_role(role, "grant")
        action = f"Granting {role} to {account}"
        return _receipt(self._transact(action, contract_address, "grantRole", role.id, _wallet(action, account)))

    def revoke_role(self, contract_address: str, role: Role | str, account: str) -> Receipt:
        """Take the minter or organizer role from `account`."""
        role = _staff_role(role, "revoke")
        action = f"Revoking {role} from {account}"
        return _receipt(self._transact(action, contract_address, "revokeRole", role.id, _wallet(action, account)))

    def begin_admin_transfer(self, contract_address: str, new_admin: str) -> Receipt:
        """Start moving the admin role to `new_admin`, who accepts once the contract's delay has passed."""
        action = f"Starting to move the admin role to {new_admin}"
        return _receipt(self._transact(action, contract_address, "beginDefaultAdminTransfer", _wallet(action, new_admin)))

    def accept_admin_transfer(self, contract_address: str) -> Receipt:
        """Take the admin role that was offered to this account (signed with the new admin key)."""
        return _receipt(self._transact(f"Accepting the admin role for {self.address}", contract_address, "acceptDefaultAdminTransfer"))

    def cancel_admin_transfer(self, contract_address: str) -> Receipt:
        """Withdraw a pending offer of the admin role."""
        return _receipt(self._transact("Cancelling the pending admin transfer", contract_address, "cancelDefaultAdminTransfer"))

    def void_anchor(self, contract_address: str, key: bytes) -> Receipt:
        """Void the record anchored under `key`; it reads as absent, and the key stays unusable."""
        action = f"Voiding the anchor {_label(key)}"
        return _receipt(self._transact(action, contract_address, "voidAnchor", _bytes32(action, "anchor key", key)))


class Minter(ChainSigner):
    """The minting key's writes (MINTER_ROLE): only the mint commands build one."""

    def mint(self, contract_address: str, to: str, metadata_digest: bytes) -> Receipt:
        """Issue the next resident card to `to`."""
        action = f"Minting a card to {to}"
        args = (_wallet(action, to), _digest(action, metadata_digest))
        return _receipt(self._transact(action, contract_address, "mint", *args))

    def mint_batch(self, contract_address: str, recipients: Sequence[str], digests: Sequence[bytes]) -> IssuedCards:
        """Issue one card to each of `recipients` in one transaction; return the resident numbers assigned."""
        action = f"Minting a batch of {len(recipients)} cards"
        wallets = [_wallet(f"{action}, entry {index}", address) for index, address in enumerate(recipients)]
        checked = [_digest(f"{action}, entry {index}", digest) for index, digest in enumerate(digests)]
        try:
            raw = self._transact(action, contract_address, "mintBatch", wallets, checked)
        except GasCapExceeded as exc:
            # Say how many would fit, so the caller (or the person at the terminal) can split.
            raise GasCapExceeded(action, exc.estimate, exc.gas_cap, exc.block_gas_limit, fits=self.batch_fit(contract_address, wallets).fits) from None
        issued = self._issued_cards(contract_address, raw)
        if [holder for _, holder in issued] != wallets:
            raise TransactionFailed(
                action,
                f"the receipt shows {len(issued)} new cards that do not match the {len(wallets)} recipients; "
                f"check that {contract_address} is a DigitalResident contract",
                raw["transactionHash"].to_0x_hex(),
            )
        return IssuedCards(_receipt(raw), tuple(number for number, _ in issued))

    def batch_fit(self, contract_address: str, recipients: Sequence[str]) -> BatchFit:
        """How many of `recipients` (in order) one mintBatch may carry here, with gas headroom.

        Estimated before any card is rendered: the digests are stand-ins of the same size. A
        batch too big for the node cannot be estimated at all, so the size comes from the cost
        of one card and of a few more, then is confirmed by an estimate of its own.
        """
        wallets = [_wallet(f"Sizing a batch, entry {index}", address) for index, address in enumerate(recipients)]
        cap, block_limit = self.gas_cap()
        budget = int(cap / GAS_HEADROOM)
        whole = self._estimate_batch(contract_address, wallets)
        if whole is not None and whole <= budget:
            return BatchFit(len(wallets), len(wallets), cap, block_limit, whole)
        one = self._estimate_batch(contract_address, wallets[:1])
        if one is None or one > budget:
            raise GasCapExceeded(f"Minting a card to {wallets[0]}", one, cap, block_limit, fits=0)
        probe = min(len(wallets), 8)
        several = self._estimate_batch(contract_address, wallets[:probe]) if probe > 1 else None
        per_card = (several - one) / (probe - 1) if several is not None and probe > 1 else float(one)
        size = max(1, min(len(wallets), int((budget - one) / max(per_card, 1.0)) + 1))
        while size > 1:
            estimate = self._estimate_batch(contract_address, wallets[:size])
            if estimate is not None and estimate <= budget:
                return BatchFit(len(wallets), size, cap, block_limit, estimate)
            size = max(1, size * 9 // 10)
        return BatchFit(len(wallets), 1, cap, block_limit, one)

    def update_metadata(self, contract_address: str, resident_number: int, metadata_digest: bytes) -> Receipt:
        """Point card `resident_number` at a new metadata block (e.g. a new card design)."""
        action = f"Updating the metadata of card {resident_number}"
        return _receipt(self._transact(action, contract_address, "updateMetadata", resident_number, _digest(action, metadata_digest)))

    def _estimate_batch(self, contract_address: str, wallets: Sequence[str]) -> int | None:
        """The gas estimate of minting to `wallets`, or None when the node cannot fit it at all."""
        function = self._contract(contract_address).functions.mintBatch(list(wallets), [_SIZING_DIGEST] * len(wallets))
        action = f"Estimating a batch of {len(wallets)} cards"
        try:
            return int(function.estimate_gas({"from": self.address}))
        except ContractLogicError as exc:
            revert = resident_revert_decoder().from_exception(exc)
            if revert.name is None and _mentions(exc, _GAS_ERRORS):
                return None
            raise ContractRejected(action, revert) from None
        except NODE_FAILURES as exc:
            raise ChainNodeStopped(action, node_url(self.w3), failure_reason(exc)) from None
        except Web3Exception as exc:
            if _mentions(exc, _GAS_ERRORS):
                return None
            raise TransactionFailed(action, f"{_rpc_message(exc)}; nothing was sent") from None

    def _issued_cards(self, contract_address: str, receipt: TxReceipt) -> list[tuple[int, ChecksumAddress]]:
        """Decode the mints (Transfer from the zero address) of this contract from a receipt, in log order."""
        contract = self._contract(contract_address)
        transfers = contract.events.Transfer().process_receipt(receipt, errors=DISCARD)
        return [
            (int(log["args"]["tokenId"]), Web3.to_checksum_address(log["args"]["to"]))
            for log in transfers
            if log["address"] == contract.address and log["args"]["from"] == ZERO_ADDRESS
        ]


class AnchorSigner(ChainSigner):
    """The anchor key's writes (ORGANIZER_ROLE): the only signer a web process builds.

    Keys come from `app.chain.anchors.record_key`; each is written once (AnchorKeyUsed after).
    """

    def anchor_attendance(self, contract_address: str, event_key: bytes, merkle_root: bytes, attendee_count: int) -> Receipt:
        """Anchor the Merkle root of an exchange event's attendance list under `event_key`."""
        action = f"Anchoring the attendance of event {_label(event_key)}"
        key, root = _bytes32(action, "event key", event_key), _bytes32(action, "Merkle root", merkle_root)
        if not 0 < attendee_count < 2**32:
            raise InvalidMintRequest(f"{action}: the attendee count must be 1 to 2**32 - 1, got {attendee_count}.")
        return _receipt(self._transact(action, contract_address, "anchorAttendance", key, root, attendee_count))

    def commit_draw(self, contract_address: str, round_key: bytes, commitment: bytes, draw_block: int) -> Receipt:
        """Commit a lottery's entries before its draw block (which must be in the future) exists."""
        action = f"Committing the draw of round {_label(round_key)}"
        key, value = _bytes32(action, "round key", round_key), _bytes32(action, "commitment", commitment)
        if not 0 < draw_block < 2**64:
            raise InvalidMintRequest(f"{action}: the draw block must be a block number, got {draw_block}.")
        return _receipt(self._transact(action, contract_address, "commitDraw", key, value, draw_block))

    def anchor_vote_result(self, contract_address: str, proposal_key: bytes, ballots_root: bytes) -> Receipt:
        """Anchor the Merkle root of a vote's published ballots under `proposal_key`."""
        action = f"Anchoring the result of vote {_label(proposal_key)}"
        key, root = _bytes32(action, "proposal key", proposal_key), _bytes32(action, "ballots root", ballots_root)
        return _receipt(self._transact(action, contract_address, "anchorVoteResult", key, root))


class _NonceTaken(Exception):
    def __init__(self, message: str, transaction_hash: str, *, too_low: bool) -> None:
        self.message = message
        self.transaction_hash = transaction_hash
        #: The nonce was used already (not a gap ahead of the chain).
        self.too_low = too_low


def _receipt(raw: TxReceipt) -> Receipt:
    return Receipt(
        transaction_hash=raw["transactionHash"].to_0x_hex(),
        block_number=raw["blockNumber"],
        gas_used=raw["gasUsed"],
        contract_address=raw.get("contractAddress"),
    )


def _wallet(action: str, address: str) -> ChecksumAddress:
    if not isinstance(address, str) or not Web3.is_address(address):
        raise InvalidMintRequest(f"{action}: {address!r} is not an Ethereum address (0x and 40 hex digits, checksum intact). Fix it and rerun.")
    return Web3.to_checksum_address(address)


def _digest(action: str, digest: bytes) -> bytes:
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
        raise InvalidMintRequest(f"{action}: a metadata digest is the 32-byte sha2-256 of the metadata block, got {digest!r}. Build the metadata first.")
    return bytes(digest)


def _label(key: object) -> str:
    """An anchor key for messages: 0x hex, or whatever was passed instead of bytes."""
    return "0x" + bytes(key).hex() if isinstance(key, (bytes, bytearray)) else repr(key)


def _bytes32(action: str, what: str, value: bytes) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidMintRequest(f"{action}: the {what} must be 32 raw bytes, got {value!r}. Pass bytes, not hex text.")
    return bytes(value)


def _staff_role(role: Role | str, verb: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidMintRequest(f"There is no role named {role!r}. Use one of: {Role.MINTER}, {Role.ORGANIZER}.") from None
    if parsed is Role.ADMIN:
        raise InvalidMintRequest(
            f"The admin role cannot be {verb}ed directly (AccessControlDefaultAdminRules): move it with "
            "`residents chain-roles grant admin NEW_ADDRESS`, then accept it with the new key."
        )
    return parsed


def _mentions(exc: BaseException, phrases: Sequence[str]) -> bool:
    text = (_rpc_message(exc) if isinstance(exc, Web3Exception) else str(exc)).lower()
    return any(phrase in text for phrase in phrases)


def _rpc_message(exc: Web3Exception) -> str:
    """The node's own words for a refused request (e.g. insufficient funds), else the exception text."""
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        error = exc.rpc_response.get("error")
        if isinstance(error, dict) and error.get("message"):
            return f"the node refused: {error['message']}"
    return str(exc)


# ---------------------------------------------------------------------------------------------
# Passkey residents' accounts (issue 15): the town's minter deploys them and pays for it.


@dataclass(frozen=True)
class PasskeyAccountFactoryDeployment:
    implementation: Receipt
    factory: Receipt


@dataclass(frozen=True)
class PasskeyAccountDeployment:
    address: ChecksumAddress
    #: None when the account was deployed already and nothing was sent.
    receipt: Receipt | None


def deploy_passkey_account_factory(minter: Minter) -> PasskeyAccountFactoryDeployment:
    """Deploy the ResidentAccount implementation, then the factory that clones it (two transactions)."""
    from app.chain.passkey_accounts import ACCOUNT_CONTRACT, ACCOUNT_SOURCE, FACTORY_CONTRACT, FACTORY_SOURCE

    implementation_artifact = load_artifact(ACCOUNT_CONTRACT, ACCOUNT_SOURCE)
    implementation = minter.w3.eth.contract(abi=implementation_artifact.abi, bytecode=implementation_artifact.bytecode)
    implementation_receipt = _receipt(minter._submit("Deploying the passkey account implementation", implementation.constructor().build_transaction))
    assert implementation_receipt.contract_address is not None
    factory_artifact = load_artifact(FACTORY_CONTRACT, FACTORY_SOURCE)
    factory = minter.w3.eth.contract(abi=factory_artifact.abi, bytecode=factory_artifact.bytecode)
    constructor = factory.constructor(implementation_receipt.contract_address)
    factory_receipt = _receipt(minter._submit("Deploying the passkey account factory", constructor.build_transaction))
    return PasskeyAccountFactoryDeployment(implementation=implementation_receipt, factory=factory_receipt)


def deploy_passkey_account(minter: Minter, factory_address: str, qx: bytes, qy: bytes) -> PasskeyAccountDeployment:
    """Deploy the account of passkey (qx, qy) through the factory unless it is deployed; idempotent.

    Its address is known before (a card may already be held there); deploying only puts the
    account's code at it, which the resident's first on-chain action needs.
    """
    from app.chain.passkey_accounts import FACTORY_CONTRACT, FACTORY_SOURCE, PasskeyAccounts, PasskeyKey

    key = PasskeyKey(bytes(qx), bytes(qy))
    accounts = PasskeyAccounts(minter.w3, factory_address)
    address = accounts.address_of(key)
    if accounts.is_deployed(key):
        return PasskeyAccountDeployment(address, None)
    factory = minter.w3.eth.contract(address=accounts.factory_address, abi=load_artifact(FACTORY_CONTRACT, FACTORY_SOURCE).abi)
    action = f"Deploying the passkey account {address}"
    raw = minter._submit(action, factory.functions.createAccount(key.qx, key.qy).build_transaction)
    if not accounts.is_deployed(key):
        raise TransactionFailed(action, f"the factory at {accounts.factory_address} put no account at {address}; check the recorded factory", raw["transactionHash"].to_0x_hex())
    return PasskeyAccountDeployment(address, _receipt(raw))
