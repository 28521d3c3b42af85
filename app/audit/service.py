from __future__ import annotations

from typing import Any

from app.audit.models import AuditEntry
from app.extensions import db


def record(actor: str, action: str, target: str, **details: Any) -> AuditEntry:
    """Append one staff action to the audit log (flushed; the caller's unit of work commits)."""
    entry = AuditEntry(actor=actor, action=action, target=target, details=details)
    db.session.add(entry)
    db.session.flush()
    return entry
