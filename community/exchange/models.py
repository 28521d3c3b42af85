from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Account
from app.chain.anchors import new_record_uid
from app.extensions import db
from app.timeutil import UtcDateTime, utcnow

#: ExchangeEvent.status values.
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
CLOSED = "closed"

#: Registration.status values.
REGISTERED = "registered"
WAITLISTED = "waitlisted"
WITHDRAWN = "withdrawn"

#: CheckIn.method values.
KIOSK = "kiosk"
PASS = "pass"


class ExchangeEvent(db.Model):
    """A real-world exchange event (リアル交流会) organised by the mayor's office."""

    __tablename__ = "exchange_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ja: Mapped[str] = mapped_column(sa.String(120))
    title_en: Mapped[str] = mapped_column(sa.String(120))
    description_ja: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    #: UTC; entered and shown in Asia/Tokyo.
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Registration closes at this moment (UTC); at the latest the start.
    registration_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    place_name: Mapped[str] = mapped_column(sa.String(120))
    place_address: Mapped[str] = mapped_column(sa.String(200))
    #: WGS 84 degrees, 7 decimals (about 1 cm).
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 7))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 7))
    #: Places for registered residents; the rest wait in line.
    capacity: Mapped[int] = mapped_column(sa.Integer)
    #: Residents who did not register may check in at the door while places are free.
    walk_ins: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: One of SCHEDULED, CANCELLED, CLOSED.
    status: Mapped[str] = mapped_column(sa.String(16), default=SCHEDULED)
    #: Bumped by every registration change and check-in. Updating this row first serialises
    #: concurrent writers of one event on SQLite and PostgreSQL alike (see service._lock_event).
    roster_version: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The anchored attendance tree: 0x-prefixed hex of the Merkle root, its leaf count, and the
    #: transaction (None when a re-run found the root already on chain).
    attendance_root: Mapped[str | None] = mapped_column(sa.String(66))
    attendee_count: Mapped[int | None] = mapped_column(sa.Integer)
    anchor_transaction: Mapped[str | None] = mapped_column(sa.String(66))
    #: Where the root was anchored, so proofs name the right chain and contract later on.
    anchor_chain_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    anchor_contract: Mapped[str | None] = mapped_column(sa.String(42))
    anchored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Random id naming this event in its on-chain anchor key (app/chain/anchors.py): drawn at
    #: creation, so nobody can anchor for the event beforehand; replaced when an anchor is voided.
    anchor_uid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_record_uid)
    #: The anchor key the root was anchored under (0x hex), derived from the uid, chain, contract and site.
    anchor_key: Mapped[str | None] = mapped_column(sa.String(66))

    created_by: Mapped[Account | None] = relationship()

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ja

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_ja


class Registration(db.Model):
    """A resident's place (or place in line) at an exchange event."""

    __tablename__ = "exchange_registrations"
    __table_args__ = (sa.UniqueConstraint("event_id", "account_id", name="uq_exchange_registrations_event_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_events.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    #: One of REGISTERED, WAITLISTED, WITHDRAWN.
    status: Mapped[str] = mapped_column(sa.String(16))
    #: When the resident (last) joined; the waitlist is promoted in this order.
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    account: Mapped[Account] = relationship()


class CheckIn(db.Model):
    """One resident present at an exchange event, with the evidence of how they checked in."""

    __tablename__ = "exchange_check_ins"
    __table_args__ = (sa.UniqueConstraint("event_id", "address", name="uq_exchange_check_ins_event_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_events.id", ondelete="CASCADE"), index=True)
    #: EIP-55 checksummed wallet of the resident; the Merkle leaf is (event id, address).
    address: Mapped[str] = mapped_column(sa.String(42), index=True)
    resident_number: Mapped[int] = mapped_column(sa.BigInteger)
    #: KIOSK (wallet signature over a rotating kiosk code) or PASS (staff scanned a signed pass).
    method: Mapped[str] = mapped_column(sa.String(8))
    #: KIOSK: the EIP-712 signature (0x hex). PASS: the server-signed pass token that was scanned.
    evidence: Mapped[str] = mapped_column(sa.Text)
    #: KIOSK: the kiosk code (0x hex bytes32) and issuedAt from the signed message.
    kiosk_code: Mapped[str | None] = mapped_column(sa.String(66))
    issued_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: True when the resident held no place (a walk-in, admitted because the event allows them).
    walk_in: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: PASS: the staff account that scanned the pass.
    scanned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    event: Mapped[ExchangeEvent] = relationship()
