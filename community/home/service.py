"""What the home page shows, in a few small queries: the next meetups and exchange events, the
latest announcements, and the town's artwork (the card's mark and an example card)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow
from community.exchange.models import SCHEDULED, ExchangeEvent
from community.forums.models import PUBLIC, ForumCategory, ForumThread
from community.meetups.models import Meetup

#: Items per section of the home page.
UPCOMING = 3
ANNOUNCEMENTS = 3


@dataclass(frozen=True)
class HomePage:
    meetups: list[Meetup]
    events: list[ExchangeEvent]
    #: The announcements category (None when the town has none, or it is not open to everyone).
    announcements: ForumCategory | None
    announcement_threads: list[ForumThread]


def home_page(announcements_slug: str, now: datetime | None = None) -> HomePage:
    """The next meetups and exchange events, and the newest threads of the public announcements
    category named `announcements_slug`: three queries, whatever the size of the site."""
    now = now or utcnow()
    meetups = list(
        db.session.scalars(sa.select(Meetup).where(Meetup.ends_at > now, Meetup.cancelled_at.is_(None)).order_by(Meetup.starts_at).limit(UPCOMING))
    )
    events = list(
        db.session.scalars(
            sa.select(ExchangeEvent).where(ExchangeEvent.ends_at > now, ExchangeEvent.status == SCHEDULED).order_by(ExchangeEvent.starts_at).limit(UPCOMING)
        )
    )
    rows = db.session.execute(
        sa.select(ForumCategory, ForumThread)
        .outerjoin(ForumThread, ForumThread.category_id == ForumCategory.id)
        .where(ForumCategory.slug == announcements_slug, ForumCategory.visibility == PUBLIC)
        .order_by(ForumThread.id.desc())
        .limit(ANNOUNCEMENTS)
    ).all()
    category = rows[0][0] if rows else None
    return HomePage(meetups, events, category, [thread for _category, thread in rows if thread is not None])


@functools.cache
def example_card_png(site_url: str, issued_on: date = date(2026, 4, 1)) -> bytes:
    """An example digital resident card, drawn with the real template (once per process)."""
    from minting.cards import CardFace, default_template, render_card, render_thumbnail

    face = CardFace(resident_number=1, display_name="見本 Sample", issued_on=issued_on, profile_url=site_url.rstrip("/") + "/")
    return render_thumbnail(render_card(default_template(), face), width=600)


@functools.cache
def town_mark_png() -> bytes:
    """The town's mark: the emblem the card template prints on every card ([logo] image)."""
    from minting.cards import default_template

    template = default_template().path
    with template.open("rb") as handle:
        logo: Path = template.parent / tomllib.load(handle)["logo"]["image"]
    return logo.read_bytes()
