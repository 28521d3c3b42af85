"""Meetup services: scheduling rules, RSVPs and the waitlist, who sees the join link, reminders,
calendar feed tokens. The database is real; times are passed in where a rule depends on them."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.audit.models import AuditEntry
from app.chain.models import Holding
from app.extensions import db
from app.timeutil import utcnow
from community.gating.errors import AccessDenied, NotSignedIn
from community.meetups import service
from community.meetups.errors import MeetupError, MeetupNotFound
from community.meetups.models import GOING, NOT_GOING, WAITLISTED, Meetup, Rsvp
from community.meetups.reminders import send_due_reminders
from community.notifications.models import Notification
from community.notifications.service import mark_read, notify, unread_for
from tests.unit.conftest_meetups import JOIN_URL, attached, draft, make_meetup, new_resident, organizer, person, service_context  # noqa: F401


def _count(model: type, *conditions: object) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0)  # type: ignore[arg-type]


def _status(meetup_id: int, account_id: int) -> str | None:
    return db.session.scalar(sa.select(Rsvp.status).where(Rsvp.meetup_id == meetup_id, Rsvp.account_id == account_id))


# -- scheduling ------------------------------------------------------------------------------


def test_an_organizer_schedules_a_meetup_in_utc_and_it_is_audited(service_context: Flask, organizer) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    db.session.commit()
    stored = db.session.get(Meetup, meetup.id)
    assert stored is not None
    assert stored.starts_at == value.starts_at and stored.starts_at.tzinfo is not None and stored.starts_at.utcoffset() == timedelta(0)
    assert (stored.title_ja, stored.title_en, stored.capacity, stored.sequence) == ("町長と話そう", "Talk with the mayor", 30, 0)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "meetup.create"))
    assert entry is not None and entry.actor == organizer.address and entry.target == f"meetup:{meetup.id}"
    assert entry.details["capacity"] == 30


def test_the_deadline_defaults_to_the_start(service_context: Flask, organizer) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft(rsvp_deadline=None))
    assert meetup.rsvp_deadline == meetup.starts_at


BAD_DRAFTS = [
    ("start in the past", {"starts_in": timedelta(minutes=-5)}, "starts_at", "already passed"),
    ("end before start", {"ends_at": "-1m"}, "ends_at", "end must be after the start"),
    ("end equal to start", {"ends_at": "0m"}, "ends_at", "end must be after the start"),
    ("capacity zero", {"capacity": 0}, "capacity", "at least 1"),
    ("capacity negative", {"capacity": -3}, "capacity", "at least 1"),
    ("capacity huge", {"capacity": 10_001}, "capacity", "at most"),
    ("http join link", {"join_url": "http://cluster.mu/e/room"}, "join_url", "https://"),
    ("javascript join link", {"join_url": "javascript:alert(1)"}, "join_url", "https://"),
    ("join link without host", {"join_url": "https:///room"}, "join_url", "https://"),
    ("join link with a password", {"join_url": "https://me:pw@cluster.mu/e/room"}, "join_url", "password"),
    ("unknown platform", {"platform": "zoom"}, "platform", "platform"),
    ("no Japanese title", {"title_ja": "  "}, "title_ja", "Japanese"),
    ("no English title", {"title_en": ""}, "title_en", "English"),
    ("deadline after start", {"rsvp_deadline": "+1m"}, "rsvp_deadline", "no later than the start"),
    ("deadline in the past", {"rsvp_deadline": "past"}, "rsvp_deadline", "already passed"),
]


def _bad_draft(changes: dict[str, object]):  # type: ignore[no-untyped-def]
    base = draft(**({"starts_in": changes["starts_in"]} if "starts_in" in changes else {}))
    resolved: dict[str, object] = {}
    for name, value in changes.items():
        if name == "starts_in":
            continue
        if name == "ends_at":
            resolved[name] = base.starts_at + timedelta(minutes=int(str(value)[:-1]))
        elif value == "+1m":
            resolved[name] = base.starts_at + timedelta(minutes=1)
        elif value == "past":
            resolved[name] = utcnow() - timedelta(minutes=1)
        else:
            resolved[name] = value
    return replace(base, **resolved)  # type: ignore[arg-type]


@pytest.mark.parametrize(("case", "changes", "field", "words"), BAD_DRAFTS, ids=[case[0] for case in BAD_DRAFTS])
def test_bad_meetups_are_refused_and_nothing_is_recorded(service_context: Flask, organizer, case: str, changes: dict[str, object], field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MeetupError) as refused:
        service.create_meetup(attached(organizer), _bad_draft(changes))
    assert refused.value.field == field
    assert words in str(refused.value)
    assert _count(Meetup) == 0
    assert _count(AuditEntry, AuditEntry.action.startswith("meetup.")) == 0


@pytest.mark.parametrize("role", ["anonymous", "visitor", "resident"])
def test_only_organizers_schedule(service_context: Flask, person, role: str) -> None:  # type: ignore[no-untyped-def]
    account = person(role)
    with pytest.raises(NotSignedIn if role == "anonymous" else AccessDenied):
        service.create_meetup(attached(account) if account else None, draft())
    assert _count(Meetup) == 0


def test_editing_bumps_the_sequence_and_tells_who_is_going_about_a_new_time(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft())
    resident = new_resident()
    service.respond(attached(resident), meetup.id, GOING)
    later = draft(starts_in=timedelta(days=11), title_en="Talk with the mayor (moved)")
    edited = service.edit_meetup(attached(organizer), meetup.id, later)
    assert edited.sequence == 1 and edited.starts_at == later.starts_at and edited.title_en.endswith("(moved)")
    assert _count(AuditEntry, AuditEntry.action == "meetup.edit") == 1
    notices = unread_for(attached(resident))
    assert [notice.kind for notice in notices] == ["meetup.rescheduled"]
    # Editing only the text tells nobody again.
    service.edit_meetup(attached(organizer), meetup.id, replace(later, description_en="More."))
    assert len(unread_for(attached(resident))) == 1
    assert db.session.get(Meetup, meetup.id).sequence == 2  # type: ignore[union-attr]


def test_capacity_cannot_drop_below_who_is_going_and_raising_it_promotes_the_waitlist(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft(capacity=2)
    meetup = service.create_meetup(attached(organizer), value)
    people = [new_resident() for _ in range(4)]
    for resident in people:
        service.respond(attached(resident), meetup.id, GOING)
    db.session.commit()
    with pytest.raises(MeetupError) as refused:
        service.edit_meetup(attached(organizer), meetup.id, replace(value, capacity=1))
    assert refused.value.field == "capacity" and "2 residents are already going" in str(refused.value)
    db.session.rollback()
    service.edit_meetup(attached(organizer), meetup.id, replace(value, capacity=3))
    assert [_status(meetup.id, resident.id) for resident in people] == [GOING, GOING, GOING, WAITLISTED]


def test_an_unchanged_past_deadline_does_not_block_a_text_fix(service_context: Flask, organizer) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    after_deadline = value.rsvp_deadline + timedelta(minutes=5)  # type: ignore[operator]
    fixed = service.edit_meetup(attached(organizer), meetup.id, replace(value, title_en="Talk with the Mayor"), now=after_deadline)
    assert fixed.title_en == "Talk with the Mayor"
    with pytest.raises(MeetupError, match="already passed"):
        service.edit_meetup(attached(organizer), meetup.id, replace(value, rsvp_deadline=after_deadline - timedelta(minutes=1)), now=after_deadline)


def test_started_or_cancelled_meetups_cannot_be_edited(service_context: Flask, organizer) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    with pytest.raises(MeetupError, match="already started"):
        service.edit_meetup(attached(organizer), meetup.id, value, now=value.starts_at + timedelta(minutes=1))
    service.cancel_meetup(attached(organizer), meetup.id)
    with pytest.raises(MeetupError, match="cancelled"):
        service.edit_meetup(attached(organizer), meetup.id, value)


def test_cancelling_marks_the_meetup_tells_residents_and_happens_once(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft(capacity=1))
    going, waiting, absent = new_resident(), new_resident(), new_resident()
    service.respond(attached(going), meetup.id, GOING)
    service.respond(attached(waiting), meetup.id, GOING)
    service.respond(attached(absent), meetup.id, NOT_GOING)
    cancelled = service.cancel_meetup(attached(organizer), meetup.id)
    assert cancelled.is_cancelled and cancelled.sequence == 1
    assert [n.kind for n in unread_for(attached(going))] == ["meetup.cancelled"]
    assert [n.kind for n in unread_for(attached(waiting))] == ["meetup.cancelled"]
    assert unread_for(attached(absent)) == []
    assert _count(AuditEntry, AuditEntry.action == "meetup.cancel") == 1
    with pytest.raises(MeetupError, match="already cancelled"):
        service.cancel_meetup(attached(organizer), meetup.id)
    assert _count(AuditEntry, AuditEntry.action == "meetup.cancel") == 1


def test_unknown_meetups_are_not_found(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MeetupNotFound):
        service.respond(attached(new_resident()), 999_999, GOING)
    with pytest.raises(MeetupNotFound):
        service.cancel_meetup(attached(organizer), 999_999)


# -- RSVPs and the waitlist ------------------------------------------------------------------


def test_residents_fill_the_seats_then_the_waitlist_is_promoted_in_order(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft(capacity=2))
    first, second, third, fourth, fifth = (new_resident() for _ in range(5))
    start = utcnow()
    for offset, resident in enumerate((first, second, third, fourth, fifth)):
        outcome = service.respond(attached(resident), meetup.id, GOING, now=start + timedelta(seconds=offset))
        assert outcome.changed
    assert [_status(meetup.id, r.id) for r in (first, second, third, fourth, fifth)] == [GOING, GOING, WAITLISTED, WAITLISTED, WAITLISTED]
    assert service.meetup_page(attached(fifth), meetup.id).waitlist_position == 3

    outcome = service.respond(attached(first), meetup.id, NOT_GOING, now=start + timedelta(minutes=1))
    assert [rsvp.account_id for rsvp in outcome.promoted] == [third.id]
    later = start + timedelta(minutes=5)
    assert [n.kind for n in unread_for(attached(third), now=later)] == ["meetup.promoted"]
    assert unread_for(attached(fourth), now=later) == []

    # A waitlisted resident who leaves gives up their place; the order of the others stays.
    service.respond(attached(fourth), meetup.id, NOT_GOING, now=start + timedelta(minutes=2))
    assert service.meetup_page(attached(fifth), meetup.id).waitlist_position == 1
    outcome = service.respond(attached(second), meetup.id, NOT_GOING, now=start + timedelta(minutes=3))
    assert [rsvp.account_id for rsvp in outcome.promoted] == [fifth.id]
    # Coming back means the back of the line.
    service.respond(attached(first), meetup.id, GOING, now=start + timedelta(minutes=4))
    assert _status(meetup.id, first.id) == WAITLISTED
    assert _count(Rsvp, Rsvp.meetup_id == meetup.id, Rsvp.status == GOING) == 2


def test_answering_the_same_twice_changes_nothing(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft())
    resident = new_resident()
    first = service.respond(attached(resident), meetup.id, GOING)
    again = service.respond(attached(resident), meetup.id, GOING)
    assert first.changed and not again.changed and again.rsvp.responded_at == first.rsvp.responded_at
    assert _count(Rsvp) == 1


@pytest.mark.parametrize("role", ["anonymous", "visitor", "organizer", "admin"])
def test_only_residents_rsvp(service_context: Flask, make_meetup, person, role: str) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    account = person(role)
    with pytest.raises(NotSignedIn if role == "anonymous" else AccessDenied):
        service.respond(attached(account) if account else None, meetup_id, GOING)
    assert _count(Rsvp) == 0


def test_rsvp_refusals_record_nothing(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    resident = new_resident()
    db.session.commit()
    revision = meetup.rsvp_revision
    after_deadline = value.rsvp_deadline + timedelta(seconds=1)  # type: ignore[operator]
    with pytest.raises(MeetupError, match="RSVPs for this meetup closed at"):
        service.respond(attached(resident), meetup.id, GOING, now=after_deadline)
    with pytest.raises(MeetupError, match="already started"):
        service.respond(attached(resident), meetup.id, NOT_GOING, now=value.starts_at)
    with pytest.raises(MeetupError, match="going"):
        service.respond(attached(resident), meetup.id, "maybe")
    assert _count(Rsvp) == 0
    assert db.session.get(Meetup, meetup.id).rsvp_revision == revision  # type: ignore[union-attr]
    service.cancel_meetup(attached(organizer), meetup.id)
    with pytest.raises(MeetupError, match="cancelled"):
        service.respond(attached(resident), meetup.id, GOING)
    assert _count(Rsvp) == 0


def test_saying_not_going_after_the_deadline_frees_the_seat(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft(capacity=1)
    meetup = service.create_meetup(attached(organizer), value)
    going, waiting = new_resident(), new_resident()
    service.respond(attached(going), meetup.id, GOING)
    service.respond(attached(waiting), meetup.id, GOING)
    after_deadline = value.rsvp_deadline + timedelta(minutes=1)  # type: ignore[operator]
    service.respond(attached(going), meetup.id, NOT_GOING, now=after_deadline)
    assert _status(meetup.id, waiting.id) == GOING


def test_concurrent_rsvps_never_overfill_the_meetup(app: Flask, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup(capacity=3)
    residents = [new_resident() for _ in range(10)]
    barrier = threading.Barrier(len(residents))
    failures: list[BaseException] = []

    def answer(account_id: int) -> None:
        with app.app_context():
            from app.auth.models import Account

            account = db.session.get(Account, account_id)
            barrier.wait()
            try:
                service.respond(account, meetup_id, GOING)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 (collected and asserted below)
                db.session.rollback()
                failures.append(error)

    threads = [threading.Thread(target=answer, args=(resident.id,)) for resident in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with app.app_context():
        assert _count(Rsvp, Rsvp.meetup_id == meetup_id, Rsvp.status == GOING) == 3
        assert _count(Rsvp, Rsvp.meetup_id == meetup_id, Rsvp.status == WAITLISTED) == 7
        assert db.session.get(Meetup, meetup_id).rsvp_revision == 10  # type: ignore[union-attr]


# -- who sees the join link ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "answer", "sees_link", "sees_details"),
    [
        ("anonymous", None, False, False),
        ("visitor", None, False, False),
        ("resident", None, False, True),
        ("resident", NOT_GOING, False, True),
        ("resident", WAITLISTED, False, True),
        ("resident", GOING, True, True),
        ("organizer", None, False, True),
        ("admin", None, False, True),
    ],
)
def test_the_join_link_is_only_for_residents_who_are_going(service_context: Flask, organizer, new_resident, person, role: str, answer: str | None, sees_link: bool, sees_details: bool) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft(capacity=1))
    if answer == WAITLISTED:
        service.respond(attached(new_resident()), meetup.id, GOING)
    viewer = person(role)
    if answer is not None:
        service.respond(attached(viewer), meetup.id, GOING if answer == WAITLISTED else answer)
    page = service.meetup_page(attached(viewer) if viewer else None, meetup.id)
    assert (page.join_url == JOIN_URL) is sees_link
    assert page.join_url in (None, JOIN_URL)
    assert page.viewer.sees_details is sees_details
    assert service.meetup_calendar(attached(viewer) if viewer else None, meetup.id).with_join_url is sees_link


def test_the_join_link_goes_with_the_card_and_with_a_cancellation(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft())
    resident = new_resident()
    service.respond(attached(resident), meetup.id, GOING)
    assert service.meetup_page(attached(resident), meetup.id).join_url == JOIN_URL
    holding = db.session.scalar(sa.select(Holding).where(Holding.holder == resident.address))
    db.session.delete(holding)
    db.session.flush()
    assert service.meetup_page(attached(resident), meetup.id).join_url is None
    db.session.add(Holding(resident_number=77, holder=resident.address, locked=True, minted_block=1, minted_at=utcnow(), acquired_block=1))
    service.cancel_meetup(attached(organizer), meetup.id)
    assert service.meetup_page(attached(resident), meetup.id).join_url is None


def test_the_rsvp_list_and_its_export_are_for_organizers(service_context: Flask, organizer, new_resident, person) -> None:  # type: ignore[no-untyped-def]
    meetup = service.create_meetup(attached(organizer), draft(capacity=1))
    first, second = new_resident("一番"), new_resident("二番")
    service.respond(attached(first), meetup.id, GOING)
    service.respond(attached(second), meetup.id, GOING)
    listing = service.export_rsvps(attached(organizer), meetup.id)
    assert [(row.display_name, row.status) for row in listing.rows] == [("一番", GOING), ("二番", WAITLISTED)]
    assert all(row.resident_number is not None for row in listing.rows)
    assert _count(AuditEntry, AuditEntry.action == "meetup.export_rsvps") == 1
    with pytest.raises(AccessDenied):
        service.rsvp_list(attached(first), meetup.id)


# -- reminders and notices -------------------------------------------------------------------


def test_reminders_come_a_day_and_an_hour_before_and_never_twice(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    going, absent = new_resident(), new_resident()
    service.respond(attached(going), meetup.id, GOING)
    service.respond(attached(absent), meetup.id, NOT_GOING)
    start = value.starts_at
    assert send_due_reminders(now=start - timedelta(hours=25)) == 0
    assert send_due_reminders(now=start - timedelta(hours=23)) == 1
    assert send_due_reminders(now=start - timedelta(hours=22)) == 0
    assert send_due_reminders(now=start - timedelta(hours=2), account_id=going.id) == 0
    assert send_due_reminders(now=start - timedelta(minutes=30)) == 1
    assert send_due_reminders(now=start - timedelta(minutes=10)) == 0
    assert send_due_reminders(now=start + timedelta(minutes=1)) == 0
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.account_id == going.id).order_by(Notification.id)).all()
    assert kinds == ["meetup.reminder.day_before", "meetup.reminder.hour_before"]
    assert _count(Notification, Notification.account_id == absent.id) == 0
    shown = unread_for(attached(going), now=start - timedelta(minutes=10))
    assert [n.kind for n in shown] == ["meetup.reminder.day_before", "meetup.reminder.hour_before"]


def test_no_reminders_for_cancelled_meetups_or_lost_cards(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    first, second = (service.create_meetup(attached(organizer), draft()) for _ in range(2))
    resident, former = new_resident(), new_resident()
    for meetup in (first, second):
        service.respond(attached(resident), meetup.id, GOING)
        service.respond(attached(former), meetup.id, GOING)
    service.cancel_meetup(attached(organizer), first.id)
    db.session.execute(sa.delete(Holding).where(Holding.holder == former.address))
    assert send_due_reminders(now=second.starts_at - timedelta(hours=2)) == 1
    assert db.session.scalar(sa.select(Notification.account_id).where(Notification.kind.startswith("meetup.reminder"))) == resident.id


def test_a_moved_meetup_gets_fresh_reminders(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft()
    meetup = service.create_meetup(attached(organizer), value)
    resident = new_resident()
    service.respond(attached(resident), meetup.id, GOING)
    now = value.starts_at - timedelta(hours=20)
    assert send_due_reminders(now=now) == 1
    moved = replace(value, starts_at=value.starts_at + timedelta(hours=2), ends_at=value.ends_at + timedelta(hours=2))
    service.edit_meetup(attached(organizer), meetup.id, moved, now=now)
    assert [n.kind for n in unread_for(attached(resident), now=now)] == ["meetup.rescheduled"]
    assert send_due_reminders(now=now) == 1
    assert send_due_reminders(now=now) == 0


def test_notices_are_made_once_and_read_per_account(service_context: Flask, new_resident) -> None:  # type: ignore[no-untyped-def]
    one, other = new_resident(), new_resident()
    made = notify(one.id, "test.kind", "Hello %(name)s", {"name": {"ja": "さん", "en": "you"}}, "/meetups", subject="x:1")
    assert made is not None
    assert notify(one.id, "test.kind", "Hello %(name)s", {}, "/meetups", subject="x:1") is None
    assert notify(other.id, "test.kind", "Hello %(name)s", {}, "/meetups", subject="x:1") is not None
    assert notify(one.id, "test.kind", "Later", due_at=utcnow() + timedelta(days=1), subject="x:2") is not None
    assert [n.id for n in unread_for(attached(one))] == [made]
    assert mark_read(attached(other), made) == 0  # not theirs
    assert mark_read(attached(one), made) == 1
    assert unread_for(attached(one)) == []


# -- calendar feeds --------------------------------------------------------------------------


def test_a_feed_token_can_be_regenerated_and_revoked(service_context: Flask, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    going_to, cancelled, skipped = (service.create_meetup(attached(organizer), draft(starts_in=timedelta(days=days))) for days in (3, 4, 5))
    resident = new_resident()
    service.respond(attached(resident), going_to.id, GOING)
    service.respond(attached(resident), cancelled.id, GOING)
    service.respond(attached(resident), skipped.id, NOT_GOING)
    service.cancel_meetup(attached(organizer), cancelled.id)
    token = service.issue_calendar_feed(attached(resident))
    assert len(token) >= 43
    feed = service.calendar_feed(token)
    assert [m.id for m in feed.meetups] == [going_to.id, cancelled.id]

    new_token = service.issue_calendar_feed(attached(resident))
    assert new_token != token
    with pytest.raises(MeetupNotFound):
        service.calendar_feed(token)
    assert service.calendar_feed(new_token).account.id == resident.id

    assert service.revoke_calendar_feed(attached(resident)) is True
    with pytest.raises(MeetupNotFound):
        service.calendar_feed(new_token)
    assert service.revoke_calendar_feed(attached(resident)) is False
    with pytest.raises(MeetupNotFound):
        service.calendar_feed("")


def test_a_feed_closes_when_the_card_leaves_the_wallet(service_context: Flask, new_resident, person) -> None:  # type: ignore[no-untyped-def]
    resident = new_resident()
    token = service.issue_calendar_feed(attached(resident))
    db.session.execute(sa.delete(Holding).where(Holding.holder == resident.address))
    with pytest.raises(MeetupNotFound):
        service.calendar_feed(token)
    with pytest.raises(AccessDenied):
        service.issue_calendar_feed(attached(person("visitor")))
