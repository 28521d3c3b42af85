"""Make, list and dismiss notices. Generators call `notify` as often as they like: a notice with
the same (account, dedupe key) is made once."""

from __future__ import annotations

from datetime import datetime
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import Account
from app.extensions import db
from app.timeutil import utcnow
from community.notifications.models import Notification

#: At most this many notices are shown at once; the oldest unread come first.
SHOWN_AT_ONCE = 5


def notify(
    account_id: int,
    kind: str,
    message_key: str,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    due_at: datetime | None = None,
    *,
    subject: str = "",
    dedupe_key: str | None = None,
) -> int | None:
    """Make a notice for `account_id`; return its id, or None when the same one exists already."""
    values = {
        "account_id": account_id, "kind": kind, "subject": subject, "dedupe_key": dedupe_key or f"{kind}:{subject}",
        "message_key": message_key, "params": params or {}, "link": link, "due_at": due_at or utcnow(), "created_at": utcnow(),
    }
    # INSERT … ON CONFLICT DO NOTHING: two requests making the same notice at once both succeed and
    # only one row exists (a savepoint would not do on pysqlite, which starts no transaction for it).
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["account_id", "dedupe_key"])
    return db.session.scalar(statement.returning(Notification.id))


def existing_keys(account_ids: Iterable[int], subjects: Iterable[str]) -> set[tuple[int, str]]:
    """Return the (account id, dedupe key) pairs already made for these accounts and subjects."""
    accounts, about = set(account_ids), set(subjects)
    if not accounts or not about:
        return set()
    query = sa.select(Notification.account_id, Notification.dedupe_key).where(Notification.account_id.in_(accounts), Notification.subject.in_(about))
    return {(account_id, key) for account_id, key in db.session.execute(query)}


def unread_for(account: Account | None, now: datetime | None = None) -> list[Notification]:
    """Return the account's unread notices that are due, oldest first."""
    if account is None:
        return []
    query = (
        sa.select(Notification)
        .where(Notification.account_id == account.id, Notification.read_at.is_(None), Notification.due_at <= (now or utcnow()))
        .order_by(Notification.due_at, Notification.id)
        .limit(SHOWN_AT_ONCE)
    )
    return list(db.session.scalars(query))


def mark_read(account: Account, notification_id: int | None = None, now: datetime | None = None) -> int:
    """Mark one of the account's notices read (or all of them when no id is given); return how many."""
    query = sa.update(Notification).where(Notification.account_id == account.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def withdraw(subject: str, kind_prefix: str = "", account_id: int | None = None, now: datetime | None = None) -> int:
    """Mark unread notices about `subject` read: of one account or all, of kinds starting with `kind_prefix`."""
    query = sa.update(Notification).where(Notification.subject == subject, Notification.read_at.is_(None))
    if account_id is not None:
        query = query.where(Notification.account_id == account_id)
    if kind_prefix:
        query = query.where(Notification.kind.startswith(kind_prefix, autoescape=True))
    result = db.session.execute(query.values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
