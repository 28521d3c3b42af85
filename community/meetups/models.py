from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Account
from app.extensions import db
from app.timeutil import UtcDateTime, utcnow

#: Platforms the town meets on; "other" covers anything new.
PLATFORMS = ("cluster", "vrchat", "spatial", "other")

#: RSVP answers. A waitlisted resident said "going" when the meetup was full.
GOING = "going"
WAITLISTED = "waitlisted"
NOT_GOING = "not_going"
RSVP_STATUSES = (GOING, WAITLISTED, NOT_GOING)


class Meetup(db.Model):
    """A metaverse meetup with the mayor, scheduled by the town office."""

    __tablename__ = "meetups"
    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_meetups_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ja: Mapped[str] = mapped_column(sa.String(120))
    title_en: Mapped[str] = mapped_column(sa.String(120))
    #: Plain text; line breaks are kept when shown. Never rendered as HTML.
    description_ja: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    #: UTC; shown in Asia/Tokyo.
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: One of PLATFORMS.
    platform: Mapped[str] = mapped_column(sa.String(16))
    #: https URL of the virtual venue; shown only to residents who RSVPed "going".
    join_url: Mapped[str] = mapped_column(sa.String(500))
    #: Seats; RSVPs beyond it go to the waitlist.
    capacity: Mapped[int] = mapped_column(sa.Integer)
    #: Last moment a resident may answer "going".
    rsvp_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Set when the town office calls the meetup off; the row stays for calendars and the record.
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: iCalendar SEQUENCE: 0 when created, +1 on every edit or cancellation (RFC 5545 3.8.7.4).
    sequence: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Bumped by every RSVP change. The conditional UPDATE that bumps it is also the lock that
    #: serializes RSVP changes of one meetup (a row lock on PostgreSQL, the write lock on SQLite).
    rsvp_revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Last edit by the town office (not RSVPs); the iCalendar DTSTAMP and LAST-MODIFIED.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    created_by: Mapped[Account | None] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def title(self, locale: str) -> str:
        return (self.title_en if locale == "en" else self.title_ja) or self.title_ja or self.title_en

    def description(self, locale: str) -> str:
        return (self.description_en if locale == "en" else self.description_ja) or self.description_ja or self.description_en


class Rsvp(db.Model):
    """One resident's answer to one meetup."""

    __tablename__ = "meetup_rsvps"
    __table_args__ = (
        sa.UniqueConstraint("meetup_id", "account_id", name="uq_meetup_rsvps_meetup_id_account_id"),
        sa.CheckConstraint("status IN ('going', 'waitlisted', 'not_going')", name="status_known"),
        # The waitlist is read in this order when a seat frees up.
        sa.Index("ix_meetup_rsvps_meetup_status_order", "meetup_id", "status", "responded_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(sa.ForeignKey("meetups.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    #: One of RSVP_STATUSES.
    status: Mapped[str] = mapped_column(sa.String(16))
    #: When the resident last changed their answer; also their place in the waitlist.
    responded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: When a waitlisted resident got a seat.
    promoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    meetup: Mapped[Meetup] = relationship()
    account: Mapped[Account] = relationship()


class CalendarFeed(db.Model):
    """A resident's private calendar feed: anyone with the URL sees the meetups they are going to."""

    __tablename__ = "meetup_calendar_feeds"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    #: 256-bit random URL token (secrets.token_urlsafe). Kept as is so the page can show the URL
    #: again; regenerating replaces it, revoking deletes the row.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
