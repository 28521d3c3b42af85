from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class Deployment(db.Model):
    """Where a contract of ours lives on one chain, as recorded by `residents deploy`."""

    __tablename__ = "deployments"
    __table_args__ = (sa.UniqueConstraint("chain_id", "contract_name", name="uq_deployments_chain_contract"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(sa.BigInteger)
    #: Artifact name, e.g. "DigitalResident".
    contract_name: Mapped[str] = mapped_column(sa.String(64))
    #: EIP-55 checksummed contract address.
    address: Mapped[str] = mapped_column(sa.String(42))
    #: The block that holds the deploy transaction; the indexer starts here.
    block_number: Mapped[int] = mapped_column(sa.BigInteger)
    transaction_hash: Mapped[str] = mapped_column(sa.String(66))
    #: Fixed at deploy: cards cannot be transferred by their holders (ERC-5192 locked).
    soulbound: Mapped[bool] = mapped_column(sa.Boolean)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Holding(db.Model):
    """Who holds each resident card now, as the indexer last saw it on the chain.

    Gating reads only this table: a page view never calls the chain. A revoked card has no row.
    """

    __tablename__ = "holdings"

    #: Token id = resident number.
    resident_number: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: EIP-55 checksummed holder; one card per wallet, which the contract enforces too.
    holder: Mapped[str] = mapped_column(sa.String(42), unique=True)
    #: ERC-5192: the card cannot be moved by its holder.
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Block of the card's mint; its timestamp is the issue date.
    minted_block: Mapped[int] = mapped_column(sa.BigInteger)
    minted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Block in which the current holder received it (mint, transfer or recovery).
    acquired_block: Mapped[int] = mapped_column(sa.BigInteger)


# ---------------------------------------------------------------------------------------------
# Indexer state: where it is, the block hashes it has seen, and every card event it applied.


class IndexerCheckpoint(db.Model):
    """How far the indexer has followed one resident contract, and what it last saw of the node.

    One row per chain: when the contract address changes (a reset local chain, a redeploy) the
    indexer drops the old row with its events and holdings and starts over.
    """

    __tablename__ = "indexer_checkpoints"
    __table_args__ = (sa.UniqueConstraint("chain_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(sa.BigInteger)
    #: EIP-55 checksummed address of the DigitalResident contract being followed.
    contract_address: Mapped[str] = mapped_column(sa.String(42))
    #: First block that can hold the contract's logs (its deployment block).
    start_block: Mapped[int] = mapped_column(sa.BigInteger)
    #: Last block whose logs are applied to the holdings (start_block - 1 before the first batch).
    block_number: Mapped[int] = mapped_column(sa.BigInteger)
    #: Hash of `block_number`, compared with the node's before each step to notice reorgs.
    block_hash: Mapped[str | None] = mapped_column(sa.String(66))
    #: The node's head at the indexer's last successful poll; gating's lag is head_block - block_number.
    head_block: Mapped[int | None] = mapped_column(sa.BigInteger)
    head_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: A follow loop (`residents indexer`, or the one inside `residents dev`) is running; a
    #: heartbeat older than a few polls then means it died or lost the node.
    following: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Seconds between the follow loop's polls, so readers know when its heartbeat is late.
    poll_seconds: Mapped[float] = mapped_column(sa.Float, default=1.0)


class IndexedBlock(db.Model):
    """A recent block the indexer processed, with its hash, to find where a reorg forked."""

    __tablename__ = "indexed_blocks"

    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("indexer_checkpoints.id", ondelete="CASCADE"), primary_key=True)
    block_number: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    block_hash: Mapped[str] = mapped_column(sa.String(66))


class CardEvent(db.Model):
    """One Transfer, Locked or Unlocked log of the resident contract, as applied to the holdings.

    Append-only, except that a reorg deletes the events of the blocks it replaced; the holdings
    of the cards those events touched are then rebuilt from the events that remain.
    """

    __tablename__ = "card_events"
    __table_args__ = (
        sa.UniqueConstraint("checkpoint_id", "block_number", "log_index"),
        sa.Index("ix_card_events_checkpoint_id_resident_number", "checkpoint_id", "resident_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("indexer_checkpoints.id", ondelete="CASCADE"))
    block_number: Mapped[int] = mapped_column(sa.BigInteger)
    log_index: Mapped[int] = mapped_column(sa.Integer)
    block_hash: Mapped[str] = mapped_column(sa.String(66))
    transaction_hash: Mapped[str] = mapped_column(sa.String(66))
    #: "transfer" (mint from, revoke to, the zero address), "locked" or "unlocked".
    kind: Mapped[str] = mapped_column(sa.String(8))
    resident_number: Mapped[int] = mapped_column(sa.BigInteger)
    #: Transfers only: checksummed sender and receiver (the zero address for mint and revoke).
    from_address: Mapped[str | None] = mapped_column(sa.String(42))
    to_address: Mapped[str | None] = mapped_column(sa.String(42))
    #: Transfers only: the block's timestamp; a mint's is the card's issue date.
    block_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
