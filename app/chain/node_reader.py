"""Reading the chain node for the indexer: a few raw JSON-RPC reads (blocks, hashes, the card
contract's logs), and what the node's refusals mean: a range too large (ask for fewer blocks),
a rate limit (wait, ask again), or the node going away (back off)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import requests
from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3

from app.chain.artifacts import load_artifact
from app.chain.client import NODE_FAILURES, RESIDENT_CONTRACT, ZERO_ADDRESS, failure_reason, node_refusal
from app.chain.errors import ChainError, NodeStoppedAnswering

#: Rows per IN (…) list, well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 500


class IndexerError(ChainError):
    """The indexer could not make progress; the message says why and what to do."""


class LogRangeTooLarge(IndexerError):
    def __init__(self, first: int, last: int, message: str) -> None:
        super().__init__(f"The node refused the logs of blocks {first}–{last} ({message}); asking for fewer blocks at a time.")


class NodeRefused(IndexerError):
    def __init__(self, rpc_url: str, action: str, message: str) -> None:
        super().__init__(f"{action} failed: the chain node at {rpc_url} answered with an error ({message}). Check the node and CHAIN_RPC_URL; the indexer retries.")
        self.message = message


class NodeRateLimited(IndexerError):
    """The provider asks us to slow down: wait and send the same request again, never a smaller one."""

    def __init__(self, rpc_url: str, action: str, message: str, retry_after: float | None = None) -> None:
        wait = f" (it asks for {retry_after:.0f} s)" if retry_after else ""
        super().__init__(
            f"{action}: the chain node at {rpc_url} is rate-limiting us ({message}){wait}. The indexer waits and retries; "
            "if this persists, raise the plan's limit or point CHAIN_RPC_URL at another provider."
        )
        self.retry_after = retry_after


# ---------------------------------------------------------------------------------------------
# Reading the node


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str


@dataclass(frozen=True)
class CardLog:
    """One decoded log of the resident contract."""

    block_number: int
    log_index: int
    block_hash: str
    transaction_hash: str
    #: "transfer", "locked" or "unlocked".
    kind: str
    resident_number: int
    from_address: str | None = None
    to_address: str | None = None
    block_time: datetime | None = None


@cache
def _event_topics() -> dict[str, str]:
    """topic0 of Transfer, Locked and Unlocked, from the contract's ABI."""
    abi = load_artifact(RESIDENT_CONTRACT).abi
    wanted = {"Transfer": "transfer", "Locked": "locked", "Unlocked": "unlocked"}
    return {"0x" + event_abi_to_log_topic(item).hex(): wanted[item["name"]] for item in abi if item.get("type") == "event" and item["name"] in wanted}  # type: ignore[arg-type]


def _address_from_topic(topic: str) -> str:
    address = "0x" + topic[-40:]
    return ZERO_ADDRESS if int(address, 16) == 0 else to_checksum_address(address)


class NodeReader:
    """The few JSON-RPC reads the indexer needs, sent raw: web3's result formatting would cost
    more than everything else when catching up over tens of thousands of logs."""

    def __init__(self, rpc_url: str, timeout: float = 10.0) -> None:
        # No provider-level retries: the indexer has its own backoff and must notice outages.
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None))
        self.rpc_url = rpc_url

    def chain_id(self) -> int:
        return int(self._request("Reading the chain id", "eth_chainId", []), 16)

    def head(self) -> BlockHeader:
        block = self._request("Reading the latest block", "eth_getBlockByNumber", ["latest", False])
        return BlockHeader(int(block["number"], 16), block["hash"])

    def block_hashes(self, numbers: Iterable[int]) -> dict[int, str | None]:
        """Hashes of blocks `numbers` in one batch request; None for a block the node does not have."""
        blocks = self._batch("Reading block hashes", [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {int(b["number"], 16): b["hash"] for b in blocks if b}

    def block_times(self, numbers: Iterable[int]) -> dict[int, datetime]:
        blocks = self._batch("Reading block timestamps", [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {int(b["number"], 16): datetime.fromtimestamp(int(b["timestamp"], 16), UTC) for b in blocks if b}

    def card_logs(self, contract_address: str, first: int, last: int) -> list[CardLog]:
        """The contract's Transfer, Locked and Unlocked logs in blocks `first`..`last`, in chain order."""
        topics = _event_topics()
        action = f"Reading the card logs of blocks {first}–{last}"
        query = {"address": contract_address, "fromBlock": hex(first), "toBlock": hex(last), "topics": [list(topics)]}
        try:
            raw = self._request(action, "eth_getLogs", [query])
        except NodeRefused as exc:
            if node_refusal(exc.message) == "range":
                raise LogRangeTooLarge(first, last, exc.message) from None
            raise
        logs = [self._decode(entry, topics) for entry in raw if not entry.get("removed")]
        missing = sorted({log.block_number for log in logs if log.kind == "transfer" and log.block_time is None})
        if missing:
            # Nodes that leave blockTimestamp out of logs: one header per block, in batches.
            times: dict[int, datetime] = {}
            for chunk in chunks(missing, 100):
                times.update(self.block_times(chunk))
            logs = [replace(log, block_time=times[log.block_number]) if log.kind == "transfer" else log for log in logs]
        logs.sort(key=lambda log: (log.block_number, log.log_index))
        return logs

    @staticmethod
    def _decode(entry: dict[str, Any], topics: dict[str, str]) -> CardLog:
        kind = topics[entry["topics"][0]]
        block_time = datetime.fromtimestamp(int(entry["blockTimestamp"], 16), UTC) if entry.get("blockTimestamp") else None
        common = {
            "block_number": int(entry["blockNumber"], 16),
            "log_index": int(entry["logIndex"], 16),
            "block_hash": entry["blockHash"],
            "transaction_hash": entry["transactionHash"],
            "kind": kind,
        }
        if kind == "transfer":
            _, sender, receiver, token = entry["topics"]
            return CardLog(**common, resident_number=int(token, 16), from_address=_address_from_topic(sender), to_address=_address_from_topic(receiver), block_time=block_time)
        # ERC-5192 declares the token id of Locked/Unlocked unindexed; accept an indexed one too.
        token = entry["topics"][1] if len(entry["topics"]) > 1 else entry["data"]
        return CardLog(**common, resident_number=int(token, 16))

    def _request(self, action: str, method: str, params: list[Any]) -> Any:
        try:
            response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        except (*NODE_FAILURES, ValueError) as exc:
            raise self._failure(action, exc) from None
        return self._result(action, response)

    def _batch(self, action: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        if not calls:
            return []
        try:
            responses = self.w3.provider.make_batch_request(calls)  # type: ignore[arg-type]
        except (*NODE_FAILURES, ValueError) as exc:
            raise self._failure(action, exc) from None
        if not isinstance(responses, list):
            return [self._result(action, responses)]
        return [self._result(action, response) for response in responses]

    def _failure(self, action: str, exc: BaseException) -> ChainError:
        """HTTP 429 is a provider's rate limit, not an outage; anything else is the node going away."""
        response = getattr(exc, "response", None)
        if isinstance(exc, requests.HTTPError) and response is not None and response.status_code == 429:
            return NodeRateLimited(self.rpc_url, action, "HTTP 429 Too Many Requests", _retry_after(response.headers.get("Retry-After")))
        return NodeStoppedAnswering(self.rpc_url, action, failure_reason(exc))

    def _result(self, action: str, response: Any) -> Any:
        if not isinstance(response, dict):
            raise NodeRefused(self.rpc_url, action, f"unexpected answer {response!r:.80}")
        if "error" in response:
            error = response["error"]
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            if node_refusal(message) == "rate":
                raise NodeRateLimited(self.rpc_url, action, message)
            raise NodeRefused(self.rpc_url, action, message)
        return response.get("result")


def _retry_after(header: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (an HTTP date is ignored)."""
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
