"""The audit log as staff see it: filters, pages, the CSV export, and who sees which details.

Organizers (the mayor's office) see every staff action: who did it, when, what, to which card
or page. Details that are residents' personal data — the wallet behind a card, why a card was
revoked, who moved up a waitlist — are shown to admins only, on the page and in the CSV alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit.models import AuditEntry
from app.audit.service import record
from app.auth.models import ADMIN, Account
from app.extensions import db
from app.timeutil import TOKYO
from app.spreadsheet import BOM, csv_line
from app.staff.service import require_staff

#: Audit entries per page.
AUDIT_PAGE_SIZE = 50

#: Detail keys that hold a resident's personal data, in any action.
PERSONAL_DETAIL_KEYS = frozenset({"holder", "previous_holder", "new_holder", "promoted", "address", "wallet", "email", "display_name"})
#: Further personal details of particular actions (elsewhere the same key is not personal:
#: a moderator's reason for hiding a post is about the post).
PERSONAL_DETAILS_OF_ACTION: Mapping[str, frozenset[str]] = {"card.revoke": frozenset({"reason"})}
#: What stands in for a personal detail when an organizer looks.
HIDDEN_DETAIL = _l("(shown to admins only)")


def _tokyo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TOKYO).astimezone(UTC)


def is_personal(action: str, key: str) -> bool:
    return key in PERSONAL_DETAIL_KEYS or key in PERSONAL_DETAILS_OF_ACTION.get(action, frozenset())


@dataclass(frozen=True)
class ShownEntry:
    """An audit entry as one viewer may see it (the stored entry itself is never changed)."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str
    details: Mapping[str, Any]


def shown_entry(entry: AuditEntry, *, to_admin: bool) -> ShownEntry:
    """The entry with its residents' personal details hidden unless shown to an admin."""
    details = dict(entry.details or {})
    if not to_admin:
        details = {key: (HIDDEN_DETAIL if is_personal(entry.action, key) else value) for key, value in details.items()}
    return ShownEntry(entry.id, entry.occurred_at, entry.actor, entry.action, entry.target, details)


@dataclass(frozen=True)
class AuditFilters:
    """Which audit entries to show; days are calendar days in Asia/Tokyo, both ends included."""

    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def as_query(self) -> dict[str, str]:
        """Return the filters that are set, as query-string values (for links and the CSV)."""
        return {key: str(value) for key, value in vars(self).items() if value}

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.actor:
            # Addresses are stored checksummed; people paste them in any case.
            conditions.append(sa.func.lower(AuditEntry.actor) == self.actor.strip().lower())
        if self.action:
            conditions.append(AuditEntry.action == self.action)
        if self.since:
            conditions.append(AuditEntry.occurred_at >= _tokyo_midnight(self.since))
        if self.until:
            conditions.append(AuditEntry.occurred_at < _tokyo_midnight(self.until + timedelta(days=1)))
        return conditions


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[ShownEntry]
    page: int
    pages: int
    total: int
    #: Every action that occurs in the log, for the filter's choices.
    actions: Sequence[str]

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def audit_page(account: Account | None, filters: AuditFilters, page: int = 1) -> AuditPage:
    """Return one page of the audit log, newest first, for an organizer or admin."""
    viewer = require_staff(account)
    conditions = filters.conditions()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    actions = db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    to_admin = ADMIN in viewer.roles
    return AuditPage([shown_entry(entry, to_admin=to_admin) for entry in entries], page, pages, total, actions)


#: Columns of the CSV export.
AUDIT_CSV_HEADER = ("id", "occurred_at", "actor", "action", "target", "details")


def export_audit_csv(account: Account | None, filters: AuditFilters) -> Iterator[str]:
    """Record the export, then return the matching entries as CSV lines (UTF-8 BOM first), oldest first.

    Authorization and the record happen now; only the rows are read lazily as the file streams.
    """
    staff = require_staff(account)
    record(staff.address, "audit.export", "audit_entries", filters=filters.as_query())
    # Decided now: the rows are read after the request's session has been committed.
    return _audit_csv_lines(filters.conditions(), to_admin=ADMIN in staff.roles, hidden=str(HIDDEN_DETAIL))


def _audit_csv_lines(conditions: list[sa.ColumnElement[bool]], *, to_admin: bool, hidden: str) -> Iterator[str]:
    # The BOM makes Excel, which many town offices open CSV files with, read UTF-8 Japanese correctly.
    yield BOM + csv_line(AUDIT_CSV_HEADER)
    query = sa.select(AuditEntry).where(*conditions).order_by(AuditEntry.occurred_at, AuditEntry.id).execution_options(yield_per=500)
    for stored in db.session.scalars(query):
        entry = shown_entry(stored, to_admin=to_admin)
        yield csv_line(
            [
                str(entry.id),
                entry.occurred_at.astimezone(TOKYO).isoformat(timespec="seconds"),
                entry.actor,
                entry.action,
                entry.target,
                json.dumps({key: hidden if value is HIDDEN_DETAIL else value for key, value in entry.details.items()}, ensure_ascii=False, sort_keys=True),
            ]
        )
