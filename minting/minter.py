"""The only code that signs chain writes."""

from __future__ import annotations

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
from minting.errors import ChainNodeStopped, ContractRejected, InvalidMintRequest, TransactionFailed


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


class RevocationReason(IntEnum):
    """Reason codes carried by ResidentCardRevoked; the contract stores any uint8 uninterpreted."""

    UNSPECIFIED = 0
    HOLDER_REQUEST = 1
    ISSUED_IN_ERROR = 2
    TERMS_BREACHED = 3


class Minter:
    """Signs and sends transactions for the resident contract with one account, waiting for each receipt.

    Every write is estimated first, so a revert is caught before anything is signed and raised
    as ContractRejected naming the contract's custom error. Nonces come from the node's pending
    count per transaction: fine for one minter process, not for several sharing a key.
    """

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
        return _receipt(self._submit("Deploying DigitalResident", constructor.build_transaction))

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
        raw = self._transact(action, contract_address, "mintBatch", wallets, checked)
        issued = self._issued_cards(contract_address, raw)
        if [holder for _, holder in issued] != wallets:
            raise TransactionFailed(
                action,
                f"the receipt shows {len(issued)} new cards that do not match the {len(wallets)} recipients; "
                f"check that {contract_address} is a DigitalResident contract",
                raw["transactionHash"].to_0x_hex(),
            )
        return IssuedCards(_receipt(raw), tuple(number for number, _ in issued))

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

    def update_metadata(self, contract_address: str, resident_number: int, metadata_digest: bytes) -> Receipt:
        """Point card `resident_number` at a new metadata block (e.g. a new card design)."""
        action = f"Updating the metadata of card {resident_number}"
        return _receipt(self._transact(action, contract_address, "updateMetadata", resident_number, _digest(action, metadata_digest)))

    def anchor_attendance(self, contract_address: str, event_id: int, merkle_root: bytes, attendee_count: int) -> Receipt:
        """Anchor the Merkle root of exchange event `event_id`'s attendance list; anchors are final."""
        action = f"Anchoring the attendance of event {event_id}"
        if len(merkle_root) != 32:
            raise InvalidMintRequest(f"{action}: the Merkle root must be 32 bytes, got {len(merkle_root)}. Pass the root's raw bytes, not hex text.")
        if not 0 <= attendee_count < 2**32:
            raise InvalidMintRequest(f"{action}: the attendee count must fit in 32 bits, got {attendee_count}.")
        return _receipt(self._transact(action, contract_address, "anchorAttendance", event_id, bytes(merkle_root), attendee_count))

    def grant_role(self, contract_address: str, role: Role | str, account: str) -> Receipt:
        """Give `account` a role (the caller needs the admin role); granting a held role changes nothing."""
        role = _role(role)
        action = f"Granting {role} to {account}"
        return _receipt(self._transact(action, contract_address, "grantRole", role.id, _wallet(action, account)))

    def revoke_role(self, contract_address: str, role: Role | str, account: str) -> Receipt:
        """Take a role from `account` (the caller needs the admin role)."""
        role = _role(role)
        action = f"Revoking {role} from {account}"
        return _receipt(self._transact(action, contract_address, "revokeRole", role.id, _wallet(action, account)))

    # -----------------------------------------------------------------------------------------

    def _contract(self, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(RESIDENT_CONTRACT).abi)

    def _base_transaction(self) -> TxParams:
        return {"from": self.address, "nonce": self.w3.eth.get_transaction_count(self.address, "pending"), "chainId": self.w3.eth.chain_id}

    def _transact(self, action: str, contract_address: str, function_name: str, *args: Any) -> TxReceipt:
        function = getattr(self._contract(contract_address).functions, function_name)
        return self._submit(action, lambda base: function(*args).build_transaction(base))

    def _submit(self, action: str, build: Callable[[TxParams], TxParams]) -> TxReceipt:
        """Build (which estimates gas, so reverts surface here), sign, send, and wait for the receipt."""
        try:
            transaction = build(self._base_transaction())
        except ContractLogicError as exc:
            raise ContractRejected(action, resident_revert_decoder().from_exception(exc)) from None
        except Web3ValidationError as exc:
            raise InvalidMintRequest(f"{action}: the arguments do not fit the contract ({exc}). Fix them and rerun.") from None
        except NODE_FAILURES as exc:
            raise ChainNodeStopped(action, node_url(self.w3), failure_reason(exc)) from None
        except Web3Exception as exc:
            raise TransactionFailed(action, f"{_rpc_message(exc)}; nothing was sent") from None
        return self._send(action, transaction)

    def _send(self, action: str, transaction: TxParams) -> TxReceipt:
        signed = self.account.sign_transaction(transaction)  # type: ignore[arg-type]
        transaction_hash = signed.hash.to_0x_hex()
        try:
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
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

    def _issued_cards(self, contract_address: str, receipt: TxReceipt) -> list[tuple[int, ChecksumAddress]]:
        """Decode the mints (Transfer from the zero address) of this contract from a receipt, in log order."""
        contract = self._contract(contract_address)
        transfers = contract.events.Transfer().process_receipt(receipt, errors=DISCARD)
        return [
            (int(log["args"]["tokenId"]), Web3.to_checksum_address(log["args"]["to"]))
            for log in transfers
            if log["address"] == contract.address and log["args"]["from"] == ZERO_ADDRESS
        ]


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


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidMintRequest(f"There is no role named {role!r}. Use one of: {', '.join(r.value for r in Role)}.") from None


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
