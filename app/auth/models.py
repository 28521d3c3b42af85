from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class Account(UserMixin, db.Model):
    """A wallet that has signed in: a visitor, or a resident while it holds a card."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: EIP-55 checksummed address; the identity of the account.
    address: Mapped[str] = mapped_column(sa.String(42), unique=True)
    #: Name shown beside posts and on the public profile (only if the resident opts in).
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    #: Language the person chose ("ja" or "en"); None means follow the browser.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Account {self.address}>"
