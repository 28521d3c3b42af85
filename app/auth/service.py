from __future__ import annotations

from app.auth.models import Account
from app.extensions import db


def load_account(account_id: str) -> Account | None:
    """Return the signed-in account for Flask-Login, or None when the id is stale or malformed."""
    try:
        return db.session.get(Account, int(account_id))
    except ValueError:
        return None
