"""Read access to the chain: connection checks, typed reads of the resident contract, and
decoding of the contract's custom errors (shared with the minter, which signs the writes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABIError, ChecksumAddress
from eth_utils import abi_to_signature, event_abi_to_log_topic, filter_abi_by_type, get_abi_input_names, get_abi_input_types, keccak
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

    event_key: bytes
    merkle_root: bytes
    attendee_count: int
    anchored_at: datetime


@dataclass(frozen=True)
class DrawCommitment:
    """An issuance round's lottery commitment, anchored before its draw block existed."""

    round_key: bytes
    commitment: bytes
    draw_block: int
    committed_at: datetime


@dataclass(frozen=True)
class VoteResult:
    """The Merkle root of a vote's published ballots, as anchored on chain."""

    proposal_key: bytes
    ballots_root: bytes
    anchored_at: datetime


@dataclass(frozen=True)
class AdminState:
    """Who holds the admin role (AccessControlDefaultAdminRules), and any transfer in progress."""

    admin: ChecksumAddress | None
    delay_seconds: int
    pending_admin: ChecksumAddress | None
    #: When the pending admin may accept (None when no transfer is pending).
    accept_after: datetime | None


#: Blocks per eth_getLogs range when reading logs for one wallet or role; halved on a range error.
LOG_SPAN = 50_000
#: Addresses per OR-list in a topic filter.
_TOPIC_ADDRESSES = 50


class ResidentRegistry:
    """Reads of the DigitalResident contract at one address.

    `deployment_block` bounds the log searches (which card a wallet holds, who holds a role):
    the contract keeps no reverse mappings, the Transfer and RoleGranted logs answer those.
    """

    def __init__(self, w3: Web3, address: str, deployment_block: int = 0) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.deployment_block = deployment_block
        self.contract: Contract = w3.eth.contract(address=self.address, abi=load_artifact(RESIDENT_CONTRACT).abi)

    def ensure_deployed(self) -> ResidentRegistry:
        if not self.w3.eth.get_code(self.address):
            raise ContractMissing(self.address, self.w3.eth.chain_id)
        return self

    def owner_of(self, resident_number: int) -> ChecksumAddress | None:
        """Return the wallet holding card `resident_number`, or None if it was never issued or was revoked."""
        holder = self._read_card(f"Reading the holder of card {resident_number}", self.contract.functions.ownerOf(resident_number))
        return None if holder is None else Web3.to_checksum_address(holder)

    def holds_card(self, wallet: str) -> bool:
        """Whether `wallet` holds a card now (its ERC-721 balance; a wallet holds at most one)."""
        return bool(self._read(f"Reading the balance of {wallet}", self.contract.functions.balanceOf(Web3.to_checksum_address(wallet))))

    def card_of(self, wallet: str) -> int | None:
        """Return the resident number of the card `wallet` holds, or None if it holds none."""
        return self.cards_of([wallet]).get(Web3.to_checksum_address(wallet))

    def cards_of(self, wallets: Sequence[str]) -> dict[ChecksumAddress, int]:
        """Return which card each of `wallets` holds (wallets without one are left out).

        The balance says whether a wallet holds a card; the newest Transfer to it whose card it
        still holds says which. Logs are read newest first, so recent cards cost one request.
        """
        checked = [Web3.to_checksum_address(wallet) for wallet in wallets]
        pending = {wallet for wallet in dict.fromkeys(checked) if self.holds_card(wallet)}
        found: dict[ChecksumAddress, int] = {}
        transfer = _topic(self.contract, "Transfer")
        for group in _groups(sorted(pending), _TOPIC_ADDRESSES):
            waiting = set(group)
            topics = [transfer, None, [_address_topic(wallet) for wallet in group]]
            for log in self._logs_newest_first(f"Reading the card transfers to {len(group)} wallets", topics, lambda: bool(waiting)):
                to = Web3.to_checksum_address("0x" + log["topics"][2].hex()[-40:])
                number = int(log["topics"][3].hex(), 16)
                if to in waiting and self.owner_of(number) == to:
                    found[to] = number
                    waiting.discard(to)
        return found

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

    # -- anchors ---------------------------------------------------------------------------------

    def attendance_root(self, event_key: bytes) -> AttendanceAnchor | None:
        """Return what is anchored under `event_key`, or None if nothing is (or it was voided)."""
        root, count, anchored_at = self._read(f"Reading the attendance anchor 0x{event_key.hex()}", self.contract.functions.attendanceRoot(event_key))
        if root == bytes(32):
            return None
        return AttendanceAnchor(bytes(event_key), bytes(root), int(count), datetime.fromtimestamp(anchored_at, UTC))

    def draw_commitment(self, round_key: bytes) -> DrawCommitment | None:
        """Return the lottery commitment under `round_key`, or None if there is none (or it was voided)."""
        commitment, draw_block, committed_at = self._read(f"Reading the draw commitment 0x{round_key.hex()}", self.contract.functions.drawCommitment(round_key))
        if commitment == bytes(32):
            return None
        return DrawCommitment(bytes(round_key), bytes(commitment), int(draw_block), datetime.fromtimestamp(committed_at, UTC))

    def vote_result(self, proposal_key: bytes) -> VoteResult | None:
        """Return the ballots root under `proposal_key`, or None if there is none (or it was voided)."""
        root, anchored_at = self._read(f"Reading the vote result 0x{proposal_key.hex()}", self.contract.functions.voteResult(proposal_key))
        if root == bytes(32):
            return None
        return VoteResult(bytes(proposal_key), bytes(root), datetime.fromtimestamp(anchored_at, UTC))

    # -- roles -----------------------------------------------------------------------------------

    def has_role(self, role: Role | str, account: str) -> bool:
        role = parse_role(role)
        return bool(self._read(f"Reading whether {account} has {role}", self.contract.functions.hasRole(role.id, Web3.to_checksum_address(account))))

    def admin_state(self) -> AdminState:
        """Return the admin, the transfer delay and any pending transfer of the admin role."""
        admin = self._read("Reading the admin", self.contract.functions.defaultAdmin())
        delay = self._read("Reading the admin transfer delay", self.contract.functions.defaultAdminDelay())
        pending, schedule = self._read("Reading the pending admin", self.contract.functions.pendingDefaultAdmin())
        return AdminState(
            None if int(admin, 16) == 0 else Web3.to_checksum_address(admin),
            int(delay),
            None if int(pending, 16) == 0 else Web3.to_checksum_address(pending),
            datetime.fromtimestamp(schedule, UTC) if schedule else None,
        )

    def role_members(self, role: Role | str) -> list[ChecksumAddress]:
        """Return every account holding `role` now, from the RoleGranted logs (checked with hasRole)."""
        role = parse_role(role)
        topics = [_topic(self.contract, "RoleGranted"), "0x" + role.id.hex()]
        seen: dict[ChecksumAddress, None] = {}
        for log in self._logs_newest_first(f"Reading who was granted {role}", topics, lambda: True):
            seen.setdefault(Web3.to_checksum_address("0x" + log["topics"][2].hex()[-40:]))
        return sorted(account for account in seen if self.has_role(role, account))

    # -----------------------------------------------------------------------------------------

    def _logs_newest_first(self, action: str, topics: list[Any], wanted: Callable[[], bool]) -> Iterator[Any]:
        """The contract's logs matching `topics`, newest range first, while `wanted()` holds."""
        last = self.latest_block()
        span = LOG_SPAN
        while last >= self.deployment_block and wanted():
            first = max(self.deployment_block, last - span + 1)
            query = {"address": self.address, "fromBlock": first, "toBlock": last, "topics": topics}
            try:
                logs = _call(self.w3, self.address, action, lambda: self.w3.eth.get_logs(query))  # type: ignore[arg-type]
            except ChainError as exc:
                if span > 1 and node_refusal(str(exc)) == "range":
                    span = max(1, span // 2)
                    continue
                raise
            yield from sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]), reverse=True)
            last = first - 1

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


def _topic(contract: Contract, event: str) -> str:
    return "0x" + event_abi_to_log_topic(getattr(contract.events, event).abi).hex()


def _address_topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def _groups(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# How nodes and providers refuse requests


#: Phrases of rate limiting (HTTP 429 bodies, Infura's -32005, Alchemy's compute units, …):
#: back off and retry the same request.
_RATE_LIMITED = ("rate limit", "rate-limit", "ratelimit", "too many requests", "request rate", "requests per second", "compute units", "capacity", "throttl", "daily request count")
#: Phrases of an eth_getLogs range that holds too much: ask for fewer blocks.
_RANGE_TOO_LARGE = ("range", "more than", "too many results", "too many logs", "returned more", "response size", "too large", "too wide", "query timeout", "timed out", "timeout")


def node_refusal(message: str) -> str | None:
    """Classify a node's refusal: "rate" (back off, same request), "range" (fewer blocks), or None.

    Rate limits are recognised first: "rate limit exceeded" must not shrink a log range.
    """
    text = message.lower()
    if any(phrase in text for phrase in _RATE_LIMITED):
        return "rate"
    if any(phrase in text for phrase in _RANGE_TOO_LARGE):
        return "range"
    return None


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
