"""Signed-in sessions, recorded on the server.

The browser's cookie (signed by Flask) carries the account id and a random token; the
`account_sessions` table keeps the token's SHA-256 with the session's idle and absolute
lifetime. Every request checks the record (in the same query that loads the account), so:

- signing out deletes the record and every copy of the cookie stops working at once;
- a session unused for SESSION_IDLE_MINUTES, or older than SESSION_LIFETIME_HOURS, opens nothing;
- staff roles and cards are read fresh on every request, so revoking one takes effect at the
  next request; revoking a role also ends the person's sessions.

`start_session` is the one way any sign-in method (a wallet signature now, a passkey next)
signs a person in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, session
from flask_login import login_user, logout_user

from app.auth.models import Account, AccountSession
from app.config import Config
from app.extensions import db
from app.timeutil import utcnow

#: Key of the session token in Flask's session cookie.
SESSION_TOKEN = "_session"
#: What survives signing in and out: the language chosen before.
KEPT_ACROSS_SESSIONS = ("locale",)
#: The last-seen time is written at most this often per session (not on every page view).
TOUCH_AT_MOST_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: idle (without requests) and at most (from signing in)."""

    idle: timedelta
    lifetime: timedelta

    @classmethod
    def from_config(cls, config: Config) -> SessionPolicy:
        return cls(timedelta(minutes=config.SESSION_IDLE_MINUTES), timedelta(hours=config.SESSION_LIFETIME_HOURS))

    @property
    def touch_every(self) -> timedelta:
        return min(TOUCH_AT_MOST_EVERY, self.idle / 4)


def _policy() -> SessionPolicy:
    return SessionPolicy.from_config(current_app.config["SETTINGS"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(account_id: int, method: str, policy: SessionPolicy, now: datetime | None = None) -> str:
    """Record a new session for the account and return its token (for the cookie only)."""
    now = now or utcnow()
    db.session.execute(sa.delete(AccountSession).where(AccountSession.expires_at <= now), execution_options={"synchronize_session": False})
    token = secrets.token_urlsafe(32)
    db.session.add(AccountSession(token_sha256=_digest(token), account_id=account_id, method=method, started_at=now, last_seen_at=now, expires_at=now + policy.lifetime))
    db.session.flush()
    return token


def _fresh_browser_session() -> None:
    """Drop everything the browser's session held (a planted CSRF secret, a stale token), keeping the language."""
    kept = {key: session[key] for key in KEPT_ACROSS_SESSIONS if key in session}
    session.clear()
    session.update(kept)


def start_session(account: Account, method: str) -> None:
    """Sign `account` in on this browser: a fresh cookie session tied to a new server-side record."""
    _fresh_browser_session()
    session[SESSION_TOKEN] = open_session(account.id, method, _policy())
    session.permanent = True
    login_user(account)


def end_session() -> None:
    """Sign out: delete this session's record (ending every copy of the cookie) and forget it here."""
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        db.session.execute(sa.delete(AccountSession).where(AccountSession.token_sha256 == _digest(token)), execution_options={"synchronize_session": False})
    logout_user()
    _fresh_browser_session()


def end_sessions_of(account_id: int) -> int:
    """End every session of an account (its role changed, or it asked to sign out everywhere)."""
    ended = db.session.execute(sa.delete(AccountSession).where(AccountSession.account_id == account_id), execution_options={"synchronize_session": False})
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


def _forget_here() -> None:
    for key in ("_user_id", "_fresh", "_id", SESSION_TOKEN):
        session.pop(key, None)


def load_account(account_id: str) -> Account | None:
    """Return the signed-in account for Flask-Login, or None when the session's record is gone,
    idle too long, past its lifetime, or belongs to another account."""
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not account_id.isdigit() or len(account_id) > 10:
        _forget_here()
        return None
    row = db.session.execute(
        sa.select(Account, AccountSession)
        .join(AccountSession, AccountSession.account_id == Account.id)
        .where(AccountSession.token_sha256 == _digest(token), Account.id == int(account_id))
    ).first()
    if row is None:
        _forget_here()
        return None
    account, record = row
    policy, now = _policy(), utcnow()
    if now >= record.expires_at or now - record.last_seen_at >= policy.idle:
        db.session.delete(record)
        _forget_here()
        return None
    if now - record.last_seen_at >= policy.touch_every:
        record.last_seen_at = now
    return account
