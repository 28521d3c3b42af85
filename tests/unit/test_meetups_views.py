"""Meetup pages over HTTP: an authorization matrix of every route, forms and their refusals,
the join link on the page, CSV export, calendar downloads and feeds, reminders on every page."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEntry
from app.extensions import db
from app.timeutil import utcnow
from community.meetups import service
from community.meetups.models import GOING, NOT_GOING, CalendarFeed, Meetup, Rsvp
from community.notifications.models import Notification
from tests.unit.conftest_meetups import JOIN_URL, ROLES, attached, csrf_token, draft, form_data, make_meetup, new_resident, organizer, person  # noqa: F401

EN = {"Accept-Language": "en"}


def _signed_in(client: FlaskClient, sign_in, account) -> FlaskClient:  # type: ignore[no-untyped-def]
    if account is not None:
        sign_in(client, account)
    return client


def _fingerprint(app: Flask, meetup_id: int) -> tuple[object, ...]:
    with app.app_context():
        def count(model: type) -> int:
            return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)  # type: ignore[arg-type]

        meetup = db.session.get(Meetup, meetup_id)
        assert meetup is not None
        return (count(Meetup), count(Rsvp), count(AuditEntry), count(CalendarFeed), meetup.cancelled_at, meetup.sequence, meetup.title_en)


STAFF_ONLY = {"anonymous": 302, "visitor": 403, "resident": 403}
RESIDENTS_ONLY = {"anonymous": 302, "visitor": 403, "organizer": 403, "admin": 403}


def _expect(special: dict[str, int], default: int) -> dict[str, int]:
    return {role: special.get(role, default) for role in ROLES}


#: (route, method, path, what to post, expected status per role)
MATRIX = [
    ("list", "GET", "/meetups", None, _expect({}, 200)),
    ("meetup page", "GET", "/meetups/{id}", None, _expect({}, 200)),
    ("meetup .ics", "GET", "/meetups/{id}/calendar.ics", None, _expect({}, 200)),
    ("unknown meetup", "GET", "/meetups/999999", None, _expect({}, 404)),
    ("new form", "GET", "/meetups/new", None, _expect(STAFF_ONLY, 200)),
    ("create", "POST", "/meetups/new", "meetup", _expect(STAFF_ONLY, 303)),
    ("edit form", "GET", "/meetups/{id}/edit", None, _expect(STAFF_ONLY, 200)),
    ("edit", "POST", "/meetups/{id}/edit", "meetup", _expect(STAFF_ONLY, 303)),
    ("cancel", "POST", "/meetups/{id}/cancel", "csrf", _expect(STAFF_ONLY, 303)),
    ("RSVP list", "GET", "/meetups/{id}/rsvps", None, _expect(STAFF_ONLY, 200)),
    ("RSVP export", "GET", "/meetups/{id}/rsvps.csv", None, _expect(STAFF_ONLY, 200)),
    ("RSVP", "POST", "/meetups/{id}/rsvp", "going", _expect(RESIDENTS_ONLY, 303)),
    ("feed on", "POST", "/meetups/calendar-feed", "csrf", _expect(RESIDENTS_ONLY, 303)),
    ("feed off", "POST", "/meetups/calendar-feed/revoke", "csrf", _expect({"anonymous": 302}, 303)),
    ("feed with a wrong token", "GET", "/meetups/calendar/not-a-token.ics", None, _expect({}, 404)),
    ("notices read", "POST", "/notifications/read", "csrf", _expect({"anonymous": 302}, 303)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "method", "path", "payload", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_authorization_matrix(app: Flask, client: FlaskClient, sign_in, make_meetup, person, role: str, route: str, method: str, path: str, payload: str | None, expected: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    _signed_in(client, sign_in, person(role))
    url = path.format(id=meetup_id)
    before = _fingerprint(app, meetup_id)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client)
        data = {"csrf_token": token}
        if payload == "meetup":
            data = form_data(draft(title_en="Changed by the matrix"), token)
        elif payload == "going":
            data["answer"] = GOING
        response = client.post(url, data=data)
    assert response.status_code == expected[role], f"{route} as {role}"
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/sign-in")
    if response.status_code in (302, 403, 404):
        assert _fingerprint(app, meetup_id) == before, f"{route} as {role} was refused but changed something"
    elif method == "POST" and route != "feed off" and route != "notices read":
        assert _fingerprint(app, meetup_id) != before, f"{route} as {role} succeeded but changed nothing"


# -- organizers' forms -----------------------------------------------------------------------


def test_an_organizer_schedules_in_japan_time(app: Flask, client: FlaskClient, sign_in, organizer) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, organizer)
    token = csrf_token(client, "/meetups/new")
    year = utcnow().year + 1
    data = form_data(draft(), token) | {"starts_at": f"{year}-12-05T20:00", "ends_at": f"{year}-12-05T21:30", "rsvp_deadline": f"{year}-12-04T23:59"}
    response = client.post("/meetups/new", data=data)
    assert response.status_code == 303
    with app.app_context():
        meetup = db.session.scalar(sa.select(Meetup))
        assert meetup is not None
        assert meetup.starts_at == datetime(year, 12, 5, 11, 0, tzinfo=UTC)
        assert meetup.rsvp_deadline == datetime(year, 12, 4, 14, 59, tzinfo=UTC)
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert f"5 Dec {year}, 20:00–21:30 JST" in page
    form = client.get(f"/meetups/{meetup.id}/edit").get_data(as_text=True)
    assert f'value="{year}-12-05T20:00"' in form


BAD_FORMS = [
    ("start in the past", {"starts_at": "2020-01-01T10:00", "ends_at": "2020-01-01T11:00", "rsvp_deadline": ""}, "The start time has already passed"),
    ("end before start", {"ends_at": "START-30"}, "The end must be after the start"),
    ("capacity zero", {"capacity": "0"}, "The capacity must be at least 1"),
    ("capacity negative", {"capacity": "-5"}, "The capacity must be at least 1"),
    ("capacity not a number", {"capacity": "many"}, "must be a whole number"),
    ("join link not https", {"join_url": "http://cluster.mu/e/room"}, "must be a full address starting with https://"),
    ("no start", {"starts_at": ""}, "Enter the date and time it starts"),
    ("deadline after start", {"rsvp_deadline": "START+30"}, "no later than the start"),
]


@pytest.mark.parametrize(("case", "changes", "message"), BAD_FORMS, ids=[row[0] for row in BAD_FORMS])
def test_bad_forms_are_refused_in_the_users_language_and_record_nothing(app: Flask, client: FlaskClient, sign_in, organizer, case: str, changes: dict[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, organizer)
    data = form_data(draft(), csrf_token(client, "/meetups/new"))
    start = datetime.strptime(data["starts_at"], "%Y-%m-%dT%H:%M")
    for name, value in changes.items():
        if value.startswith("START"):
            value = (start + timedelta(minutes=int(value[5:]))).strftime("%Y-%m-%dT%H:%M")
        data[name] = value
    response = client.post("/meetups/new", data=data, headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Meetup)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_a_refused_edit_changes_nothing(app: Flask, client: FlaskClient, sign_in, organizer, make_meetup) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    sign_in(client, organizer)
    before = _fingerprint(app, meetup_id)
    data = form_data(draft(capacity=0, title_en="Never saved"), csrf_token(client))
    response = client.post(f"/meetups/{meetup_id}/edit", data=data, headers=EN)
    assert response.status_code == 422 and "at least 1" in response.get_data(as_text=True)
    assert _fingerprint(app, meetup_id) == before


def test_cancelling_shows_the_meetup_as_cancelled(app: Flask, client: FlaskClient, sign_in, organizer, make_meetup) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    sign_in(client, organizer)
    response = client.post(f"/meetups/{meetup_id}/cancel", data={"csrf_token": csrf_token(client)}, headers=EN, follow_redirects=True)
    assert "This meetup was cancelled by the town office." in response.get_data(as_text=True)
    again = client.post(f"/meetups/{meetup_id}/cancel", data={"csrf_token": csrf_token(client)}, headers=EN, follow_redirects=True)
    assert "already cancelled" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "meetup.cancel")) == 1


# -- residents -------------------------------------------------------------------------------


def test_the_join_link_appears_on_the_page_only_after_rsvp_going(client: FlaskClient, sign_in, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    assert JOIN_URL not in client.get(f"/meetups/{meetup_id}").get_data(as_text=True)
    assert JOIN_URL not in client.get(f"/meetups/{meetup_id}/calendar.ics").get_data(as_text=True)
    resident = new_resident()
    sign_in(client, resident)
    page = client.get(f"/meetups/{meetup_id}").get_data(as_text=True)
    assert JOIN_URL not in page and "二行目" in page
    response = client.post(f"/meetups/{meetup_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": GOING}, headers=EN, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "You are going." in text and JOIN_URL in text
    assert JOIN_URL in client.get(f"/meetups/{meetup_id}/calendar.ics").get_data(as_text=True)
    client.post(f"/meetups/{meetup_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": NOT_GOING})
    assert JOIN_URL not in client.get(f"/meetups/{meetup_id}").get_data(as_text=True)


def test_late_rsvps_and_rsvps_to_cancelled_meetups_are_refused_with_a_message(app: Flask, client: FlaskClient, sign_in, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    value = draft(starts_in=timedelta(hours=3))
    with app.app_context():
        # Scheduled "yesterday" with a deadline that has passed by now.
        closed = service.create_meetup(attached(organizer), replace(value, rsvp_deadline=utcnow() - timedelta(minutes=1)), now=utcnow() - timedelta(days=1))
        cancelled = service.create_meetup(attached(organizer), draft())
        service.cancel_meetup(attached(organizer), cancelled.id)
        db.session.commit()
        closed_id, cancelled_id = closed.id, cancelled.id
    sign_in(client, new_resident())
    late = client.post(f"/meetups/{closed_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": GOING}, headers=EN, follow_redirects=True)
    assert "RSVPs for this meetup closed at" in late.get_data(as_text=True)
    gone = client.post(f"/meetups/{cancelled_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": GOING}, headers=EN, follow_redirects=True)
    assert "This meetup was cancelled by the town office." in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) == 0


def test_the_rsvp_csv_opens_in_excel(app: Flask, client: FlaskClient, sign_in, organizer, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup(capacity=1)
    first, second = new_resident("西川 花子"), new_resident("=HYPERLINK(\"x\")")
    with app.app_context():
        service.respond(attached(first), meetup_id, GOING)
        service.respond(attached(second), meetup_id, GOING)
        db.session.commit()
    sign_in(client, organizer)
    response = client.get(f"/meetups/{meetup_id}/rsvps.csv", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="meetup-{meetup_id}-rsvps.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Resident number", "Display name", "Status", "RSVP time (JST)", "Seat from waitlist (JST)"]
    assert [row[1:3] for row in rows[1:]] == [["西川 花子", "Going"], ["'=HYPERLINK(\"x\")", "Waitlisted"]]
    assert all(row[0].isdigit() for row in rows[1:])
    assert b"0x" not in body  # no wallet addresses (and certainly no keys)
    assert rows[1][3].startswith(str(utcnow().astimezone(ZoneInfo("Asia/Tokyo")).year))


# -- calendar feeds --------------------------------------------------------------------------


def test_a_resident_turns_the_feed_on_regenerates_and_revokes_it(client: FlaskClient, sign_in, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    resident = new_resident()
    sign_in(client, resident)
    client.post(f"/meetups/{meetup_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": GOING})
    client.post("/meetups/calendar-feed", data={"csrf_token": csrf_token(client)})
    page = client.get("/meetups").get_data(as_text=True)
    first_url = page.split('id="feed-url" class="meetup-feed-url" type="text" value="', 1)[1].split('"', 1)[0]
    path = first_url.split("127.0.0.1:5000", 1)[1]
    anonymous = client.application.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert feed.headers["Cache-Control"] == "private, no-store"
    assert JOIN_URL in feed.get_data(as_text=True)

    client.post("/meetups/calendar-feed", data={"csrf_token": csrf_token(client)})
    assert anonymous.get(path).status_code == 404
    new_path = client.get("/meetups").get_data(as_text=True).split('id="feed-url" class="meetup-feed-url" type="text" value="', 1)[1].split('"', 1)[0].split("127.0.0.1:5000", 1)[1]
    assert new_path != path and anonymous.get(new_path).status_code == 200

    client.post("/meetups/calendar-feed/revoke", data={"csrf_token": csrf_token(client)})
    assert anonymous.get(new_path).status_code == 404
    assert 'id="feed-url"' not in client.get("/meetups").get_data(as_text=True)


# -- reminders on every page -----------------------------------------------------------------


def test_reminders_appear_on_every_page_until_read_and_are_made_once(app: Flask, client: FlaskClient, sign_in, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup(starts_in=timedelta(hours=3), rsvp_deadline=None)
    resident = new_resident()
    with app.app_context():
        service.respond(attached(resident), meetup_id, GOING)
        db.session.commit()
    sign_in(client, resident)
    for path in ("/", "/meetups", f"/meetups/{meetup_id}"):
        page = client.get(path, headers=EN).get_data(as_text=True)
        assert "Reminder: “Talk with the mayor” is on" in page, path
    with app.app_context():
        notice_id = db.session.scalar(sa.select(Notification.id))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    response = client.post(f"/notifications/{notice_id}/read", data={"csrf_token": csrf_token(client, "/"), "next": "/meetups"})
    assert response.status_code == 303 and response.headers["Location"] == "/meetups"
    assert "Reminder:" not in client.get("/", headers=EN).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_the_reminders_command_is_idempotent(app: Flask, runner, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup(starts_in=timedelta(minutes=50), rsvp_deadline=None)
    resident = new_resident()
    with app.app_context():
        service.respond(attached(resident), meetup_id, GOING)
        db.session.commit()
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "Made 1 new meetup reminder(s)." in first.output
    again = runner.invoke(args=["reminders", "send"])
    assert "Made 0 new meetup reminder(s)." in again.output
    with app.app_context():
        kinds = db.session.scalars(sa.select(Notification.kind)).all()
        assert kinds == ["meetup.reminder.hour_before"]
