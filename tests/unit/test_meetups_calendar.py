"""iCalendar files and feeds, parsed back with the `icalendar` library and checked field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from app.extensions import db
from community.meetups import service
from community.meetups.models import GOING, NOT_GOING, Meetup
from tests.unit.conftest_meetups import JOIN_URL, attached, csrf_token, draft, make_meetup, new_resident, organizer  # noqa: F401

TOKYO = ZoneInfo("Asia/Tokyo")
SITE = "http://127.0.0.1:5000"  # SITE_URL's default in the test configuration


def _parse(body: bytes) -> Calendar:
    assert b"\r\n" in body, "RFC 5545 lines end with CRLF"
    return Calendar.from_ical(body)


def _only_event(calendar: Calendar):  # type: ignore[no-untyped-def]
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def _meetup(app: Flask, meetup_id: int) -> Meetup:
    with app.app_context():
        meetup = db.session.get(Meetup, meetup_id)
        assert meetup is not None
        db.session.expunge(meetup)
        return meetup


def test_a_going_resident_gets_every_field_with_the_join_link(app: Flask, client: FlaskClient, sign_in, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    meetup = _meetup(app, meetup_id)
    resident = new_resident()
    sign_in(client, resident)
    client.post(f"/meetups/{meetup_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": GOING})

    response = client.get(f"/meetups/{meetup_id}/calendar.ics", headers={"Accept-Language": "ja"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="meetup-{meetup_id}.ics"'
    calendar = _parse(response.get_data())
    assert str(calendar["VERSION"]) == "2.0"
    assert "Nishikawa" in str(calendar["PRODID"])

    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Asia/Tokyo"]
    standard = zones[0].walk("STANDARD")[0]
    assert standard["TZOFFSETTO"].td == timedelta(hours=9)

    event = _only_event(calendar)
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event["DTEND"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("DTSTART") == meetup.starts_at and event.decoded("DTSTART").utcoffset() == timedelta(hours=9)
    assert event.decoded("DTEND") == meetup.ends_at
    assert str(event["SUMMARY"]) == "町長と話そう"
    assert str(event["LOCATION"]) == JOIN_URL
    assert str(event["URL"]) == JOIN_URL
    assert "二行目" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"{SITE}/meetups"
    assert event["ORGANIZER"].params["CN"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["UID"]) == f"meetup-{meetup_id}@127.0.0.1"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP") == meetup.updated_at.replace(microsecond=0)
    assert event["DTSTAMP"].to_ical().endswith(b"Z")


@pytest.mark.parametrize("role", ["anonymous", "resident not going"])
def test_others_get_the_platform_as_location_and_the_meetup_page_as_url(client: FlaskClient, sign_in, make_meetup, new_resident, role: str) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup(platform="vrchat")
    if role != "anonymous":
        sign_in(client, new_resident())
        client.post(f"/meetups/{meetup_id}/rsvp", data={"csrf_token": csrf_token(client), "answer": NOT_GOING})
    body = client.get(f"/meetups/{meetup_id}/calendar.ics", headers={"Accept-Language": "en"}).get_data()
    assert JOIN_URL.encode() not in body
    event = _only_event(_parse(body))
    assert str(event["LOCATION"]) == "VRChat"
    assert str(event["URL"]) == f"{SITE}/meetups/{meetup_id}"
    assert str(event["SUMMARY"]) == "Talk with the mayor"
    # Details are for residents: the public file has no description text beyond the page link.
    assert ("Second line" in str(event["DESCRIPTION"])) is (role != "anonymous")


def test_edits_raise_the_sequence_and_keep_the_uid_and_cancelling_marks_it(app: Flask, client: FlaskClient, organizer, make_meetup) -> None:  # type: ignore[no-untyped-def]
    meetup_id = make_meetup()
    before = _only_event(_parse(client.get(f"/meetups/{meetup_id}/calendar.ics").get_data()))
    with app.test_request_context():
        service.edit_meetup(attached(organizer), meetup_id, draft(starts_in=timedelta(days=12), title_ja="町長と話そう（変更）"))
        db.session.commit()
    after = _only_event(_parse(client.get(f"/meetups/{meetup_id}/calendar.ics").get_data()))
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == 1
    assert str(after["SUMMARY"]) == "町長と話そう（変更）"
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == timedelta(days=2)
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")
    with app.test_request_context():
        service.cancel_meetup(attached(organizer), meetup_id)
        db.session.commit()
    cancelled = _only_event(_parse(client.get(f"/meetups/{meetup_id}/calendar.ics").get_data()))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2


def test_the_feed_lists_meetups_going_to_with_cancelled_ones_marked(app: Flask, client: FlaskClient, sign_in, organizer, make_meetup, new_resident) -> None:  # type: ignore[no-untyped-def]
    going_id, cancelled_id, skipped_id = make_meetup(starts_in=timedelta(days=3)), make_meetup(starts_in=timedelta(days=4)), make_meetup(starts_in=timedelta(days=5))
    resident = new_resident()
    with app.test_request_context():
        for meetup_id in (going_id, cancelled_id):
            service.respond(attached(resident), meetup_id, GOING)
        service.respond(attached(resident), skipped_id, NOT_GOING)
        service.cancel_meetup(attached(organizer), cancelled_id)
        token = service.issue_calendar_feed(attached(resident))
        db.session.commit()
    feed = app.test_client().get(f"/meetups/calendar/{token}.ics")
    assert feed.status_code == 200
    calendar = _parse(feed.get_data())
    assert str(calendar["X-WR-CALNAME"]) and calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"meetup-{going_id}@127.0.0.1", f"meetup-{cancelled_id}@127.0.0.1"}
    going, cancelled = events[f"meetup-{going_id}@127.0.0.1"], events[f"meetup-{cancelled_id}@127.0.0.1"]
    assert (str(going["STATUS"]), str(going["LOCATION"])) == ("CONFIRMED", JOIN_URL)
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1
    assert str(cancelled["LOCATION"]) == "cluster"  # a cancelled meetup no longer hands out its link
    assert going["DTSTART"].params["TZID"] == "Asia/Tokyo"


def test_an_empty_feed_is_still_a_valid_calendar(app: Flask, new_resident) -> None:  # type: ignore[no-untyped-def]
    resident = new_resident()
    with app.test_request_context():
        token = service.issue_calendar_feed(attached(resident))
        db.session.commit()
    calendar = _parse(app.test_client().get(f"/meetups/calendar/{token}.ics").get_data())
    assert calendar.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]


def test_times_are_exact_in_the_file(app: Flask, client: FlaskClient, organizer) -> None:  # type: ignore[no-untyped-def]
    year = datetime.now(UTC).year + 1
    starts = datetime(year, 12, 5, 11, 0, tzinfo=UTC)
    with app.test_request_context():
        meetup = service.create_meetup(attached(organizer), replace(draft(), starts_at=starts, ends_at=starts + timedelta(minutes=90), rsvp_deadline=None))
        db.session.commit()
        meetup_id = meetup.id
    body = client.get(f"/meetups/{meetup_id}/calendar.ics").get_data().decode()
    assert f"DTSTART;TZID=Asia/Tokyo:{year}1205T200000" in body
    assert f"DTEND;TZID=Asia/Tokyo:{year}1205T213000" in body
    event = _only_event(_parse(body.encode()))
    assert event.decoded("DTSTART").astimezone(TOKYO).hour == 20
