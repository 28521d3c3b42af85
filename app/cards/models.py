from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UtcDateTime, utcnow


class IssuedCard(db.Model):
    """What was printed on a resident's card and where its files are on IPFS.

    Written by the minting pipeline when a mint is confirmed (and by `residents update-card`),
    so pages can show a card without reading the chain or importing the minting code.
    """

    __tablename__ = "issued_cards"

    #: Token id = resident number.
    resident_number: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: CIDv1 of the card PNG, served by the site at /ipfs/<cid>.
    image_cid: Mapped[str] = mapped_column(sa.String(64))
    #: CIDv1 of a small PNG of the card, shown beside the resident's forum posts.
    thumbnail_cid: Mapped[str | None] = mapped_column(sa.String(64))
    #: CIDv1 of the metadata JSON; the token URI is ipfs://<metadata_cid>.
    metadata_cid: Mapped[str] = mapped_column(sa.String(64))
    #: The name printed on the card (not necessarily the account's display name).
    display_name: Mapped[str] = mapped_column(sa.String(200))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    #: The metadata's batch attribute, e.g. the CSV file's name.
    batch: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
