"""Read access to the chain: connection checks, typed reads of the resident contract, and
decoding of the contract's custom errors (shared with the minter, which signs the writes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABIError, ChecksumAddress
from eth_utils import abi_to_signature, filter_abi_by_type, get_abi_input_names, get_abi_input_types, keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import BadFunctionCallOutput, ContractLogicError, Web3Exception

from app.chain.artifacts import load_artifact
from app.chain.errors import (
    CardNotFound,
    ChainError,
    ChainIdMismatch,
    ChainUnreachable,
    ContractCallReverted,
    ContractMissing,
    NodeStoppedAnswering,
    UnknownRole,
)

RESIDENT_CONTRACT = "DigitalResident"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

#: What a node that went away raises: requests' errors for HTTP, OSError for IPC and sockets.
NODE_FAILURES: tuple[type[BaseException], ...] = (requests.RequestException, OSError)


def connect(rpc_url: str, expected_chain_id: int, timeout: float = 10.0) -> Web3:
    """Return a Web3 connected to `rpc_url`, after checking the node answers with the expected chain id."""
    # No silent retries inside web3: a hung node would stall a page for several timeouts. Callers
    # decide what to do instead (the indexer backs off, a mint run is resumed by rerunning it).
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None))
    try:
        actual = w3.eth.chain_id
    except (requests.RequestException, Web3Exception, OSError, ValueError) as exc:
        raise ChainUnreachable(rpc_url, type(exc).__name__) from None
    if actual != expected_chain_id:
        raise ChainIdMismatch(expected_chain_id, actual, rpc_url)
    return w3


def node_url(w3: Web3) -> str:
    """Where `w3` sends its requests, for messages: scheme and host only, since providers put API
    keys in the path ("in-process" for eth-tester)."""
    from app.security import redacted_url

    endpoint = getattr(w3.provider, "endpoint_uri", None)
    return redacted_url(str(endpoint)) if endpoint else "in-process"


def failure_reason(exc: BaseException) -> str:
    """A short reason for a node failure: the exception's class, and the OS's words if any."""
    root: BaseException | None = exc
    while root is not None and root.__context__ is not None and not isinstance(root, ConnectionRefusedError):
        root = root.__context__
    if isinstance(root, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (requests.Timeout, TimeoutError)):
        return "timed out"
    return type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Roles


class Role(StrEnum):
    """The contract's AccessControl roles, by their Solidity names."""

    ADMIN = "DEFAULT_ADMIN_ROLE"
    MINTER = "MINTER_ROLE"
    ORGANIZER = "ORGANIZER_ROLE"

    @property
    def id(self) -> bytes:
        """The role's bytes32 id: zero for the admin role, else keccak256 of its name."""
        return bytes(32) if self is Role.ADMIN else keccak(text=self.value)


def parse_role(role: Role | str) -> Role:
    """Return `role` as a Role, accepting the Solidity name ("ORGANIZER_ROLE")."""
    try:
        return Role(role)
    except ValueError:
        raise UnknownRole(str(role), [r.value for r in Role]) from None


ROLE_NAMES: Mapping[bytes, str] = {role.id: role.value for role in Role}


# ---------------------------------------------------------------------------------------------
# Reverts


@dataclass(frozen=True)
class ContractRevert:
    """A revert decoded against the contract's ABI: the custom error's name and its arguments.

    `name` is None when the revert carried no data, or data the ABI does not describe.
    Addresses come back checksummed, bytes as bytes, integers as int.
    """

    name: str | None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    data: bytes = b""

    def __str__(self) -> str:
        if self.name is None:
            if not self.data:
                return "a revert without an error (no revert data)"
            return f"an error this contract's ABI does not declare (revert data 0x{self.data.hex()})"
        rendered = ", ".join(f"{key}={_render_argument(value)}" for key, value in self.arguments.items())
        return f"{self.name}({rendered})"


def _render_argument(value: Any) -> str:
    if isinstance(value, bytes):
        return ROLE_NAMES.get(value) or "0x" + value.hex()
    if isinstance(value, str) and not Web3.is_address(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render_argument(item) for item in value) + "]"
    return str(value)


#: Reverts every Solidity contract can raise besides its declared custom errors.
_BUILTIN_ERRORS: list[ABIError] = [
    {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
]

_HEX_DATA = re.compile(r"(?:Reverted )?(0x(?:[0-9a-fA-F]{2})*)")


class RevertDecoder:
    """Turns revert data into a ContractRevert using the custom errors of one ABI."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        errors: list[ABIError] = [*filter_abi_by_type("error", abi), *_BUILTIN_ERRORS]  # type: ignore[arg-type]
        self._by_selector: dict[bytes, ABIError] = {keccak(text=abi_to_signature(error))[:4]: error for error in errors}

    def decode(self, data: bytes) -> ContractRevert:
        error = self._by_selector.get(data[:4]) if len(data) >= 4 else None
        if error is None:
            return ContractRevert(None, {}, data)
        try:
            values = abi_decode(get_abi_input_types(error), data[4:])
        except (DecodingError, ValueError, OverflowError):
            return ContractRevert(None, {}, data)
        names = get_abi_input_names(error)
        types = get_abi_input_types(error)
        arguments = {
            name or f"arg{index}": _normalise(kind, value) for index, (name, kind, value) in enumerate(zip(names, types, values))
        }
        return ContractRevert(error["name"], arguments, data)

    def from_exception(self, exc: BaseException) -> ContractRevert:
        """Decode the revert data a web3 exception carries, wherever the node put it."""
        data = revert_data(exc)
        return self.decode(data) if data is not None else ContractRevert(None, {}, b"")


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return Web3.to_checksum_address(value)
    if kind.endswith("]") and isinstance(value, (list, tuple)):
        return tuple(_normalise(kind[: kind.rindex("[")], item) for item in value)
    return value


def revert_data(exc: BaseException) -> bytes | None:
    """Find the revert data in a web3 exception.

    web3 puts it in `.data` as a hex string for geth, anvil and Hardhat; other nodes and
    providers nest it in a dict ({"data": "0x…"}, {"originalError": {"data": …}}), prefix it
    with "Reverted ", or leave it only in the arguments of the exception or of the one it was
    raised from (eth-tester re-raises with the raw bytes on the original exception).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 5:
        seen.add(id(current))
        for candidate in (getattr(current, "data", None), *current.args):
            found = _find_hex(candidate, depth=0)
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None


def _find_hex(value: Any, depth: int) -> bytes | None:
    if depth > 4:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        match = _HEX_DATA.fullmatch(value.strip())
        return bytes.fromhex(match.group(1)[2:]) if match else None
    if isinstance(value, Mapping):
        for key in ("data", "originalError", "error", "result"):
            if key in value:
                found = _find_hex(value[key], depth + 1)
                if found is not None:
                    return found
    return None


@cache
def resident_revert_decoder() -> RevertDecoder:
    return RevertDecoder(load_artifact(RESIDENT_CONTRACT).abi)


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class AttendanceAnchor:
    """The Merkle root of an exchange event's attendance list, as anchored on chain."""

    event_id: int
    merkle_root: bytes
    attendee_count: int
    anchored_at: datetime


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
        """Return the wallet holding card `resident_number`, or None if it was never issued or was revoked."""
        holder = self._read_card(f"Reading the holder of card {resident_number}", self.contract.functions.ownerOf(resident_number))
        return None if holder is None else Web3.to_checksum_address(holder)

    def card_of(self, wallet: str) -> int | None:
        """Return the resident number of the card `wallet` holds, or None if it holds none."""
        number = int(self._read(f"Reading the card of {wallet}", self.contract.functions.cardOf(Web3.to_checksum_address(wallet))))
        return number or None

    def token_uri(self, resident_number: int) -> str | None:
        """Return `ipfs://<cid>` of card `resident_number`'s metadata, or None if the card does not exist."""
        uri = self._read_card(f"Reading the token URI of card {resident_number}", self.contract.functions.tokenURI(resident_number))
        return None if uri is None else str(uri)

    def metadata_digest(self, resident_number: int) -> bytes | None:
        """Return the sha2-256 digest of card `resident_number`'s metadata block, or None if the card does not exist."""
        digest = self._read_card(f"Reading the metadata digest of card {resident_number}", self.contract.functions.metadataDigestOf(resident_number))
        return None if digest is None else bytes(digest)

    def locked(self, resident_number: int) -> bool:
        """Return whether card `resident_number` is locked (ERC-5192); raise CardNotFound if it does not exist."""
        locked = self._read_card(f"Reading whether card {resident_number} is locked", self.contract.functions.locked(resident_number))
        if locked is None:
            raise CardNotFound(resident_number, self.address)
        return bool(locked)

    def soulbound(self) -> bool:
        return bool(self._read("Reading whether the collection is soulbound", self.contract.functions.soulbound()))

    def last_resident_number(self) -> int:
        return int(self._read("Reading the last resident number", self.contract.functions.lastResidentNumber()))

    def latest_block(self) -> int:
        """Return the number of the node's latest block."""
        return int(_call(self.w3, self.address, "Reading the latest block number", lambda: self.w3.eth.block_number))

    def contract_uri(self) -> str:
        return str(self._read("Reading the collection URI", self.contract.functions.contractURI()))

    def attendance_root(self, event_id: int) -> AttendanceAnchor | None:
        """Return what was anchored for exchange event `event_id`, or None if nothing was."""
        root, count, anchored_at = self._read(f"Reading the attendance anchor of event {event_id}", self.contract.functions.attendanceRoot(event_id))
        if root == bytes(32):
            return None
        return AttendanceAnchor(event_id, bytes(root), int(count), datetime.fromtimestamp(anchored_at, UTC))

    def has_role(self, role: Role | str, account: str) -> bool:
        role = parse_role(role)
        return bool(self._read(f"Reading whether {account} has {role}", self.contract.functions.hasRole(role.id, Web3.to_checksum_address(account))))

    def _read_card(self, action: str, function: ContractFunction) -> Any:
        """Call a per-card view; None when the contract says the card does not exist."""
        try:
            return self._read(action, function)
        except ContractCallReverted as exc:
            if exc.revert.name == "ERC721NonexistentToken":
                return None
            raise

    def _read(self, action: str, function: ContractFunction) -> Any:
        return _call(self.w3, self.address, action, function.call)


def _call(w3: Web3, address: ChecksumAddress, action: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ContractLogicError as exc:
        raise ContractCallReverted(action, address, resident_revert_decoder().from_exception(exc)) from None
    except BadFunctionCallOutput:
        # The call returned nothing: there is no contract (or not ours) at the address.
        raise ContractMissing(address, _chain_id_or_zero(w3)) from None
    except NODE_FAILURES as exc:
        raise NodeStoppedAnswering(node_url(w3), action, failure_reason(exc)) from None
    except Web3Exception as exc:
        raise ChainError(f"{action} from {address} failed: {exc}. Check the node's logs, then retry.") from None


def _chain_id_or_zero(w3: Web3) -> int:
    try:
        return int(w3.eth.chain_id)
    except (*NODE_FAILURES, Web3Exception):
        return 0
