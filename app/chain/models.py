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
