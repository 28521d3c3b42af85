"""Reminders inside the site: a notice a day before a meetup and another an hour before.

`send_due_reminders()` makes every reminder that is due and not made yet. It runs two ways, both
safe to repeat (each reminder has a fixed dedupe key, unique per account in the notices table):
- from cron with `residents reminders send` (every few minutes), for everyone;
- lazily for the signed-in person on each page view (one indexed query over their own "going"
  RSVPs that start within a day; no write unless a reminder is due), so reminders appear even
  where nobody set up cron.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.auth.models import Account
from app.chain.models import Holding
from app.extensions import db
from app.formatting import format_moment
from app.timeutil import utcnow
from community.meetups.models import GOING, Meetup, Rsvp
from community.notifications.service import existing_keys, notify

DAY_BEFORE = timedelta(hours=24)
HOUR_BEFORE = timedelta(hours=1)


def N_(message: str) -> str:
    """Mark a msgid for extraction; notices store it and translate it when shown."""
    return message


MESSAGES = {
    "day_before": N_("Reminder: “%(title)s” is on %(when)s."),
    "hour_before": N_("“%(title)s” starts within the hour (%(when)s). The join link is on the meetup page."),
}


def _which(meetup: Meetup, now: datetime) -> tuple[str, datetime]:
    """Return which reminder is due now and when it fell due."""
    if meetup.starts_at - now <= HOUR_BEFORE:
        return "hour_before", meetup.starts_at - HOUR_BEFORE
    return "day_before", meetup.starts_at - DAY_BEFORE


def reminder_key(meetup: Meetup, which: str) -> str:
    # The start time is part of the key: a rescheduled meetup gets fresh reminders.
    return f"meetup.reminder:{meetup.id}:{meetup.starts_at:%Y%m%dT%H%MZ}:{which}"


def send_due_reminders(now: datetime | None = None, account_id: int | None = None) -> int:
    """Make the reminders due at `now` (for one account, or everyone); return how many were new."""
    now = now or utcnow()
    query = (
        sa.select(Rsvp.account_id, Meetup)
        .join(Meetup, Meetup.id == Rsvp.meetup_id)
        .join(Account, Account.id == Rsvp.account_id)
        .join(Holding, Holding.holder == Account.address)  # only while they still hold a card
        .where(Rsvp.status == GOING, Meetup.cancelled_at.is_(None), Meetup.starts_at > now, Meetup.starts_at <= now + DAY_BEFORE)
    )
    if account_id is not None:
        query = query.where(Rsvp.account_id == account_id)
    due = [(member, meetup, *_which(meetup, now)) for member, meetup in db.session.execute(query)]
    if not due:
        return 0
    made = existing_keys({member for member, *_ in due}, {f"meetup:{meetup.id}" for _, meetup, *_ in due})
    sent = 0
    for member, meetup, which, due_at in due:
        key = reminder_key(meetup, which)
        if (member, key) in made:
            continue
        params = {"title": {"ja": meetup.title_ja, "en": meetup.title_en}, "when": {"ja": format_moment(meetup.starts_at, "ja"), "en": format_moment(meetup.starts_at, "en")}}
        if notify(member, f"meetup.reminder.{which}", MESSAGES[which], params, f"/meetups/{meetup.id}", due_at, subject=f"meetup:{meetup.id}", dedupe_key=key):
            sent += 1
    return sent
