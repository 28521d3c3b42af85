from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class AuditEntry(db.Model):
    """One staff action, kept for the record; the app only ever appends."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    #: Checksummed address of the staff member, or "cli:<os user>" for admin scripts.
    actor: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Dotted action name, e.g. "contract.deploy", "role.grant", "card.revoke".
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: What the action was done to, e.g. a contract address or "resident:12".
    target: Mapped[str] = mapped_column(sa.String(128))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
