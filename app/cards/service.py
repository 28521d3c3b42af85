"""Reads of the issued-card record for pages (community/ and app/ use these, never minting/)."""

from __future__ import annotations

from app.cards.models import IssuedCard
from app.extensions import db


def issued_card(resident_number: int) -> IssuedCard | None:
    """Return the record of card `resident_number`, or None if this site did not issue it."""
    return db.session.get(IssuedCard, resident_number)


def card_image_url(resident_number: int) -> str | None:
    """Return the site path of card `resident_number`'s image (/ipfs/<cid>), or None if unknown."""
    card = issued_card(resident_number)
    return None if card is None else f"/ipfs/{card.image_cid}"
