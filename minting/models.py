"""Mint jobs: the pipeline's record of where each resident is, so a rerun knows what is left."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class Step(StrEnum):
    """Where one resident of a job is. Each state is written only after the step is done."""

    PENDING = "pending"
    #: The card image was rendered for `resident_number` (its CID is known, nothing stored yet).
    RENDERED = "rendered"
    #: Image and metadata are on IPFS; `metadata_cid` is what the mint will carry.
    STORED = "stored"
    #: The mint transaction was signed (`transaction_hash`); it may or may not be on chain.
    SUBMITTED = "submitted"
    #: The card is on chain with `resident_number` and `metadata_cid` (mined in `block_number`).
    CONFIRMED = "confirmed"
    #: Given up; `error` says why and what to do.
    FAILED = "failed"


#: States a rerun still has to carry forward.
OPEN_STEPS = (Step.PENDING, Step.RENDERED, Step.STORED, Step.SUBMITTED)


class MintJob(db.Model):
    """One minting run: a CSV file or a single `residents mint`, identified by its content."""

    __tablename__ = "mint_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha2-256 (hex) of the chain, contract and input; rerunning the same input finds this job.
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: "csv" or "single".
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: The CSV file as given on the command line, or the single mint's address.
    source: Mapped[str] = mapped_column(sa.String(512))
    chain_id: Mapped[int] = mapped_column(sa.BigInteger)
    contract_address: Mapped[str] = mapped_column(sa.String(42))
    #: CSV lines left out by --skip-invalid: [{"line": 4, "column": "address", "message": "…"}].
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Set when no resident of the job is left open.
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    residents: Mapped[list[MintJobResident]] = relationship(
        back_populates="job", order_by="MintJobResident.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<MintJob {self.id} {self.kind} {self.source}>"


class MintJobResident(db.Model):
    """One resident of a mint job and the step it has reached."""

    __tablename__ = "mint_job_residents"
    __table_args__ = (sa.UniqueConstraint("job_id", "address", name="uq_mint_job_residents_job_id_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("mint_jobs.id", ondelete="CASCADE"), index=True)
    #: Order in the job (the CSV order); cards are numbered in this order.
    position: Mapped[int] = mapped_column(sa.Integer)
    #: Line of the CSV file the resident came from (1 for a single mint).
    line: Mapped[int] = mapped_column(sa.Integer)
    #: EIP-55 checksummed wallet that receives the card.
    address: Mapped[str] = mapped_column(sa.String(42))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    #: The metadata's batch attribute.
    batch: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default=Step.PENDING, index=True)
    #: The number the card was rendered for, then the number the contract assigned.
    resident_number: Mapped[int | None] = mapped_column(sa.BigInteger)
    image_cid: Mapped[str | None] = mapped_column(sa.String(64))
    metadata_cid: Mapped[str | None] = mapped_column(sa.String(64))
    #: The last mint transaction signed for this resident (0x-prefixed hex).
    transaction_hash: Mapped[str | None] = mapped_column(sa.String(66))
    block_number: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    job: Mapped[MintJob] = relationship(back_populates="residents")

    def __repr__(self) -> str:
        return f"<MintJobResident {self.address} {self.state}>"
