"""Who is a resident: one question, answered from the holdings table the indexer keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.auth.models import Account
from app.chain.models import Holding
from app.extensions import db
from community.gating.errors import AccessDenied, NotSignedIn


@dataclass(frozen=True)
class Residency:
    """A wallet's resident card, as the holdings table knows it."""

    address: str
    resident_number: int
    locked: bool
    issued_at: datetime


def residency_of(address: str) -> Residency | None:
    """Return the card held by `address` (checksummed), or None. Never calls the chain."""
    holding = db.session.scalar(sa.select(Holding).where(Holding.holder == address))
    if holding is None:
        return None
    return Residency(holding.holder, holding.resident_number, holding.locked, holding.minted_at)


def is_resident(address: str) -> bool:
    return residency_of(address) is not None


def require_resident(account: Account | None) -> Residency:
    """Return the account's residency, or raise AccessDenied saying what is missing."""
    if account is None:
        raise NotSignedIn(_l("Sign in with the wallet that holds your resident card."))
    residency = residency_of(account.address)
    if residency is None:
        raise AccessDenied(_l("This is for digital residents. The wallet you signed in with holds no resident card."))
    return residency


def require_role(account: Account | None, role: str) -> Account:
    """Return the account if it holds staff `role` (admins hold all), else raise AccessDenied."""
    if account is None:
        raise NotSignedIn(_l("Sign in with your staff wallet."))
    if not account.has_role(role):
        raise AccessDenied(_l("This needs the %(role)s role. Ask an admin of the town office to grant it.", role=role))
    return account
