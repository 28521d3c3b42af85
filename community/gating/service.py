"""Who is a resident: one question, answered from the holdings table the indexer keeps."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import lazy_gettext as _l

from app.auth.models import Account
from app.chain.errors import ChainError
from app.chain.indexer import indexer_progress
from app.chain.models import Holding
from app.config import Config
from app.extensions import db
from app.timeutil import utcnow
from community.gating.errors import AccessDenied, NotSignedIn

logger = logging.getLogger("residents.gating")


@dataclass(frozen=True)
class Residency:
    """A wallet's resident card, as the holdings table knows it (or the chain, when the indexer lags)."""

    address: str
    resident_number: int
    locked: bool
    issued_at: datetime
    #: True when the indexer was behind and the card was read from the chain for this request.
    checked_on_chain: bool = False


def residency_of(address: str) -> Residency | None:
    """Return the card held by `address` (checksummed), or None.

    Read from the holdings table, with no chain call, while the indexer keeps up. When it is
    more than INDEXER_MAX_LAG_BLOCKS behind, or its heartbeat stopped, the request is marked
    (`g.indexer_behind`, which the base template shows) and the card is read from the chain.
    """
    holding = db.session.scalar(sa.select(Holding).where(Holding.holder == address))
    if indexer_behind():
        return _residency_on_chain(address, holding)
    if holding is None:
        return None
    return Residency(holding.holder, holding.resident_number, holding.locked, holding.minted_at)


def indexer_behind() -> bool:
    """Whether the holdings table may be out of date; asked once per request, from the database."""
    if "indexer_behind" not in g:
        config: Config = current_app.config["SETTINGS"]
        progress = indexer_progress(config.CHAIN_ID)
        # No checkpoint: no indexer ever ran here (tests that write holdings directly), so the
        # table is all there is to trust.
        g.indexer_behind = progress is not None and progress.behind(config.INDEXER_MAX_LAG_BLOCKS, config.CHAIN_CONFIRMATIONS)
    return bool(g.indexer_behind)


def _residency_on_chain(address: str, holding: Holding | None) -> Residency | None:
    """Ask the contract which card `address` holds; fall back to the table if the node is away."""
    from app.chain.service import open_registry

    table_answer = None if holding is None else Residency(holding.holder, holding.resident_number, holding.locked, holding.minted_at)
    try:
        registry = open_registry(current_app.config["SETTINGS"])
        # The table's card, if the wallet still holds it, is the answer in one call; otherwise
        # the chain is asked which card (if any) the wallet holds now.
        if holding is not None and registry.owner_of(holding.resident_number) == address:
            return Residency(address, holding.resident_number, holding.locked, holding.minted_at, checked_on_chain=True)
        number = registry.card_of(address)
        if number is None:
            return None
        known = db.session.get(Holding, number)
        if known is not None:
            return Residency(address, number, known.locked, known.minted_at, checked_on_chain=True)
        # A card the indexer has not reached yet: issued within the lag, so "now" is near enough.
        return Residency(address, number, registry.locked(number), utcnow(), checked_on_chain=True)
    except ChainError as exc:
        logger.warning("The indexer is behind and the live card check failed (%s); using the holdings table.", exc)
        return table_answer


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
