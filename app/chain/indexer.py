"""The indexer: follows the resident contract's Transfer, Locked and Unlocked logs into the
holdings table that gating reads.

Each step reads one range of blocks and applies it in one database transaction together with
the checkpoint, so a crash loses nothing and applies nothing twice. Every applied log is kept
as a CardEvent; a reorg deletes the events of the replaced blocks and rebuilds the holdings of
the cards they touched from the events that remain, then the next steps replay the new blocks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from web3 import Web3

from app.chain.client import ZERO_ADDRESS
from app.chain.errors import ChainError, ChainIdMismatch, NodeStoppedAnswering
from app.chain.node_reader import (  # noqa: F401 (IndexerError and NodeRefused are part of this module's API)
    BlockHeader,
    CardLog,
    IndexerError,
    LogRangeTooLarge,
    NodeRateLimited,
    NodeReader,
    NodeRefused,
    chunks,
)
from app.chain.models import CardEvent, Deployment, Holding, IndexedBlock, IndexerCheckpoint
from app.config import Config
from app.extensions import db
from app.timeutil import utcnow

logger = logging.getLogger("residents.indexer")

#: Blocks per eth_getLogs range at first; halved when the node refuses or times out.
BATCH_BLOCKS = 2_000
#: Successful batches after which a shrunken range is widened again (doubled).
GROW_AFTER = 8
#: Recent block hashes kept to find where a reorg forked; a deeper reorg starts over.
KEPT_BLOCKS = 64
#: A follow loop writes its heartbeat at least this often, even when no block arrives.
HEARTBEAT = timedelta(seconds=5)
#: A follow loop whose heartbeat is older than this (or ten polls) has died or lost the node.
STALE_AFTER = timedelta(seconds=30)
#: Longest pause between retries while the node is away.
MAX_BACKOFF_SECONDS = 30.0


# ---------------------------------------------------------------------------------------------
# Folding card events into holdings


@dataclass(frozen=True)
class CardState:
    """What the holdings table says about one card."""

    holder: str
    locked: bool
    minted_block: int
    minted_at: datetime
    acquired_block: int


def apply_event(card: CardState | None, event: CardLog) -> CardState | None:
    """Return the card's state after `event`; None when it does not exist (never minted, or revoked)."""
    if event.kind == "transfer":
        assert event.to_address is not None and event.block_time is not None
        if event.to_address == ZERO_ADDRESS:
            return None
        if event.from_address == ZERO_ADDRESS or card is None:
            # From the deployment block on every card starts with a mint; a transfer of an unseen
            # card (indexing from a later block) still names its holder correctly.
            return CardState(event.to_address, False, event.block_number, event.block_time, event.block_number)
        return replace(card, holder=event.to_address, acquired_block=event.block_number)
    if card is None:
        return None
    return replace(card, locked=event.kind == "locked")


# ---------------------------------------------------------------------------------------------
# The indexer


@dataclass(frozen=True)
class IndexerStep:
    """What one step did."""

    #: The node's head and the last block the indexer may apply (head minus confirmations).
    head: int
    target: int
    #: Blocks applied in this step: first..last (empty when first > last).
    first_block: int
    last_block: int
    logs: int = 0
    transfers: int = 0
    cards_changed: int = 0
    #: Set when the step undid blocks of a reorg: the block it rewound to.
    rewound_to: int | None = None
    started_over: bool = False

    @property
    def blocks(self) -> int:
        return max(0, self.last_block - self.first_block + 1)

    @property
    def caught_up(self) -> bool:
        return self.rewound_to is None and not self.started_over and self.last_block >= self.target


@dataclass(frozen=True)
class CatchUp:
    """What `catch_up` did, for the command's summary."""

    first_block: int
    last_block: int
    blocks: int
    logs: int
    transfers: int
    holdings: int
    seconds: float

    @property
    def logs_per_second(self) -> float:
        return self.logs / self.seconds if self.seconds > 0 else 0.0


class ResidentIndexer:
    """Follows one resident contract on one chain into the holdings table.

    `step()` only flushes; the caller commits after each step (`catch_up` and `follow` do), so
    each batch of blocks, its holdings and the checkpoint land in one transaction.
    """

    def __init__(
        self,
        node: NodeReader,
        chain_id: int,
        contract_address: str,
        start_block: int,
        *,
        confirmations: int = 0,
        batch_blocks: int = BATCH_BLOCKS,
        kept_blocks: int = KEPT_BLOCKS,
        report: Callable[[str], None] = logger.info,
    ) -> None:
        self.node = node
        self.chain_id = chain_id
        self.contract_address = Web3.to_checksum_address(contract_address)
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_batch_blocks = batch_blocks
        self.batch_blocks = batch_blocks
        self.kept_blocks = kept_blocks
        self.report = report
        self._heartbeat_written: datetime | None = None
        self._good_batches = 0
        #: The node's head when we found it behind our checkpoint (reported once), else None.
        self._waiting_since: int | None = None

    # -- checkpoint ----------------------------------------------------------------------------

    def checkpoint(self) -> IndexerCheckpoint:
        """Return this chain's checkpoint, starting over when it belongs to another contract address."""
        checkpoint = db.session.scalar(sa.select(IndexerCheckpoint).where(IndexerCheckpoint.chain_id == self.chain_id))
        if checkpoint is not None and checkpoint.contract_address != self.contract_address:
            self.report(f"The resident contract on chain {self.chain_id} is now {self.contract_address} (was {checkpoint.contract_address}); indexing it from block {self.start_block}.")
            _forget(checkpoint)
            db.session.delete(checkpoint)
            db.session.execute(sa.delete(Holding))
            db.session.flush()
            checkpoint = None
        if checkpoint is None:
            checkpoint = IndexerCheckpoint(
                chain_id=self.chain_id,
                contract_address=self.contract_address,
                start_block=self.start_block,
                block_number=self.start_block - 1,
                block_hash=None,
                following=False,
                poll_seconds=1.0,
            )
            db.session.add(checkpoint)
            db.session.flush()
        return checkpoint

    def set_following(self, following: bool, poll_seconds: float = 1.0) -> None:
        """Tell readers whether a follow loop is running (and how often it polls)."""
        checkpoint = self.checkpoint()
        checkpoint.following = following
        checkpoint.poll_seconds = poll_seconds
        db.session.flush()

    def pending_blocks(self) -> int:
        """Blocks between the checkpoint and the node's head minus confirmations."""
        head = self.node.head()
        return max(0, head.number - self.confirmations - self.checkpoint().block_number)

    # -- one step ------------------------------------------------------------------------------

    def step(self) -> IndexerStep:
        """Apply the next range of blocks (or undo a reorg); flush, do not commit."""
        checkpoint = self.checkpoint()
        head = self.node.head()
        self._note_head(checkpoint, head)
        target = head.number - self.confirmations
        done = checkpoint.block_number
        idle = IndexerStep(head.number, target, done + 1, done)

        if target <= done:
            # Nothing new to read, but the node may have replaced the block we stopped at. A node
            # whose head is below our checkpoint (a replica behind the others) does not have that
            # block at all: only a block it has and that differs from ours is a reorg.
            if checkpoint.block_hash is not None:
                if head.number < done:
                    return self._rewind(checkpoint, head, target)
                node_hash = head.hash if head.number == done else self.node.block_hashes([done]).get(done)
                if node_hash is not None and node_hash != checkpoint.block_hash:
                    return self._rewind(checkpoint, head, target)
            self._waiting_since = None
            return idle

        first = done + 1
        last, last_hash, logs = self._fetch(head, first, min(target, done + self.batch_blocks))
        # Check after reading the logs that our checkpoint is still an ancestor and the range
        # still ends in the same block, so the logs belong to one chain that extends ours.
        now = self.node.block_hashes([done, last] if checkpoint.block_hash is not None else [last])
        if checkpoint.block_hash is not None and now.get(done, checkpoint.block_hash) != checkpoint.block_hash:
            return self._rewind(checkpoint, head, target)
        if last_hash is None or now.get(last) != last_hash or any(log.block_hash != last_hash for log in logs if log.block_number == last):
            self.report(f"Block {last} changed while its logs were read; reading it again.")
            return idle

        changed = self._apply(checkpoint, logs)
        self._remember(checkpoint, {last: last_hash, **{log.block_number: log.block_hash for log in logs}})
        checkpoint.block_number, checkpoint.block_hash = last, last_hash
        db.session.flush()
        self._good_batches += 1
        if self.batch_blocks < self.max_batch_blocks and self._good_batches >= GROW_AFTER:
            # The node refused a wider range before: widen again slowly, not on every success.
            self.batch_blocks = min(self.max_batch_blocks, self.batch_blocks * 2)
            self._good_batches = 0
        transfers = sum(1 for log in logs if log.kind == "transfer")
        return IndexerStep(head.number, target, first, last, len(logs), transfers, changed)

    def _fetch(self, head: BlockHeader, first: int, last: int) -> tuple[int, str | None, list[CardLog]]:
        """Return the logs of `first`..`last`, or of a shorter range when the node refuses that
        many, with the range's actual last block and that block's hash read before the logs."""
        while True:
            last_hash = head.hash if last == head.number else self.node.block_hashes([last]).get(last)
            try:
                return last, last_hash, self.node.card_logs(self.contract_address, first, last)
            except LogRangeTooLarge:
                if last == first:
                    raise
                self.batch_blocks = max(1, (last - first + 1) // 2)
                self._good_batches = 0
                last = first + self.batch_blocks - 1
            except NodeStoppedAnswering as exc:
                if "timed out" in str(exc) and last > first:
                    # A slow node: ask for half the range next time, after the loop's backoff.
                    self.batch_blocks = max(1, (last - first + 1) // 2)
                    self._good_batches = 0
                raise

    def _note_head(self, checkpoint: IndexerCheckpoint, head: BlockHeader) -> None:
        """Record the head the node reported, for gating's lag; at most every HEARTBEAT when idle."""
        now = utcnow()
        if checkpoint.head_block != head.number or self._heartbeat_written is None or now - self._heartbeat_written >= HEARTBEAT:
            checkpoint.head_block = head.number
            checkpoint.head_seen_at = now
            self._heartbeat_written = now

    def _apply(self, checkpoint: IndexerCheckpoint, logs: list[CardLog]) -> int:
        """Record the events and fold them into the holdings; return how many cards changed."""
        if not logs:
            return 0
        db.session.execute(
            sa.insert(CardEvent),
            [
                {
                    "checkpoint_id": checkpoint.id,
                    "block_number": log.block_number,
                    "log_index": log.log_index,
                    "block_hash": log.block_hash,
                    "transaction_hash": log.transaction_hash,
                    "kind": log.kind,
                    "resident_number": log.resident_number,
                    "from_address": log.from_address,
                    "to_address": log.to_address,
                    "block_time": log.block_time,
                }
                for log in logs
            ],
        )
        numbers = sorted({log.resident_number for log in logs})
        before = _load_cards(numbers)
        after: dict[int, CardState | None] = {number: before.get(number) for number in numbers}
        for log in logs:
            after[log.resident_number] = apply_event(after[log.resident_number], log)
        _replace_cards(before, after)
        return sum(1 for number in numbers if before.get(number) != after[number])

    def _remember(self, checkpoint: IndexerCheckpoint, hashes: dict[int, str]) -> None:
        """Keep the hashes of the newest KEPT_BLOCKS processed blocks."""
        db.session.execute(sa.insert(IndexedBlock), [{"checkpoint_id": checkpoint.id, "block_number": n, "block_hash": h} for n, h in sorted(hashes.items())])
        oldest_kept = db.session.scalar(
            sa.select(IndexedBlock.block_number)
            .where(IndexedBlock.checkpoint_id == checkpoint.id)
            .order_by(IndexedBlock.block_number.desc())
            .offset(self.kept_blocks - 1)
            .limit(1)
        )
        if oldest_kept is not None:
            db.session.execute(sa.delete(IndexedBlock).where(IndexedBlock.checkpoint_id == checkpoint.id, IndexedBlock.block_number < oldest_kept))

    # -- reorgs ----------------------------------------------------------------------------------

    def _rewind(self, checkpoint: IndexerCheckpoint, head: BlockHeader, target: int) -> IndexerStep:
        """Undo the blocks the node replaced, back to the newest block we share with it.

        Only a block the node has and whose hash differs from ours counts as replaced. Blocks it
        does not have yet (a lagging replica behind a load balancer) mean: wait, undo nothing.
        """
        kept = dict(
            db.session.execute(
                sa.select(IndexedBlock.block_number, IndexedBlock.block_hash)
                .where(IndexedBlock.checkpoint_id == checkpoint.id, IndexedBlock.block_number <= checkpoint.block_number)
                .order_by(IndexedBlock.block_number.desc())
            ).all()
        )
        node = self.node.block_hashes(sorted(kept)) if kept else {}
        done = checkpoint.block_number
        replaced = [number for number, block_hash in kept.items() if node.get(number) is not None and node[number] != block_hash]
        if not replaced:
            if self._waiting_since is None:
                self._waiting_since = head.number
                self.report(f"The chain node is behind the indexer (its head is block {head.number}, indexed up to {done}); waiting for it, nothing undone.")
            return IndexerStep(head.number, target, done + 1, done)
        self._waiting_since = None
        shared = [number for number, block_hash in kept.items() if node.get(number) == block_hash and number < min(replaced)]
        if not shared:
            self.report(f"The chain no longer has block {done} as indexed, nor any of the last {len(kept)} blocks kept; indexing again from block {checkpoint.start_block}.")
            _forget(checkpoint)
            db.session.execute(sa.delete(Holding))
            checkpoint.block_number, checkpoint.block_hash = checkpoint.start_block - 1, None
            db.session.flush()
            return IndexerStep(head.number, target, done + 1, done, started_over=True)

        ancestor = max(shared)
        undone = db.session.execute(
            sa.select(CardEvent.resident_number).where(CardEvent.checkpoint_id == checkpoint.id, CardEvent.block_number > ancestor).distinct()
        ).scalars().all()
        db.session.execute(sa.delete(CardEvent).where(CardEvent.checkpoint_id == checkpoint.id, CardEvent.block_number > ancestor))
        db.session.execute(sa.delete(IndexedBlock).where(IndexedBlock.checkpoint_id == checkpoint.id, IndexedBlock.block_number > ancestor))
        rebuilt = _rebuild_cards(checkpoint, sorted(undone))
        checkpoint.block_number, checkpoint.block_hash = ancestor, kept[ancestor]
        db.session.flush()
        self.report(f"Reorg: block {done} was replaced; rewound to block {ancestor} and rebuilt {rebuilt} cards; replaying from there.")
        return IndexerStep(head.number, target, done + 1, done, cards_changed=rebuilt, rewound_to=ancestor)


def _forget(checkpoint: IndexerCheckpoint) -> None:
    db.session.execute(sa.delete(CardEvent).where(CardEvent.checkpoint_id == checkpoint.id))
    db.session.execute(sa.delete(IndexedBlock).where(IndexedBlock.checkpoint_id == checkpoint.id))


_CARD_COLUMNS = (Holding.resident_number, Holding.holder, Holding.locked, Holding.minted_block, Holding.minted_at, Holding.acquired_block)


def _load_cards(numbers: Sequence[int]) -> dict[int, CardState]:
    cards: dict[int, CardState] = {}
    for chunk in chunks(numbers):
        for row in db.session.execute(sa.select(*_CARD_COLUMNS).where(Holding.resident_number.in_(chunk))):
            cards[row.resident_number] = CardState(row.holder, row.locked, row.minted_block, row.minted_at, row.acquired_block)
    return cards


def _replace_cards(before: dict[int, CardState], after: dict[int, CardState | None]) -> None:
    """Write the cards' new states: delete the changed rows, then insert them again.

    Deleting first keeps the one-card-per-wallet constraint true at every statement, whatever
    order the cards changed hands in within the batch.
    """
    changed = [number for number, card in after.items() if before.get(number) != card]
    stale = [number for number in changed if number in before]
    for chunk in chunks(stale):
        db.session.execute(sa.delete(Holding).where(Holding.resident_number.in_(chunk)).execution_options(synchronize_session=False))
    rows = [
        {
            "resident_number": number,
            "holder": card.holder,
            "locked": card.locked,
            "minted_block": card.minted_block,
            "minted_at": card.minted_at,
            "acquired_block": card.acquired_block,
        }
        for number in changed
        if (card := after[number]) is not None
    ]
    if rows:
        db.session.execute(sa.insert(Holding), rows)


def _rebuild_cards(checkpoint: IndexerCheckpoint, numbers: Sequence[int]) -> int:
    """Recompute the holdings of cards `numbers` from their remaining events; return how many changed."""
    before = _load_cards(numbers)
    after: dict[int, CardState | None] = dict.fromkeys(numbers)
    for chunk in chunks(numbers):
        events = db.session.execute(
            sa.select(CardEvent).where(CardEvent.checkpoint_id == checkpoint.id, CardEvent.resident_number.in_(chunk)).order_by(CardEvent.block_number, CardEvent.log_index)
        ).scalars()
        for event in events:
            log = CardLog(event.block_number, event.log_index, event.block_hash, event.transaction_hash, event.kind, event.resident_number, event.from_address, event.to_address, event.block_time)
            after[event.resident_number] = apply_event(after[event.resident_number], log)
    _replace_cards(before, after)
    return sum(1 for number in numbers if before.get(number) != after[number])


# ---------------------------------------------------------------------------------------------
# Running it


def open_indexer(config: Config, *, batch_blocks: int = BATCH_BLOCKS, report: Callable[[str], None] = logger.info) -> ResidentIndexer:
    """Return an indexer for the configured chain and resident contract, checking the node's chain id."""
    from app.chain.service import resident_contract_address

    address = resident_contract_address(config)
    node = NodeReader(config.CHAIN_RPC_URL)
    actual = node.chain_id()
    if actual != config.CHAIN_ID:
        raise ChainIdMismatch(config.CHAIN_ID, actual, config.CHAIN_RPC_URL)
    deployment = db.session.scalar(sa.select(Deployment).where(Deployment.chain_id == config.CHAIN_ID, Deployment.address == address))
    # A contract set by address without a recorded deploy: read from genesis (batches are cheap
    # when empty), since nothing tells us its deployment block.
    start = deployment.block_number if deployment is not None else 0
    return ResidentIndexer(node, config.CHAIN_ID, address, start, confirmations=config.CHAIN_CONFIRMATIONS, batch_blocks=batch_blocks, report=report)


def catch_up(indexer: ResidentIndexer, on_step: Callable[[IndexerStep], None] | None = None) -> CatchUp:
    """Step and commit until the checkpoint reaches the node's head minus confirmations."""
    started = time.monotonic()
    first = indexer.checkpoint().block_number + 1
    blocks = logs = transfers = 0
    while True:
        try:
            step = indexer.step()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        blocks += step.blocks
        logs += step.logs
        transfers += step.transfers
        if on_step is not None:
            on_step(step)
        if step.caught_up:
            break
    holdings = db.session.scalar(sa.select(sa.func.count()).select_from(Holding)) or 0
    return CatchUp(first, step.last_block, blocks, logs, transfers, holdings, time.monotonic() - started)


class Backoff:
    """Growing pauses while the node is away: first, 2 × first, … up to MAX_BACKOFF_SECONDS."""

    def __init__(self, first: float) -> None:
        self.first = max(first, 0.1)
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return min(MAX_BACKOFF_SECONDS, self.first * 2 ** (self.failures - 1))

    def reset(self) -> None:
        self.failures = 0


def follow(
    config: Config,
    stop: threading.Event,
    *,
    interval: float = 1.0,
    batch_blocks: int = BATCH_BLOCKS,
    report: Callable[[str], None] = logger.info,
) -> None:
    """Follow the chain until `stop` is set. Node outages, reorgs and redeploys are reported and
    survived; nothing the chain or the database does ends the loop."""
    indexer: ResidentIndexer | None = None
    backoff = Backoff(interval)
    try:
        while not stop.is_set():
            pause = interval
            try:
                indexer = _current_indexer(config, indexer, interval, batch_blocks, report)
                step = indexer.step()
                db.session.commit()
                if backoff.failures:
                    report(f"The chain node answers again; indexed up to block {step.last_block}.")
                backoff.reset()
                if step.logs:
                    report(f"Blocks {step.first_block}–{step.last_block}: {step.logs} card events, {step.cards_changed} cards changed.")
                if not step.caught_up:
                    pause = 0
            except (ChainError, SQLAlchemyError) as exc:
                db.session.rollback()
                pause = backoff.next()
                if isinstance(exc, NodeRateLimited) and exc.retry_after:
                    pause = max(pause, min(exc.retry_after, MAX_BACKOFF_SECONDS))
                report(f"{exc} Retrying in {pause:.0f} s.")
            except Exception as exc:  # noqa: BLE001 (a daemon loop: report, back off, keep going)
                db.session.rollback()
                pause = backoff.next()
                logger.exception("indexer step failed")
                report(f"The indexer step failed unexpectedly ({type(exc).__name__}: {exc}); the log has the traceback. Retrying in {pause:.0f} s.")
            stop.wait(pause)
    finally:
        db.session.rollback()
        if indexer is not None:
            try:
                indexer.set_following(False)
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()


def _current_indexer(config: Config, indexer: ResidentIndexer | None, interval: float, batch_blocks: int, report: Callable[[str], None]) -> ResidentIndexer:
    """Keep the indexer unless the contract address changed (a redeploy); open one when needed."""
    from app.chain.service import resident_contract_address

    if indexer is not None and resident_contract_address(config) == indexer.contract_address:
        return indexer
    indexer = open_indexer(config, batch_blocks=batch_blocks, report=report)
    indexer.set_following(True, interval)
    db.session.commit()
    return indexer


class BackgroundIndexer:
    """The follow loop in a thread of this process, with its own app context (for `residents dev`)."""

    def __init__(self, app: Flask, interval: float = 1.0, report: Callable[[str], None] = logger.info) -> None:
        self.app = app
        self.interval = interval
        self.report = report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="residents-indexer", daemon=True)

    def start(self) -> BackgroundIndexer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        with self.app.app_context():
            follow(self.app.config["SETTINGS"], self._stop, interval=self.interval, report=self.report)


# ---------------------------------------------------------------------------------------------
# What gating reads: the indexer's progress, without a chain call


@dataclass(frozen=True)
class IndexerProgress:
    """How far the indexer is, as it last recorded it."""

    block_number: int
    head_block: int | None
    head_seen_at: datetime | None
    following: bool
    poll_seconds: float

    def blocks_behind(self, confirmations: int = 0) -> int:
        """Blocks the node had (minus confirmations) that the holdings do not reflect yet."""
        if self.head_block is None:
            return 0
        return max(0, self.head_block - confirmations - self.block_number)

    def stale(self, now: datetime) -> bool:
        """A follow loop should be running but has not reached the node for several polls."""
        if not self.following:
            return False
        late = max(STALE_AFTER, timedelta(seconds=10 * self.poll_seconds))
        return self.head_seen_at is None or now - self.head_seen_at > late

    def behind(self, max_lag_blocks: int, confirmations: int = 0, now: datetime | None = None) -> bool:
        return self.blocks_behind(confirmations) > max_lag_blocks or self.stale(now or utcnow())


def indexer_progress(chain_id: int) -> IndexerProgress | None:
    """Return the indexer's progress on `chain_id`, or None if it never ran. One query, no chain call."""
    row = db.session.execute(
        sa.select(
            IndexerCheckpoint.block_number,
            IndexerCheckpoint.head_block,
            IndexerCheckpoint.head_seen_at,
            IndexerCheckpoint.following,
            IndexerCheckpoint.poll_seconds,
        ).where(IndexerCheckpoint.chain_id == chain_id)
    ).first()
    if row is None:
        return None
    return IndexerProgress(row.block_number, row.head_block, row.head_seen_at, row.following, row.poll_seconds)
