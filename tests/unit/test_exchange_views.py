"""Exchange pages over HTTP: who may open what (every route), the forms, check-in end to end."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from eth_account import Account as EthAccount
from flask import Flask
from flask.testing import FlaskClient

from app.chain.models import Deployment
from app.extensions import db
from app.timeutil import utcnow
from community.exchange import checkin, service
from community.exchange.models import CheckIn, ExchangeEvent, Registration
from tests.unit.conftest_exchange import CONTRACT, attached, draft, sign_typed

EN = {"Accept-Language": "en"}


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/events").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture(autouse=True)
def no_contract_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests have no chain: every wallet is an EOA (ERC-1271 check-in is tested on anvil)."""
    from app.auth import service as auth_service

    monkeypatch.setattr(auth_service, "contract_wallet_check", lambda config: lambda address, digest, signature: False)


@pytest.fixture
def deployment(app: Flask) -> None:
    with app.app_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "11" * 32, soulbound=True))
        db.session.commit()


@pytest.fixture
def people(app: Flask, create_account, give_card, deployment):  # type: ignore[no-untyped-def]
    """A visitor, a resident (with a real key), an organizer, and an event whose check-in is open now."""
    key = EthAccount.create()
    resident = create_account(key.address)
    give_card(key.address, 41)
    organizer = create_account(roles=("organizer",))
    visitor = create_account()
    starts = utcnow() - timedelta(minutes=30)
    with app.test_request_context():
        event = service.create_event(
            attached(organizer), draft(starts_at=starts, ends_at=starts + timedelta(hours=3), registration_deadline=starts - timedelta(hours=1)), now=starts - timedelta(days=1)
        )
        service.register(attached(resident), event.id, now=starts - timedelta(days=1))
        db.session.commit()
        event_id = event.id
    return {"visitor": visitor, "resident": resident, "organizer": organizer, "key": key.key.to_0x_hex(), "event": event_id}


PERSONAS = ("anonymous", "visitor", "resident", "organizer")
SIGN_IN = 302
#: (method, path, expected status for anonymous, visitor, resident, organizer)
MATRIX = [
    ("GET", "/events", (200, 200, 200, 200)),
    ("GET", "/events/{id}", (200, 200, 200, 200)),
    ("GET", "/events/new", (SIGN_IN, 403, 403, 200)),
    ("POST", "/events/new", (SIGN_IN, 403, 403, 422)),
    ("GET", "/events/{id}/edit", (SIGN_IN, 403, 403, 200)),
    ("POST", "/events/{id}/edit", (SIGN_IN, 403, 403, 422)),
    ("POST", "/events/{id}/register", (SIGN_IN, 403, 409, 403)),
    ("POST", "/events/{id}/withdraw", (SIGN_IN, 403, 409, 403)),
    ("GET", "/events/{id}/kiosk", (SIGN_IN, 403, 403, 200)),
    ("GET", "/events/{id}/kiosk/code.svg", (SIGN_IN, 403, 403, 200)),
    ("GET", "/events/{id}/check-in?code=0x00", (SIGN_IN, 403, 422, 403)),
    # A JSON endpoint: a script cannot follow a redirect to the sign-in page, so 401; a form body is not its JSON (400).
    ("POST", "/events/{id}/check-in", (401, 403, 400, 403)),
    ("GET", "/events/{id}/pass", (SIGN_IN, 403, 200, 403)),
    ("GET", "/events/{id}/pass.svg", (SIGN_IN, 403, 200, 403)),
    ("GET", "/events/{id}/scan", (SIGN_IN, 403, 403, 200)),
    ("POST", "/events/{id}/scan", (SIGN_IN, 403, 403, 422)),
    ("GET", "/events/{id}/attendance", (SIGN_IN, 403, 403, 200)),
    ("POST", "/events/{id}/close", (SIGN_IN, 403, 403, 409)),
    ("GET", "/events/{id}/proof.json", (SIGN_IN, 403, 409, 403)),
    ("GET", "/my/attendance", (SIGN_IN, 200, 200, 200)),
    ("GET", "/opendata", (200, 200, 200, 200)),
    ("GET", "/opendata/exchange-events.csv", (200, 200, 200, 200)),
    ("GET", "/opendata/exchange-events.json", (200, 200, 200, 200)),
    ("POST", "/events/{id}/cancel", (SIGN_IN, 403, 403, 303)),
]


def test_the_matrix_covers_every_exchange_route(app: Flask) -> None:
    rules = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("exchange.") for method in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]
    covered = {(method, path.split("?")[0].replace("{id}", "<int:event_id>")) for method, path, _ in MATRIX}
    assert rules == covered


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(app: Flask, client: FlaskClient, sign_in, people, persona: str, method: str, path: str, expected: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    if persona != "anonymous":
        sign_in(client, people[persona])
    url = path.format(id=people["event"])
    if method == "GET":
        response = client.get(url, headers=EN)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client)}, headers={**EN, "X-CSRFToken": csrf_token(client)})
    assert response.status_code == expected[PERSONAS.index(persona)], response.get_data(as_text=True)[:400]
    if response.status_code == SIGN_IN and persona == "anonymous":
        assert urlsplit(response.headers["Location"]).path == "/sign-in"


def test_an_organizer_schedules_an_event_in_japan_time(app: Flask, client: FlaskClient, sign_in, create_account) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, create_account(roles=("organizer",)))
    year = utcnow().year + 1
    form = {
        "csrf_token": csrf_token(client), "title_ja": "交流会", "title_en": "Meetup", "description_ja": "", "description_en": "",
        "start_date": f"{year}-06-01", "start_time": "18:00", "end_date": f"{year}-06-01", "end_time": "20:00",
        "deadline_date": f"{year}-05-30", "deadline_time": "12:00", "place_name": "あいべ", "place_address": "西川町海味510",
        "latitude": "38.42", "longitude": "140.15", "capacity": "30",
    }  # fmt: skip
    response = client.post("/events/new", data=form, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(ExchangeEvent))
        assert event is not None and event.starts_at.isoformat() == f"{year}-06-01T09:00:00+00:00", "18:00 JST is 09:00 UTC"
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert f"1 Jun {year}, 18:00–20:00 JST" in page

    for changes, words in (({"capacity": "0"}, "at least 1"), ({"end_time": "17:00"}, "end must be after the start"), ({"start_date": f"{year - 2}-06-01", "end_date": f"{year - 2}-06-01"}, "in the past")):
        response = client.post("/events/new", data={**form, **changes}, headers=EN)
        assert response.status_code == 422 and words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeEvent)) == 1


def test_a_refused_registration_says_why_and_records_nothing(app: Flask, client: FlaskClient, sign_in, people) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, people["resident"])
    response = client.post(f"/events/{people['event']}/register", data={"csrf_token": csrf_token(client)}, headers=EN)
    assert response.status_code == 409 and "Registration closed at" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1, "only the fixture's own registration"


def test_a_resident_checks_in_at_the_kiosk_over_http(app: Flask, client: FlaskClient, sign_in, people) -> None:  # type: ignore[no-untyped-def]
    organizer_client = app.test_client()
    sign_in(organizer_client, people["organizer"])
    kiosk = organizer_client.get(f"/events/{people['event']}/kiosk/code.svg")
    assert kiosk.status_code == 200 and kiosk.mimetype == "image/svg+xml" and kiosk.headers["Cache-Control"] == "no-store"

    with app.test_request_context():
        code = "0x" + checkin.kiosk_code(app.config["SECRET_KEY"], people["event"], checkin.kiosk_window(utcnow().timestamp())).hex()
    sign_in(client, people["resident"])
    page = client.get(f"/events/{people['event']}/check-in?code={code}", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    typed = json.loads(re.search(r'id="check-in-typed-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert typed["message"]["kioskCode"] == code and typed["domain"]["verifyingContract"] == CONTRACT
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html

    token = csrf_token(client)
    body = {"kioskCode": code, "issuedAt": typed["message"]["issuedAt"], "signature": sign_typed(typed, people["key"])}
    response = client.post(f"/events/{people['event']}/check-in", json=body, headers={**EN, "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["ok"] and not response.get_json()["already"]
    again = client.post(f"/events/{people['event']}/check-in", json=body, headers={**EN, "X-CSRFToken": token})
    assert again.get_json()["already"] and "already checked in" in again.get_json()["message"]

    forged = {**body, "signature": sign_typed(typed, EthAccount.create().key.to_0x_hex())}
    refused = client.post(f"/events/{people['event']}/check-in", json=forged, headers={**EN, "X-CSRFToken": token})
    assert refused.status_code == 422 and "different wallet" in refused.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1

    history = client.get("/my/attendance", headers=EN).get_data(as_text=True)
    assert "An evening at the foot of Gassan" in history


def test_staff_scan_a_pass_then_the_next(app: Flask, client: FlaskClient, sign_in, people) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, people["resident"])
    page = client.get(f"/events/{people['event']}/pass", headers=EN).get_data(as_text=True)
    token = re.search(r'class="exchange-token">([^<]+)</p>', page).group(1)  # type: ignore[union-attr]
    assert client.get(f"/events/{people['event']}/pass.svg").mimetype == "image/svg+xml"

    staff = app.test_client()
    sign_in(staff, people["organizer"])
    scanned = staff.post(f"/events/{people['event']}/scan", data={"csrf_token": csrf_token(staff), "token": token}, headers=EN).get_data(as_text=True)
    assert "Resident No. 41 is checked in." in scanned and "Scan next" in scanned
    twice = staff.post(f"/events/{people['event']}/scan", data={"csrf_token": csrf_token(staff), "token": token}, headers=EN).get_data(as_text=True)
    assert "Resident No. 41 had already checked in; nothing changed." in twice
    forged = staff.post(f"/events/{people['event']}/scan", data={"csrf_token": csrf_token(staff), "token": token[:-3] + "xyz"}, headers=EN)
    assert forged.status_code == 422 and "not genuine" in forged.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
    attendance = staff.get(f"/events/{people['event']}/attendance", headers=EN).get_data(as_text=True)
    assert "41" in attendance and people["resident"].address in attendance


def test_pages_fit_the_content_security_policy(client: FlaskClient, sign_in, people) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, people["organizer"])
    for path in ("/events", f"/events/{people['event']}", "/events/new", f"/events/{people['event']}/kiosk", f"/events/{people['event']}/scan", "/opendata"):
        html = client.get(path).get_data(as_text=True)
        assert " style=" not in html and " onclick=" not in html and " onload=" not in html, path
        assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html), path
