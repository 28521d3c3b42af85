"""Meetups: scheduling by organizers, RSVPs and the waitlist, what each viewer may see.

Who sees what: anyone may see that a meetup exists (title, time, platform, whether it is full or
cancelled), so people know what residency brings. The description, the RSVP buttons and the
numbers are for residents and organizers. The join link is shown only to a resident whose RSVP is
"going" (organizers read it on the edit form they typed it into).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit.service import record
from app.auth.models import ORGANIZER, Account
from app.chain.models import Holding
from app.extensions import db
from app.formatting import format_moment
from app.timeutil import utcnow
from community.gating.errors import NotSignedIn
from community.gating.service import require_resident, require_role, residency_of
from community.meetups.errors import MeetupError, MeetupNotFound
from community.meetups.models import GOING, NOT_GOING, PLATFORMS, WAITLISTED, CalendarFeed, Meetup, Rsvp
from community.notifications.service import notify, withdraw

MAX_CAPACITY = 10_000
MAX_TITLE = 120
MAX_DESCRIPTION = 5_000
MAX_JOIN_URL = 500
#: How many past meetups the list shows.
PAST_SHOWN = 20


def N_(message: str) -> str:
    """Mark a msgid for extraction; notices store it and translate it when shown."""
    return message


PROMOTED = N_("A seat opened up: you are now going to “%(title)s” (%(when)s). The join link is on the meetup page.")
CANCELLED = N_("“%(title)s” (%(when)s) was cancelled by the town office.")
RESCHEDULED = N_("“%(title)s” has a new time: %(when)s.")


# -- input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetupDraft:
    """What an organizer typed into the meetup form; times are aware UTC datetimes."""

    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    starts_at: datetime
    ends_at: datetime
    platform: str
    join_url: str
    capacity: int
    #: None means "until the meetup starts".
    rsvp_deadline: datetime | None = None


def _check_text(draft: MeetupDraft) -> None:
    if not draft.title_ja.strip():
        raise MeetupError(_l("Enter a title in Japanese."), "title_ja")
    if not draft.title_en.strip():
        raise MeetupError(_l("Enter a title in English."), "title_en")
    for name, title in (("title_ja", draft.title_ja), ("title_en", draft.title_en)):
        if len(title.strip()) > MAX_TITLE:
            raise MeetupError(_l("Keep the title to %(count)d characters or fewer.", count=MAX_TITLE), name)
    for name, text in (("description_ja", draft.description_ja), ("description_en", draft.description_en)):
        if len(text) > MAX_DESCRIPTION:
            raise MeetupError(_l("Keep the description to %(count)d characters or fewer.", count=MAX_DESCRIPTION), name)


def _check_venue(draft: MeetupDraft) -> None:
    if draft.platform not in PLATFORMS:
        raise MeetupError(_l("Choose a platform from the list."), "platform")
    url = draft.join_url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or any(character.isspace() for character in url):
        raise MeetupError(_l("The join link must be a full address starting with https://."), "join_url")
    if parts.username or parts.password:
        raise MeetupError(_l("The join link must not contain a user name or password."), "join_url")
    if len(url) > MAX_JOIN_URL:
        raise MeetupError(_l("The join link is too long (at most %(count)d characters).", count=MAX_JOIN_URL), "join_url")
    if draft.capacity < 1:
        raise MeetupError(_l("The capacity must be at least 1."), "capacity")
    if draft.capacity > MAX_CAPACITY:
        raise MeetupError(_l("The capacity can be at most %(count)d.", count=MAX_CAPACITY), "capacity")


def _check_times(draft: MeetupDraft, now: datetime, previous: Meetup | None) -> None:
    if draft.starts_at <= now:
        raise MeetupError(_l("The start time has already passed. Choose a time in the future."), "starts_at")
    if draft.ends_at <= draft.starts_at:
        raise MeetupError(_l("The end must be after the start."), "ends_at")
    deadline = draft.rsvp_deadline or draft.starts_at
    if deadline > draft.starts_at:
        raise MeetupError(_l("The RSVP deadline must be no later than the start."), "rsvp_deadline")
    # An unchanged deadline may lie in the past when an organizer fixes a typo after RSVPs closed.
    deadline_changed = previous is None or deadline != previous.rsvp_deadline
    if deadline_changed and deadline <= now:
        raise MeetupError(_l("The RSVP deadline has already passed. Choose a time in the future."), "rsvp_deadline")


def _validated(draft: MeetupDraft, now: datetime, previous: Meetup | None = None) -> MeetupDraft:
    _check_text(draft)
    _check_venue(draft)
    _check_times(draft, now, previous)
    return draft


def _apply(meetup: Meetup, draft: MeetupDraft) -> None:
    meetup.title_ja = draft.title_ja.strip()
    meetup.title_en = draft.title_en.strip()
    meetup.description_ja = draft.description_ja.strip()
    meetup.description_en = draft.description_en.strip()
    meetup.starts_at = draft.starts_at
    meetup.ends_at = draft.ends_at
    meetup.platform = draft.platform
    meetup.join_url = draft.join_url.strip()
    meetup.capacity = draft.capacity
    meetup.rsvp_deadline = draft.rsvp_deadline or draft.starts_at


def _audit_details(meetup: Meetup) -> dict[str, object]:
    return {
        "title_ja": meetup.title_ja, "starts_at": meetup.starts_at.isoformat(), "ends_at": meetup.ends_at.isoformat(),
        "platform": meetup.platform, "capacity": meetup.capacity, "sequence": meetup.sequence,
    }


def _title_params(meetup: Meetup) -> dict[str, object]:
    return {"title": {"ja": meetup.title_ja, "en": meetup.title_en}, "when": {"ja": format_moment(meetup.starts_at, "ja"), "en": format_moment(meetup.starts_at, "en")}}


def _subject(meetup: Meetup) -> str:
    return f"meetup:{meetup.id}"


def _link(meetup: Meetup) -> str:
    return f"/meetups/{meetup.id}"


# -- organizers ------------------------------------------------------------------------------


def _get(meetup_id: int) -> Meetup:
    meetup = db.session.get(Meetup, meetup_id)
    if meetup is None:
        raise MeetupNotFound(_l("There is no such meetup. It may have been removed; see the list of meetups."))
    return meetup


def _lock_rsvps(meetup: Meetup) -> None:
    """Serialize RSVP changes of one meetup; refuse when it was cancelled meanwhile.

    The conditional UPDATE takes the meetup row's lock on PostgreSQL (concurrent RSVPs to the same
    meetup wait here until this transaction ends) and SQLite's write lock (pysqlite begins the
    transaction at this first write, so every read after it sees the latest commit). Counting seats
    after this point is therefore exact: two residents can never take the last seat together.
    """
    bumped = db.session.execute(
        sa.update(Meetup)
        .where(Meetup.id == meetup.id, Meetup.cancelled_at.is_(None))
        .values(rsvp_revision=Meetup.rsvp_revision + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        raise MeetupError(_l("This meetup was cancelled by the town office."))
    db.session.refresh(meetup)


def _count(meetup_id: int, status: str) -> int:
    query = sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.meetup_id == meetup_id, Rsvp.status == status)
    return int(db.session.scalar(query) or 0)


def _promote_waitlist(meetup: Meetup, now: datetime) -> list[Rsvp]:
    """Give free seats to the waitlist, first come first served (call with the RSVP lock held)."""
    free = meetup.capacity - _count(meetup.id, GOING)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        sa.select(Rsvp).where(Rsvp.meetup_id == meetup.id, Rsvp.status == WAITLISTED).order_by(Rsvp.responded_at, Rsvp.id).limit(free)
    ).all()
    for rsvp in waiting:
        rsvp.status = GOING
        rsvp.promoted_at = now
        notify(rsvp.account_id, "meetup.promoted", PROMOTED, _title_params(meetup), _link(meetup), now,
               subject=_subject(meetup), dedupe_key=f"meetup.promoted:{meetup.id}:{rsvp.id}:{now.isoformat()}")
    db.session.flush()
    return list(waiting)


def create_meetup(organizer: Account | None, draft: MeetupDraft, now: datetime | None = None) -> Meetup:
    """Schedule a meetup (organizers only)."""
    organizer = require_role(organizer, ORGANIZER)
    now = now or utcnow()
    _validated(draft, now)
    meetup = Meetup(created_by_id=organizer.id, created_at=now, updated_at=now, sequence=0, rsvp_revision=0)
    _apply(meetup, draft)
    db.session.add(meetup)
    db.session.flush()
    record(organizer.address, "meetup.create", f"meetup:{meetup.id}", **_audit_details(meetup))
    return meetup


def meetup_for_editing(organizer: Account | None, meetup_id: int) -> Meetup:
    """Return a meetup for its edit form (organizers only)."""
    require_role(organizer, ORGANIZER)
    return _get(meetup_id)


def edit_meetup(organizer: Account | None, meetup_id: int, draft: MeetupDraft, now: datetime | None = None) -> Meetup:
    """Change a meetup that has not started; going residents hear of a new time."""
    organizer = require_role(organizer, ORGANIZER)
    now = now or utcnow()
    meetup = _get(meetup_id)
    if meetup.is_cancelled:
        raise MeetupError(_l("This meetup was cancelled; it can no longer be changed."))
    if meetup.starts_at <= now:
        raise MeetupError(_l("This meetup has already started; it can no longer be changed."))
    _validated(draft, now, previous=meetup)
    _lock_rsvps(meetup)
    going = _count(meetup.id, GOING)
    if draft.capacity < going:
        raise MeetupError(_l("%(count)d residents are already going; the capacity cannot be less than that.", count=going), "capacity")
    rescheduled = (draft.starts_at, draft.ends_at) != (meetup.starts_at, meetup.ends_at)
    _apply(meetup, draft)
    meetup.sequence += 1
    meetup.updated_at = now
    db.session.flush()
    _promote_waitlist(meetup, now)
    if rescheduled:
        # Reminders are keyed by the start time, so the new time gets its own reminders.
        withdraw(_subject(meetup), "meetup.reminder.", now=now)
        for account_id in _answered(meetup.id, (GOING, WAITLISTED)):
            notify(account_id, "meetup.rescheduled", RESCHEDULED, _title_params(meetup), _link(meetup), now,
                   subject=_subject(meetup), dedupe_key=f"meetup.rescheduled:{meetup.id}:{meetup.sequence}")
    record(organizer.address, "meetup.edit", f"meetup:{meetup.id}", **_audit_details(meetup))
    return meetup


def _answered(meetup_id: int, statuses: tuple[str, ...]) -> list[int]:
    query = sa.select(Rsvp.account_id).where(Rsvp.meetup_id == meetup_id, Rsvp.status.in_(statuses))
    return list(db.session.scalars(query))


def cancel_meetup(organizer: Account | None, meetup_id: int, now: datetime | None = None) -> Meetup:
    """Call a meetup off; it stays listed (and in calendars) as cancelled, and residents are told."""
    organizer = require_role(organizer, ORGANIZER)
    now = now or utcnow()
    meetup = _get(meetup_id)
    if meetup.ends_at <= now:
        raise MeetupError(_l("This meetup is already over; there is nothing to cancel."))
    # One conditional UPDATE: of two organizers cancelling at once, exactly one succeeds.
    cancelled = db.session.execute(
        sa.update(Meetup)
        .where(Meetup.id == meetup.id, Meetup.cancelled_at.is_(None))
        .values(cancelled_at=now, sequence=Meetup.sequence + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount == 0:  # type: ignore[attr-defined]
        raise MeetupError(_l("This meetup was already cancelled."))
    db.session.refresh(meetup)
    withdraw(_subject(meetup), "meetup.", now=now)
    for account_id in _answered(meetup.id, (GOING, WAITLISTED)):
        notify(account_id, "meetup.cancelled", CANCELLED, _title_params(meetup), _link(meetup), now, subject=_subject(meetup))
    record(organizer.address, "meetup.cancel", f"meetup:{meetup.id}", **_audit_details(meetup))
    return meetup


# -- residents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RsvpOutcome:
    """What an answer did: the resident's RSVP now, and who got a seat because of it."""

    rsvp: Rsvp
    changed: bool
    promoted: list[Rsvp] = field(default_factory=list)


def _check_open(meetup: Meetup, answer: str, now: datetime) -> None:
    if meetup.is_cancelled:
        raise MeetupError(_l("This meetup was cancelled by the town office."))
    if meetup.starts_at <= now:
        raise MeetupError(_l("This meetup has already started; answers are closed."))
    # Saying "not going" stays possible until the start: it frees a seat for the waitlist.
    if answer == GOING and meetup.rsvp_deadline < now:
        raise MeetupError(_l("RSVPs for this meetup closed at %(deadline)s.", deadline=format_moment(meetup.rsvp_deadline)))


def respond(account: Account | None, meetup_id: int, answer: str, now: datetime | None = None) -> RsvpOutcome:
    """Record a resident's answer: going (a seat, or the waitlist when full) or not going."""
    require_resident(account)
    assert account is not None
    now = now or utcnow()
    if answer not in (GOING, NOT_GOING):
        raise MeetupError(_l("Choose “going” or “not going”."))
    meetup = _get(meetup_id)
    _check_open(meetup, answer, now)
    _lock_rsvps(meetup)
    rsvp = db.session.scalar(sa.select(Rsvp).where(Rsvp.meetup_id == meetup.id, Rsvp.account_id == account.id))
    if answer == GOING:
        if rsvp is not None and rsvp.status in (GOING, WAITLISTED):
            return RsvpOutcome(rsvp, changed=False)
        status = GOING if _count(meetup.id, GOING) < meetup.capacity else WAITLISTED
        rsvp = _answer(rsvp, meetup, account, status, now)
        return RsvpOutcome(rsvp, changed=True)
    if rsvp is not None and rsvp.status == NOT_GOING:
        return RsvpOutcome(rsvp, changed=False)
    was_going = rsvp is not None and rsvp.status == GOING
    rsvp = _answer(rsvp, meetup, account, NOT_GOING, now)
    withdraw(_subject(meetup), "meetup.", account_id=account.id, now=now)
    promoted = _promote_waitlist(meetup, now) if was_going else []
    return RsvpOutcome(rsvp, changed=True, promoted=promoted)


def _answer(rsvp: Rsvp | None, meetup: Meetup, account: Account, status: str, now: datetime) -> Rsvp:
    if rsvp is None:
        rsvp = Rsvp(meetup_id=meetup.id, account_id=account.id)
        db.session.add(rsvp)
    rsvp.status = status
    rsvp.responded_at = now
    rsvp.promoted_at = None
    db.session.flush()
    return rsvp


# -- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking: decides what of a meetup is shown."""

    account: Account | None
    resident_number: int | None
    is_organizer: bool

    @property
    def is_resident(self) -> bool:
        return self.resident_number is not None

    @property
    def sees_details(self) -> bool:
        return self.is_resident or self.is_organizer


def viewer_of(account: Account | None) -> Viewer:
    residency = residency_of(account.address) if account is not None else None
    return Viewer(account, residency.resident_number if residency else None, bool(account and account.has_role(ORGANIZER)))


@dataclass(frozen=True)
class MeetupPage:
    """One meetup as a given viewer may see it."""

    meetup: Meetup
    viewer: Viewer
    rsvp: Rsvp | None
    #: Only for a resident who is going; None for everyone else.
    join_url: str | None
    going: int
    waitlisted: int
    #: 1 for the first in line; None when not waitlisted.
    waitlist_position: int | None
    rsvp_open: bool
    can_say_not_going: bool
    is_over: bool


def _waitlist_position(rsvp: Rsvp) -> int:
    ahead = sa.select(sa.func.count()).select_from(Rsvp).where(
        Rsvp.meetup_id == rsvp.meetup_id,
        Rsvp.status == WAITLISTED,
        sa.or_(Rsvp.responded_at < rsvp.responded_at, sa.and_(Rsvp.responded_at == rsvp.responded_at, Rsvp.id < rsvp.id)),
    )
    return int(db.session.scalar(ahead) or 0) + 1


def join_url_for(viewer: Viewer, meetup: Meetup, rsvp: Rsvp | None) -> str | None:
    """Return the join link when the viewer may see it: a resident, going, meetup not cancelled."""
    if viewer.is_resident and rsvp is not None and rsvp.status == GOING and not meetup.is_cancelled:
        return meetup.join_url
    return None


def meetup_page(account: Account | None, meetup_id: int, now: datetime | None = None) -> MeetupPage:
    """Return one meetup as `account` (None for the public) may see it."""
    now = now or utcnow()
    meetup = _get(meetup_id)
    viewer = viewer_of(account)
    rsvp = None
    if viewer.is_resident and account is not None:
        rsvp = db.session.scalar(sa.select(Rsvp).where(Rsvp.meetup_id == meetup.id, Rsvp.account_id == account.id))
    open_now = not meetup.is_cancelled and meetup.starts_at > now
    return MeetupPage(
        meetup=meetup,
        viewer=viewer,
        rsvp=rsvp,
        join_url=join_url_for(viewer, meetup, rsvp),
        going=_count(meetup.id, GOING),
        waitlisted=_count(meetup.id, WAITLISTED),
        waitlist_position=_waitlist_position(rsvp) if rsvp is not None and rsvp.status == WAITLISTED else None,
        rsvp_open=viewer.is_resident and open_now and meetup.rsvp_deadline >= now,
        can_say_not_going=viewer.is_resident and open_now and rsvp is not None and rsvp.status != NOT_GOING,
        is_over=meetup.ends_at <= now,
    )


@dataclass(frozen=True)
class ListedMeetup:
    meetup: Meetup
    going: int
    my_status: str | None

    @property
    def is_full(self) -> bool:
        return self.going >= self.meetup.capacity


@dataclass(frozen=True)
class Listing:
    """The meetups page: upcoming first (soonest first), then recent past ones."""

    viewer: Viewer
    upcoming: list[ListedMeetup]
    past: list[ListedMeetup]
    feed_token: str | None


def meetup_listing(account: Account | None, now: datetime | None = None) -> Listing:
    """Return upcoming and past meetups, with the viewer's own answers."""
    now = now or utcnow()
    viewer = viewer_of(account)
    upcoming = list(db.session.scalars(sa.select(Meetup).where(Meetup.ends_at > now).order_by(Meetup.starts_at, Meetup.id)))
    past = list(db.session.scalars(sa.select(Meetup).where(Meetup.ends_at <= now).order_by(Meetup.starts_at.desc(), Meetup.id.desc()).limit(PAST_SHOWN)))
    ids = [meetup.id for meetup in upcoming + past]
    going: dict[int, int] = {}
    mine: dict[int, str] = {}
    feed_token = None
    if ids:
        counts = sa.select(Rsvp.meetup_id, sa.func.count()).where(Rsvp.meetup_id.in_(ids), Rsvp.status == GOING).group_by(Rsvp.meetup_id)
        going = {meetup_id: int(count) for meetup_id, count in db.session.execute(counts)}
    if viewer.is_resident and account is not None:
        if ids:
            answers = sa.select(Rsvp.meetup_id, Rsvp.status).where(Rsvp.meetup_id.in_(ids), Rsvp.account_id == account.id)
            mine = {meetup_id: status for meetup_id, status in db.session.execute(answers)}
        feed_token = db.session.scalar(sa.select(CalendarFeed.token).where(CalendarFeed.account_id == account.id))

    def listed(meetup: Meetup) -> ListedMeetup:
        return ListedMeetup(meetup, going.get(meetup.id, 0), mine.get(meetup.id))

    return Listing(viewer, [listed(m) for m in upcoming], [listed(m) for m in past], feed_token)


# -- the organizers' RSVP list ---------------------------------------------------------------


@dataclass(frozen=True)
class RsvpRow:
    resident_number: int | None
    display_name: str | None
    status: str
    responded_at: datetime
    promoted_at: datetime | None


@dataclass(frozen=True)
class RsvpList:
    meetup: Meetup
    rows: list[RsvpRow]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


_STATUS_ORDER = sa.case({GOING: 0, WAITLISTED: 1, NOT_GOING: 2}, value=Rsvp.status)


def rsvp_list(organizer: Account | None, meetup_id: int) -> RsvpList:
    """Return every answer to a meetup: going, then the waitlist in order, then not going."""
    require_role(organizer, ORGANIZER)
    meetup = _get(meetup_id)
    query = (
        sa.select(Rsvp, Account.display_name, Holding.resident_number)
        .join(Account, Account.id == Rsvp.account_id)
        .outerjoin(Holding, Holding.holder == Account.address)
        .where(Rsvp.meetup_id == meetup.id)
        .order_by(_STATUS_ORDER, Rsvp.responded_at, Rsvp.id)
    )
    rows = [RsvpRow(number, name, rsvp.status, rsvp.responded_at, rsvp.promoted_at) for rsvp, name, number in db.session.execute(query)]
    return RsvpList(meetup, rows)


def export_rsvps(organizer: Account | None, meetup_id: int) -> RsvpList:
    """Return the RSVP list for a CSV download, and note the export in the audit log."""
    listing = rsvp_list(organizer, meetup_id)
    assert organizer is not None
    record(organizer.address, "meetup.export_rsvps", f"meetup:{meetup_id}", rows=len(listing.rows))
    return listing


# -- calendar feeds --------------------------------------------------------------------------


def issue_calendar_feed(account: Account | None) -> str:
    """Make (or replace) the resident's private calendar feed token; the old URL stops working."""
    require_resident(account)
    assert account is not None
    token = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, account.id)
    if feed is None:
        db.session.add(CalendarFeed(account_id=account.id, token=token))
    else:
        feed.token = token
        feed.created_at = utcnow()
    db.session.flush()
    return token


def revoke_calendar_feed(account: Account | None) -> bool:
    """Turn the resident's calendar feed off; return whether there was one."""
    if account is None:
        raise NotSignedIn(_l("Sign in with the wallet that holds your resident card."))
    deleted = db.session.execute(sa.delete(CalendarFeed).where(CalendarFeed.account_id == account.id))
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FeedContent:
    """A feed's owner and the meetups they are going to (cancelled ones included)."""

    account: Account
    meetups: list[Meetup]


def calendar_feed(token: str) -> FeedContent:
    """Return the meetups behind a feed token; refuse unknown tokens and wallets without a card."""
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token == token)) if token else None
    account = db.session.get(Account, feed.account_id) if feed else None
    # A card that left the wallet closes the feed too, as it closes every residents' page.
    if account is None or residency_of(account.address) is None:
        raise MeetupNotFound(_l("This calendar address is not valid (any more). Get a new one on the meetups page."))
    query = (
        sa.select(Meetup).join(Rsvp, Rsvp.meetup_id == Meetup.id)
        .where(Rsvp.account_id == account.id, Rsvp.status == GOING)
        .order_by(Meetup.starts_at, Meetup.id)
    )
    return FeedContent(account, list(db.session.scalars(query)))


@dataclass(frozen=True)
class MeetupCalendar:
    """One meetup for an .ics download, and whether the viewer may have its join link."""

    meetup: Meetup
    with_join_url: bool
    with_details: bool


def meetup_calendar(account: Account | None, meetup_id: int) -> MeetupCalendar:
    """Return one meetup for its .ics file, as `account` may see it."""
    meetup = _get(meetup_id)
    viewer = viewer_of(account)
    rsvp = None
    if viewer.is_resident and account is not None:
        rsvp = db.session.scalar(sa.select(Rsvp).where(Rsvp.meetup_id == meetup.id, Rsvp.account_id == account.id))
    return MeetupCalendar(meetup, join_url_for(viewer, meetup, rsvp) is not None, viewer.sees_details)
