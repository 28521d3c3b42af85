"""The input layer (app/inputs.py): every malformed value the hostile-request review found, and
its cousins, answers 4xx with a message — on SQLite and on PostgreSQL, where NUL bytes, huge
integers and far-off dates used to reach the database and come back as 500s. Then the structural
rule that keeps the class closed: every field of every form uses the layer's bounded fields and
text rules, and every JSON endpoint declares the shape of its body."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeField, DecimalField, Field, IntegerField, StringField, TimeField
from wtforms.validators import AnyOf

from app.chain.models import Deployment
from app.extensions import db, limiter
from app.inputs import (
    MAX_JSON_DEPTH,
    BoundedDateField,
    BoundedDateTimeLocalField,
    BoundedIntegerField,
    FiniteDecimalField,
    InvalidInput,
    PlainText,
    SingleLine,
    json_body_problem,
    parse_decimal,
    parse_int,
    text_problem,
)
from app.timeutil import utcnow
from community.exchange.models import ExchangeEvent
from community.forums.models import ForumCategory
from community.meetups.models import Meetup
from tests.conftest import session_for
from tests.unit.conftest_exchange import CONTRACT, attached, draft
from tests.unit.conftest_forums import Forum, forum  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def no_contract_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    """No chain in unit tests: every wallet is an EOA."""
    from app.auth import service as auth_service

    monkeypatch.setattr(auth_service, "contract_wallet_check", lambda config: lambda address, digest, signature: False)


@dataclass
class Site:
    app: Flask
    client: FlaskClient
    forum: Forum
    event_id: int

    def token(self) -> str:
        match = CSRF.search(self.client.get("/").get_data(as_text=True))
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, data={"csrf_token": self.token(), **data}, headers=EN)

    def post_json(self, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers={**EN, "X-CSRFToken": self.token()})


@pytest.fixture
def site(app: Flask, forum: Forum, give_card) -> Iterator[Site]:  # type: ignore[no-untyped-def]  # noqa: F811
    """The forum's admin (every staff role) holding a card, signed in; an exchange event whose check-in is open."""
    give_card(forum.admin.address, 9002)
    starts = utcnow() - timedelta(minutes=30)
    with app.test_request_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "33" * 32, soulbound=True))
        from community.exchange import service

        event = service.create_event(attached(forum.admin), draft(starts_at=starts, ends_at=starts + timedelta(hours=3), registration_deadline=starts - timedelta(hours=1)), now=starts - timedelta(days=1))
        service.register(attached(forum.admin), event.id, now=starts - timedelta(days=1))
        db.session.commit()
        event_id = event.id
    client = app.test_client()
    values = session_for(app, forum.admin.id)
    with client.session_transaction() as session:
        session.update(values)
    with app.app_context():
        limiter.reset()
    yield Site(app, client, forum, event_id)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def meetup_form(**changes: str) -> dict[str, str]:
    starts = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    ends = (utcnow() + timedelta(days=10, hours=2)).strftime("%Y-%m-%dT%H:%M")
    return {"title_ja": "交流会", "title_en": "Meetup", "description_ja": "", "description_en": "", "starts_at": starts, "ends_at": ends, "platform": "cluster", "join_url": "https://cluster.mu/e/1", "capacity": "10", "rsvp_deadline": "", **changes}


def event_form(**changes: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=30)).date().isoformat()
    deadline = (utcnow() + timedelta(days=20)).date().isoformat()
    return {
        "title_ja": "語る会", "title_en": "Evening", "description_ja": "", "description_en": "",
        "start_date": day, "start_time": "18:00", "end_date": day, "end_time": "20:00", "deadline_date": deadline, "deadline_time": "12:00",
        "place_name": "あいべ", "place_address": "西川町海味510", "latitude": "38.4239", "longitude": "140.15", "capacity": "20", **changes,
    }


def category_form(**changes: str) -> dict[str, str]:
    return {"slug": "new-category", "name_ja": "新しい", "name_en": "New", "description_ja": "", "description_en": "", "position": "0", "visibility": "residents", **changes}


# -- the cases the review listed, each with cousins ----------------------------------------------------


@pytest.mark.parametrize("path", ["/language", "/notifications/read"])
@pytest.mark.parametrize("next_page", ["/\r\nSet-Cookie: planted=1", "/forums\n", "/\x00", "/ forums", "/a\tb"])
def test_line_breaks_and_controls_in_next_never_reach_the_location_header(site: Site, path: str, next_page: str) -> None:
    response = site.post(path, {"locale": "en", "next": next_page})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code < 400:
        assert response.headers["Location"] == "/"
    else:
        assert "control characters" in response.get_data(as_text=True)
    assert "planted" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "path",
    ["/forums/c/%00", "/forums/c/a%00b/new", "/meetups/calendar/%00.ics", "/staff/audit?actor=%00", "/staff/audit?action=a%00", "/staff/audit.csv?actor=%00", "/forums/search?q=%00", "/sign-in?next=/%0d%0a", "/forums?page=%00"],
)
def test_nul_and_controls_in_addresses_are_a_400_with_a_message(site: Site, path: str) -> None:
    response = site.client.get(path, headers=EN)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "control characters" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "form", "model"),
    [
        ("/meetups/new", meetup_form(title_ja="交流\x00会"), Meetup),
        ("/meetups/new", meetup_form(description_en="line\x00"), Meetup),
        ("/events/new", event_form(title_en="Even\x00ing"), ExchangeEvent),
        ("/events/new", event_form(place_name="\x1b[31m"), ExchangeEvent),
        ("/forums/admin/categories/new", category_form(name_en="N\x00"), ForumCategory),
    ],
)
def test_nul_in_form_fields_is_a_400_and_nothing_is_stored(site: Site, path: str, form: dict[str, str], model: type) -> None:
    before = count(site.app, model)
    response = site.post(path, form)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "control characters" in response.get_data(as_text=True)
    assert count(site.app, model) == before


@pytest.mark.parametrize(
    ("path", "form", "model", "words"),
    [
        ("/meetups/new", meetup_form(starts_at="0001-01-01T00:00"), Meetup, "Choose a date between"),
        ("/meetups/new", meetup_form(ends_at="9999-12-31T23:59"), Meetup, "Choose a date between"),
        ("/meetups/new", meetup_form(rsvp_deadline="9999-12-31T23:59"), Meetup, "Choose a date between"),
        ("/meetups/new", meetup_form(capacity=str(10**12)), Meetup, "must be between"),
        ("/meetups/new", meetup_form(capacity="1e3"), Meetup, "whole number"),
        ("/events/new", event_form(start_date="0001-01-01", end_date="0001-01-01"), ExchangeEvent, "Choose a date between"),
        ("/events/new", event_form(deadline_date="9999-12-31"), ExchangeEvent, "Choose a date between"),
        ("/events/new", event_form(capacity=str(10**12)), ExchangeEvent, "must be between"),
        ("/events/new", event_form(capacity="200000"), ExchangeEvent, "at most 100000"),
        ("/events/new", event_form(latitude="NaN"), ExchangeEvent, "must be a number"),
        ("/events/new", event_form(longitude="Infinity"), ExchangeEvent, "must be a number"),
        ("/events/new", event_form(latitude="1e400"), ExchangeEvent, "must be a number"),
        ("/events/new", event_form(latitude="91"), ExchangeEvent, "between -90 and 90"),
        ("/events/new", event_form(title_en="Evil\u202eevE"), ExchangeEvent, "direction-changing"),
        ("/meetups/new", meetup_form(title_en="Meet\u2066up"), Meetup, "direction-changing"),
        ("/meetups/new", meetup_form(join_url="https://cluster.mu/\u202eexe.gnp"), Meetup, "direction-changing"),
        ("/meetups/new", meetup_form(title_ja="二行\n目"), Meetup, "one line"),
        ("/forums/admin/categories/new", category_form(position=str(10**20)), ForumCategory, "between -1000 and 1000"),
        ("/forums/admin/categories/new", category_form(position="-1e9"), ForumCategory, "whole number"),
    ],
)
def test_out_of_range_and_invisible_values_are_refused_with_a_message(site: Site, path: str, form: dict[str, str], model: type, words: str) -> None:
    before = count(site.app, model)
    response = site.post(path, form)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert words in response.get_data(as_text=True)
    assert count(site.app, model) == before


def test_a_thread_moved_to_a_category_past_the_integer_range_is_a_400(site: Site) -> None:
    for target in (str(10**12), str(2**31), "-5", "1e3"):
        response = site.post(f"/forums/t/{site.forum.town_thread_id}/move", {"category_id": target})
        assert response.status_code in (400, 422), (target, response.get_data(as_text=True)[:300])
    with site.app.app_context():
        from community.forums.models import ForumThread

        thread = db.session.get(ForumThread, site.forum.town_thread_id)
        assert thread is not None and thread.category_id == site.forum.town_category_id


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31", "since=2026-02-30", "page=100000000000000000000"])
def test_audit_filters_outside_the_calendar_are_explained(site: Site, query: str) -> None:
    response = site.client.get(f"/staff/audit?{query}", headers=EN)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    assert "Choose a date between" in text or "is not a date" in text or "between 1 and" in text
    csv = site.client.get(f"/staff/audit.csv?{query}")
    assert csv.status_code < 500


CHECK_IN_BODIES = [
    ([1], "JSON object"),
    ("x", "JSON object"),
    (None, "JSON object"),
    ({"kioskCode": "0x00", "issuedAt": 1, "signature": "0x00", "extra": 1}, "not part of this request"),
    ({"kioskCode": "0x00", "signature": "0x00"}, "is missing"),
    ({"kioskCode": "0x00", "issuedAt": "1", "signature": "0x00"}, "whole number"),
    ({"kioskCode": "0x00", "issuedAt": True, "signature": "0x00"}, "whole number"),
    ({"kioskCode": "0x00", "issuedAt": 1.5, "signature": "0x00"}, "whole number"),
    ({"kioskCode": "0x00", "issuedAt": 10**15, "signature": "0x00"}, "whole number"),
    ({"kioskCode": "0x00", "issuedAt": -1, "signature": "0x00"}, "whole number"),
    ({"kioskCode": ["0x00"], "issuedAt": 1, "signature": "0x00"}, "must be text"),
    ({"kioskCode": "0x00\x00", "issuedAt": 1, "signature": "0x00"}, "control characters"),
    ({"kioskCode": "0x00", "issuedAt": 1, "signature": "0x" + "ab" * 5000}, "at most"),
]


@pytest.mark.parametrize(("body", "words"), CHECK_IN_BODIES)
def test_check_in_bodies_of_the_wrong_shape_are_a_400_bad_request(site: Site, body: Any, words: str) -> None:
    response = site.post_json(f"/events/{site.event_id}/check-in", body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert answer["error"] == "bad_request" and words in answer["message"]


def test_issued_at_1e400_is_a_400(site: Site) -> None:
    # JSON's 1e400 is a float (infinity) to Python's parser: never a whole number of seconds.
    raw = '{"kioskCode": "0x00", "issuedAt": 1e400, "signature": "0x00"}'
    response = site.client.post(f"/events/{site.event_id}/check-in", data=raw, content_type="application/json", headers={**EN, "X-CSRFToken": site.token()})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("size", [0, 1, 64, 66, 130, 4096])
def test_check_in_signatures_that_are_not_65_bytes_are_refused_with_a_message(site: Site, size: int) -> None:
    body = {"kioskCode": "0x" + "00" * 32, "issuedAt": int(utcnow().timestamp()), "signature": "0x" + "11" * size}
    response = site.post_json(f"/events/{site.event_id}/check-in", body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.get_json()["message"]


# -- the rules themselves ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "ok"), [("12", True), (" 7 ", True), ("-3", False), (str(2**31), False), ("1e3", False), ("١٢", False), ("", False), ("9" * 5000, False)])
def test_parse_int_takes_ascii_digits_within_bounds_only(raw: str, ok: bool) -> None:
    if ok:
        assert parse_int(raw, field="n") == int(raw)
    else:
        with pytest.raises(InvalidInput):
            parse_int(raw, field="n")


@pytest.mark.parametrize("raw", ["NaN", "nan", "Infinity", "-inf", "sNaN", "1e400", "1E3", "0x10", "", "1.2.3"])
def test_parse_decimal_refuses_everything_but_plain_finite_numbers(raw: str) -> None:
    with pytest.raises(InvalidInput):
        parse_decimal(raw, field="x", minimum=Decimal(-90), maximum=Decimal(90))
    assert parse_decimal("-12.5", field="x", minimum=Decimal(-90), maximum=Decimal(90)) == Decimal("-12.5")


@pytest.mark.parametrize(
    ("text", "single", "multi"),
    [("plain 日本語 text", None, None), ("a\x00b", "control", "control"), ("a\x7fb", "control", "control"), ("two\nlines", "one line", None), ("tab\there", "one line", None),
     ("evil\u202e", "direction", None), ("zero\u200bwidth", "direction", None), ("👨\u200d👩\u200d👧 family", None, None)],
)
def test_text_rules(text: str, single: str | None, multi: str | None) -> None:
    for single_line, expected in ((True, single), (False, multi)):
        problem = text_problem(text, single_line=single_line)
        assert (problem is None) == (expected is None), (text, single_line, problem)
        if expected is not None:
            assert expected in str(problem).lower()


def test_json_depth_is_counted_without_recursion() -> None:
    assert json_body_problem(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is None
    assert json_body_problem(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)) is not None
    assert json_body_problem(b'{"a": "' + b"[" * 10_000 + b'"}') is None, "brackets inside strings are text"
    assert json_body_problem(b'{"a": "\\"' + b"[" * 10_000 + b'"}') is None, "escaped quotes do not end a string"
    assert json_body_problem(b"[" * 20_000) is not None
    assert json_body_problem(b" " * (64 * 1024 + 1)) is not None


# -- the structural rule ------------------------------------------------------------------------------


def every_form() -> list[type[FlaskForm]]:
    for package in ("app", "community", "minting"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if module.name.endswith(".forms"):
                importlib.import_module(module.name)
    found: list[type[FlaskForm]] = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith(("app.", "community.", "minting.")):
            found.append(form)
    return sorted(found, key=lambda form: f"{form.__module__}.{form.__qualname__}")


FORMS = every_form()


def field_problem(field: Field) -> str | None:
    validators = field.validators or []
    if isinstance(field, IntegerField):
        return None if isinstance(field, BoundedIntegerField) else "an integer field that is not app.inputs.BoundedIntegerField"
    if isinstance(field, DecimalField):
        return None if isinstance(field, FiniteDecimalField) else "a decimal field that is not app.inputs.FiniteDecimalField"
    if isinstance(field, TimeField):  # a time of day: every value it parses is in range
        return None
    if isinstance(field, DateTimeField | DateField):
        return None if isinstance(field, BoundedDateField | BoundedDateTimeLocalField) else "a date field that is not bounded (app.inputs.BoundedDateField…)"
    if isinstance(field, StringField):
        if any(isinstance(v, SingleLine | PlainText | AnyOf) for v in validators):
            return None
        return "a text field without app.inputs.SingleLine or PlainText"
    return None


def test_the_forms_were_found() -> None:
    names = {form.__name__ for form in FORMS}
    assert {"ProfileForm", "EventForm", "MeetupForm", "ThreadForm", "CategoryForm"} <= names, names


@pytest.mark.parametrize("form_class", FORMS, ids=[form.__name__ for form in FORMS])
def test_every_form_field_goes_through_the_input_layer(app: Flask, form_class: type[FlaskForm]) -> None:
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        problems = [f"{name}: {problem}" for name, field in form._fields.items() if (problem := field_problem(field))]
    assert not problems, f"{form_class.__name__} has {problems}"


def test_every_json_endpoint_declares_its_shape(app: Flask) -> None:
    """A view that reads JSON must say what it accepts (app.inputs.json_body): found by reading the
    sources of every view for get_json / request.json, so a new endpoint cannot slip past."""
    import inspect

    undeclared = []
    for endpoint, view in app.view_functions.items():
        source = inspect.getsource(inspect.unwrap(view)) if hasattr(view, "__wrapped__") or inspect.isfunction(view) else ""
        if ("get_json(" in source or "request.json" in source) and getattr(view, "json_shape", None) is None:
            undeclared.append(endpoint)
    assert not undeclared, f"JSON endpoints without a declared shape: {undeclared}"
    declared = sorted(endpoint for endpoint, view in app.view_functions.items() if getattr(view, "json_shape", None) is not None)
    assert {"auth.sign_in_message", "auth.sign_in_post", "exchange.check_in_submit"} <= set(declared), declared
