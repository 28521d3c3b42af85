"""Every table of the site, imported in one place so Alembic and create_app() see them all."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.auth.models import Account, StaffRole
from app.chain.models import CardEvent, Deployment, Holding, IndexedBlock, IndexerCheckpoint
from app.cards.models import IssuedCard  # noqa: F401
from minting.models import MintJob, MintJobResident  # noqa: F401
from community.forums.models import ForumCategory, ForumPost, ForumReader, ForumReadMarker, ForumReport, ForumThread  # noqa: F401
from community.meetups.models import CalendarFeed, Meetup, Rsvp  # noqa: F401
from community.notifications.models import Notification  # noqa: F401
from community.exchange.models import CheckIn, ExchangeEvent, Registration  # noqa: F401

__all__ = ["Account", "AuditEntry", "CardEvent", "Deployment", "Holding", "IndexedBlock", "IndexerCheckpoint", "StaffRole"]


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the indexer write while pages read; SQLite leaves foreign keys off unless asked.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
