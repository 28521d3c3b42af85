"""Open data: the standard event-list CSV (UTF-8 with BOM) and JSON, with no personal data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from community.exchange import attendance, opendata, service
from tests.unit.conftest_exchange import CONTRACT, ENDS, SETTINGS, STARTS, T0, FakeAnchor, attached, draft


@pytest.fixture
def closed_event(app: Flask, create_account, give_card):  # type: ignore[no-untyped-def]
    """One event with two attendees, closed and anchored; one cancelled event; one upcoming."""
    organizer_id = create_account(roles=("organizer",)).id
    residents = [create_account() for _ in range(2)]
    for resident in residents:
        give_card(resident.address)
    with app.test_request_context():
        organizer = db.session.get(type(residents[0]), organizer_id)
        event = service.create_event(organizer, draft(), now=T0)
        cancelled = service.create_event(organizer, draft(title_ja="中止の会", title_en="Cancelled meetup"), now=T0)
        service.cancel_event(organizer, cancelled.id, now=T0)
        for resident in residents:
            service.register(attached(resident), event.id, now=T0)
            token = service.issue_pass(attached(resident), event.id, SETTINGS, now=T0).token
            service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=STARTS)
        attendance.close_event(organizer, event.id, FakeAnchor(), now=ENDS)
        db.session.commit()
        return event.id, [r.address for r in residents]


def test_the_csv_has_the_standard_columns_a_bom_and_no_personal_data(client: FlaskClient, closed_event) -> None:  # type: ignore[no-untyped-def]
    event_id, addresses = closed_event
    response = client.get("/opendata/exchange-events.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    header = body.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(opendata.COLUMNS)
    assert header[:3] == ["全国地方公共団体コード", "ID", "地方公共団体名"] and header[-3:] == ["URL", "備考", "参加者数"]
    assert len(header) == 37, "36 standard columns and the attendance count"
    assert len(rows) == 2
    held = next(row for row in rows if row["ID"] == f"{event_id:010d}")
    assert held["全国地方公共団体コード"] == "063223"
    assert held["地方公共団体名"] == "山形県西川町"
    assert (held["開始日"], held["開始時間"], held["終了時間"]) == ("2030-05-08", "10:00", "13:00"), "Japan time"
    assert held["定員"] == "2" and held["参加者数"] == "2"
    assert held["緯度"] == "38.4239000" and held["イベント名_英語"] == "An evening at the foot of Gassan"
    cancelled = next(row for row in rows if row is not held)
    assert cancelled["備考"].startswith("中止") and cancelled["参加者数"] == ""
    text = body.decode("utf-8-sig")
    for address in addresses:
        assert address not in text and address.lower() not in text
    assert "0x" not in text, "no wallet, root or signature leaks into open data"


def test_the_json_has_the_same_rows_and_the_licence(client: FlaskClient, closed_event) -> None:  # type: ignore[no-untyped-def]
    event_id, addresses = closed_event
    document = client.get("/opendata/exchange-events.json").get_json()
    assert document["license"] == "CC BY 4.0" and document["localGovernmentCode"] == "063223"
    assert document["columns"] == list(opendata.COLUMNS)
    held = next(row for row in document["events"] if row["ID"] == f"{event_id:010d}")
    assert held["参加者数"] == 2 and held["定員"] == 2
    assert not any(address in str(document) for address in addresses)


def test_the_opendata_page_lists_the_files_with_their_licence(client: FlaskClient) -> None:
    page = client.get("/opendata", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/opendata/exchange-events.csv" in page and "/opendata/exchange-events.json" in page
    assert "CC BY 4.0" in page and 'rel="license"' in page
