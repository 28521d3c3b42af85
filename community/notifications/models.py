from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class Notification(db.Model):
    """One notice for one account, shown on every page from `due_at` until it is read."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The same notice is never made twice: generators may run again and again (idempotent).
        sa.UniqueConstraint("account_id", "dedupe_key", name="uq_notifications_account_id_dedupe_key"),
        sa.Index("ix_notifications_account_unread", "account_id", "read_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    #: Dotted kind, e.g. "meetup.reminder.day_before"; lets a feature find its own notices.
    kind: Mapped[str] = mapped_column(sa.String(64))
    #: What the notice is about, e.g. "meetup:12"; `withdraw()` clears unread notices by subject.
    subject: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Uniqueness per account; defaults to "<kind>:<subject>".
    dedupe_key: Mapped[str] = mapped_column(sa.String(160))
    #: English msgid, translated when shown (so each person reads it in their own language).
    message_key: Mapped[str] = mapped_column(sa.String(300))
    #: Values for the msgid's %(name)s placeholders: a string, or {"ja": …, "en": …}.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Site path the notice leads to.
    link: Mapped[str | None] = mapped_column(sa.String(300))
    #: Shown from this moment on.
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
