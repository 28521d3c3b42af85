from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow

#: Staff roles, granted from the command line. Residency itself is not a role: it follows the chain.
ADMIN = "admin"
ORGANIZER = "organizer"
MODERATOR = "moderator"
STAFF_ROLES = (ADMIN, ORGANIZER, MODERATOR)


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
    #: The resident agreed to show their display name on their public profile page.
    profile_public: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    staff_roles: Mapped[list[StaffRole]] = relationship(back_populates="account", lazy="selectin", cascade="all, delete-orphan")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.staff_roles)

    def has_role(self, role: str) -> bool:
        """True for a holder of `role`; admins hold every staff role."""
        roles = self.roles
        return role in roles or ADMIN in roles

    def __repr__(self) -> str:
        return f"<Account {self.address}>"


class StaffRole(db.Model):
    """One staff role held by an account, granted with `residents roles grant`."""

    __tablename__ = "staff_roles"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    #: One of STAFF_ROLES.
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Who granted it, as written in the audit log ("cli:<user>" or an address).
    granted_by: Mapped[str] = mapped_column(sa.String(64))

    account: Mapped[Account] = relationship(back_populates="staff_roles")


class SignInNonce(db.Model):
    """A sign-in message the server issued and has not yet seen signed; deleted when used.

    Kept in the database, not the session, so that any worker can accept the signature and
    so that deleting the row is the one atomic step that makes a message single-use.
    """

    __tablename__ = "sign_in_nonces"

    #: The EIP-4361 nonce (alphanumeric, from `siwe.new_nonce()`).
    nonce: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: The checksummed address the message was issued for; only it may sign this nonce.
    address: Mapped[str] = mapped_column(sa.String(42))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The message's Expiration Time; expired rows are swept when new messages are issued.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    #: SHA-256 (hex) of the exact text issued: only that text, signed, signs the person in.
    message_sha256: Mapped[str] = mapped_column(sa.String(64))


class AccountSession(db.Model):
    """One signed-in browser session, kept on the server.

    The session cookie holds a random token; this row holds its SHA-256. Signing out deletes the
    row, so every copy of the cookie stops working at once, wherever it was copied to; a row past
    its idle or absolute lifetime opens nothing either.
    """

    __tablename__ = "account_sessions"

    #: SHA-256 (hex) of the token in the cookie; the token itself is never stored.
    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    #: How the person proved who they are: "siwe" (a wallet's signature) or "passkey".
    method: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Updated at most every few minutes; the idle lifetime counts from here.
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: started_at + SESSION_LIFETIME_HOURS: the session ends then however active it is.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
