"""Hostile input: whatever arrives, the site answers 4xx (or succeeds), never 500.

Property-based (hypothesis): every JSON endpoint found in the URL map (views declared with
app.inputs.json_body, so endpoints that land later are fuzzed too) gets arbitrary JSON, JSON of
its own shape with wrong values, bytes and headers; every form route (POST rules) gets arbitrary
fields, as anonymous visitors and as an admin who holds a card, with and without a valid CSRF
token. Then: oversize bodies are refused with 413 before the body is read, and rate limits hold
under a burst from one address.

Deterministic: every test runs from a fixed seed, and failing examples are kept in the example
database under build/hypothesis (not in a temporary folder), so a failure seen once — under load
in the reliability suite, say — is replayed first on the next run until it is fixed. Runs on
PostgreSQL as well as SQLite when TEST_DATABASE_URL is set (the `app` fixture's databases).
"""

from __future__ import annotations

import io
import itertools
from collections import Counter
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from app.auth.models import Account
from app.extensions import db, limiter
from app.inputs import JsonInteger, JsonText
from tests.conftest import session_for
from tests.unit.conftest_forums import Forum, forum  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
#: Kept across runs (build/ is ignored by git, and not under /tmp): failing examples replay first.
EXAMPLES = DirectoryBasedExampleDatabase(ROOT / "build" / "hypothesis")
#: One seed for every fuzz test: the same examples on every run and every machine.
SEED = 20261201
FUZZ = settings(max_examples=40, deadline=None, database=EXAMPLES, print_blob=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORM_FUZZ = settings(FUZZ, max_examples=25)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIELD = re.compile(r'<(?:input|textarea|select|button)\b[^>]*\bname="([^"]+)"')
#: Rules not to fuzz: none today. A rule that must be skipped goes here with the reason.
SKIPPED_RULES: dict[str, str] = {}
#: Field names forms use across the site, for POST-only routes that have no page to read them from.
COMMON_FIELDS = ("csrf_token", "body", "title", "reason", "locale", "next", "status", "signature", "code", "payload", "outcome", "note", "category_id", "display_name", "profile_public")

#: The largest id a database column holds (BIGINT); larger ones are tested separately.
BIGGEST_ID = 2**63 - 1

_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), range(250), range(1, 250)))


def fresh_address() -> str:
    """A client address no rate limit has seen, so fuzzing tests the handlers, not the limiter."""
    return next(_addresses)


# -- text that has hurt web apps ---------------------------------------------------------------

nasty_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "null",
            "-1",
            "99999999999999999999999999",
            "1e309",
            "NaN",
            "0x" + "f" * 40,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "\u202e\u0645",
            "𠮷野家🍜",
            "a" * 70_000,
            "\r\nSet-Cookie: x=1",
            "javascript:alert(1)",
            "//evil.example/",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=shift_jis", "", "application/xml", "*/*"])


# -- the stage: a signed-in admin who holds a card, a forum, a meetup, an exchange event ------------


@dataclass
class Stage:
    app: Flask
    admin: Account
    forum: Forum
    meetup_id: int | None
    event_id: int | None

    def ids(self) -> list[int]:
        known = [self.forum.members_thread_id, self.forum.members_post_id, self.forum.town_thread_id, self.forum.members_category_id, self.meetup_id, self.event_id]
        return [value for value in known if value is not None]

    def client(self, signed_in: bool) -> FlaskClient:
        client = self.app.test_client()
        if signed_in:
            values = session_for(self.app, self.admin.id)
            with client.session_transaction() as session:
                session.update(values)
        return client


def _seed_meetup(app: Flask, organizer: Account) -> int | None:
    try:
        from tests.unit.conftest_meetups import draft
        from community.meetups.service import create_meetup
    except ImportError:  # meetups not landed
        return None
    with app.app_context():
        meetup = create_meetup(db.session.get(Account, organizer.id), draft())
        db.session.commit()
        return int(meetup.id)


def _seed_event(app: Flask, organizer: Account) -> int | None:
    try:
        from tests.unit.conftest_exchange import STARTS, draft
        from community.exchange.service import create_event
    except ImportError:  # exchange events not landed
        return None
    with app.app_context():
        event = create_event(db.session.get(Account, organizer.id), draft(capacity=50), now=STARTS - timedelta(days=30))
        db.session.commit()
        return int(event.id)


@pytest.fixture
def stage(app: Flask, forum: Forum, give_card) -> Iterator[Stage]:  # type: ignore[no-untyped-def]  # noqa: F811
    give_card(forum.admin.address, 9002)
    with app.app_context():
        limiter.reset()
    yield Stage(app, forum.admin, forum, _seed_meetup(app, forum.admin), _seed_event(app, forum.admin))
    with app.app_context():
        limiter.reset()


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/", environ_base={"REMOTE_ADDR": fresh_address()}).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, "the home page has no CSRF token (the language switch form)"
    return match.group(1)


# -- every JSON endpoint ---------------------------------------------------------------------------


def _json_endpoints() -> dict[str, tuple[str, dict[str, Any]]]:
    """endpoint -> (URL rule, declared shape) for every view declared with json_body (read at
    collection time from the site as it is now, so endpoints added later join in)."""
    from tests.conftest import make_config
    from app import create_app

    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        site = create_app(make_config(Path(folder), f"sqlite:///{folder}/rules.sqlite3", 9))
        found = {}
        for rule in site.url_map.iter_rules():
            shape = getattr(site.view_functions[rule.endpoint], "json_shape", None)
            if shape is not None:
                found[rule.endpoint] = (rule.rule, dict(shape))
        return found


JSON_ENDPOINTS = _json_endpoints()


def json_url(stage: Stage, endpoint: str) -> str:
    rule, _ = JSON_ENDPOINTS[endpoint]
    return rule.replace("<int:event_id>", str(stage.event_id or 1))


def member_values(spec: Any) -> st.SearchStrategy[Any]:
    """Values for one declared member: of its type but wrong (too long, out of range) or of another type."""
    wrong_type = st.none() | st.booleans() | st.floats() | st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
    if isinstance(spec, JsonInteger):
        return st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([spec.minimum, spec.maximum, spec.maximum + 1, -1]) | wrong_type | nasty_text
    assert isinstance(spec, JsonText)
    plausible = st.sampled_from(["0x" + "ab" * 20, "0x" + "ab" * 32, "0x" + "ab" * 65, "0x" + "ab" * 4097])
    at_the_bound = st.integers(0, 2).map(lambda extra: "a" * (spec.max_length + extra))
    return nasty_text | plausible | at_the_bound | wrong_type


def shaped_bodies(shape: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    members = st.fixed_dictionaries({}, optional={name: member_values(spec) for name, spec in shape.items()})
    extras = st.dictionaries(st.text(max_size=10), json_values, max_size=2)
    return st.builds(lambda known, unknown: {**unknown, **known}, members, extras)


def assert_json_refusal(endpoint: str, response: Any) -> None:
    assert response.status_code < 500, f"{endpoint}: {response.get_data(as_text=True)[:500]}"
    assert response.is_json, f"{endpoint}: scripts read JSON, also on refusals"
    if response.status_code >= 400:
        body = response.get_json()
        assert body.get("error") and body.get("message"), f"{endpoint}: a refusal without a code and a message: {body}"


def test_the_fuzz_is_seeded_and_keeps_its_examples() -> None:
    # @seed() clears the example database unless the settings are applied over it (outermost).
    fuzz = test_sign_in_survives_wrong_fields_of_the_right_shape
    assert fuzz._hypothesis_internal_use_seed == SEED  # type: ignore[attr-defined]
    assert fuzz._hypothesis_internal_use_settings.database is EXAMPLES  # type: ignore[attr-defined]
    assert "tmp" not in str(EXAMPLES.path).split("/")[:3], "the example database must outlive the run"


def test_the_json_endpoints_were_found() -> None:
    assert {"auth.sign_in_message", "auth.sign_in_post", "exchange.check_in_submit"} <= set(JSON_ENDPOINTS), sorted(JSON_ENDPOINTS)


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
def test_json_endpoints_survive_any_json(stage: Stage, endpoint: str) -> None:
    @FUZZ
    @seed(SEED)
    @given(body=json_values, with_csrf=st.booleans(), signed_in=st.booleans())
    def fuzz(body: Any, with_csrf: bool, signed_in: bool) -> None:
        client = stage.client(signed_in=signed_in)
        headers = {"X-CSRFToken": csrf_token(client)} if with_csrf else {}
        assert_json_refusal(endpoint, client.post(json_url(stage, endpoint), json=body, headers=headers, environ_base={"REMOTE_ADDR": fresh_address()}))

    fuzz()


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
def test_json_endpoints_survive_their_own_shape_with_wrong_values(stage: Stage, endpoint: str) -> None:
    outcomes: list[str] = []

    @FUZZ
    @seed(SEED)
    @given(body=shaped_bodies(JSON_ENDPOINTS[endpoint][1]))
    def fuzz(body: dict[str, Any]) -> None:
        client = stage.client(signed_in=True)
        response = client.post(json_url(stage, endpoint), json=body, headers={"X-CSRFToken": csrf_token(client)}, environ_base={"REMOTE_ADDR": fresh_address()})
        assert_json_refusal(endpoint, response)
        outcomes.append(str((response.get_json() or {}).get("error") or response.status_code))

    fuzz()
    assert set(outcomes) - {"bad_request"}, f"{endpoint}: nothing got past the input layer, so the view itself was never fuzzed ({sorted(Counter(outcomes).items())})"


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
def test_json_endpoints_survive_any_bytes_and_headers(stage: Stage, endpoint: str) -> None:
    @FUZZ
    @seed(SEED)
    @given(
        body=st.binary(max_size=2000) | st.sampled_from([100_000, 30_000]).map(lambda depth: b"[" * depth + b"]" * depth),
        content_type=content_types,
        headers=st.dictionaries(st.sampled_from(["Accept", "Accept-Language", "X-Forwarded-For", "Origin", "Referer", "Cookie", "X-Request-ID", "Content-Encoding"]), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300), max_size=4),
    )
    def fuzz(body: bytes, content_type: str, headers: dict[str, str]) -> None:
        client = stage.client(signed_in=True)
        sent = {**headers, "X-CSRFToken": csrf_token(client)}
        response = client.post(json_url(stage, endpoint), data=body, content_type=content_type, headers=sent, environ_base={"REMOTE_ADDR": fresh_address()})
        assert response.status_code < 500, response.get_data(as_text=True)[:500]

    fuzz()


SIGN_IN_PATHS = ("/sign-in/message", "/sign-in")


@FUZZ
@seed(SEED)
@given(
    path=st.sampled_from(SIGN_IN_PATHS),
    address=nasty_text,
    message=nasty_text,
    signature=st.one_of(nasty_text, st.binary(max_size=80).map(lambda raw: "0x" + raw.hex())),
)
def test_sign_in_survives_wrong_fields_of_the_right_shape(stage: Stage, path: str, address: str, message: str, signature: str) -> None:
    client = stage.client(signed_in=False)
    body = {"address": address} if path.endswith("message") else {"message": message, "signature": signature, "next": address}
    response = client.post(path, json=body, headers={"X-CSRFToken": csrf_token(client)}, environ_base={"REMOTE_ADDR": fresh_address()})
    assert response.status_code in (200, 400, 401), response.get_data(as_text=True)[:500]


# -- every form --------------------------------------------------------------------------------------


def post_rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set()) and rule.endpoint not in SKIPPED_RULES]
    return sorted(rules, key=lambda rule: rule.rule)


def _form_rule_ids() -> list[str]:
    """The POST rules of the site as it is now (read at collection time, so new forms join in)."""
    from tests.conftest import make_config
    from app import create_app

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_config(Path(folder), f"sqlite:///{folder}/rules.sqlite3", 9))
        return [rule.endpoint for rule in post_rules(app)]


FORM_ENDPOINTS = _form_rule_ids()


def argument_values(rule: Rule, stage: Stage) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the rule's URL arguments: ids that exist, ids that do not, absurd ids."""
    arguments: dict[str, st.SearchStrategy[Any]] = {}
    for name, converter in rule._converters.items():  # werkzeug keeps them by argument name
        if isinstance(converter, IntegerConverter):
            # Ids past the 64-bit range have a test of their own (test_absurd_numbers_…).
            arguments[name] = st.one_of(st.sampled_from(stage.ids()), st.integers(min_value=0, max_value=BIGGEST_ID))
        elif isinstance(converter, AnyConverter):
            arguments[name] = st.sampled_from(sorted(converter.items))  # type: ignore[attr-defined]
        elif name == "slug":
            arguments[name] = st.one_of(st.sampled_from([stage.forum.members_slug, stage.forum.town_slug]), st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=40))
        else:
            arguments[name] = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=40)
    return st.fixed_dictionaries(arguments)


def form_fields(client: FlaskClient, url: str, rule: Rule) -> list[str]:
    """The field names of the form behind `url` (read from its page when it has one)."""
    names = set(COMMON_FIELDS)
    if "GET" in (rule.methods or set()):
        page = client.get(url, environ_base={"REMOTE_ADDR": fresh_address()})
        if page.status_code == 200:
            names |= set(FIELD.findall(page.get_data(as_text=True)))
    return sorted(names)


@pytest.mark.parametrize("endpoint", FORM_ENDPOINTS)
def test_every_form_survives_any_fields(stage: Stage, endpoint: str) -> None:
    [rule] = [rule for rule in stage.app.url_map.iter_rules() if rule.endpoint == endpoint]
    statuses: list[int] = []

    @FORM_FUZZ
    @seed(SEED)
    @given(data=st.data(), signed_in=st.booleans(), valid_csrf=st.integers(0, 9))
    def fuzz(data: st.DataObject, signed_in: bool, valid_csrf: int) -> None:
        client = stage.client(signed_in)
        with stage.app.test_request_context():
            url = stage.app.url_for(endpoint, **data.draw(argument_values(rule, stage), label="url arguments"))
        names = form_fields(client, url, rule)
        fields = data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=12), nasty_text | st.lists(nasty_text, max_size=3), max_size=8), label="fields")
        if valid_csrf:  # mostly with a good token, so the fuzz reaches the view
            fields["csrf_token"] = csrf_token(client)
        response = client.post(url, data=fields, environ_base={"REMOTE_ADDR": fresh_address()})
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{endpoint} {url} {fields!r:.500}: {response.get_data(as_text=True)[:500]}"

    fuzz()
    assert len(statuses) >= 10, "hypothesis sent too few requests to mean anything"
    # Most examples carry a valid CSRF token, so they must get past it to the view (the JSON
    # sign-in endpoints refuse form bodies with 400 by design; they are fuzzed with JSON above).
    if endpoint not in JSON_ENDPOINTS:
        assert set(statuses) - {400}, f"{endpoint}: every request was refused before the view ({sorted(Counter(statuses).items())})"


ADDRESSES_WITH_NUMBERS = ["/forums/t/{n}", "/forums/p/{n}", "/forums/t/{n}/reply", "/meetups/{n}", "/events/{n}", "/residents/{n}", "/forums/c/town?before={n}"]
QUERIES_WITH_NUMBERS = ["/forums/search?q={n}", "/forums?page={n}"]


@pytest.mark.parametrize("path", ADDRESSES_WITH_NUMBERS + QUERIES_WITH_NUMBERS)
@pytest.mark.parametrize("number", [0, 2**31, BIGGEST_ID])
def test_large_numbers_in_addresses_are_not_found(stage: Stage, path: str, number: int) -> None:
    response = stage.client(signed_in=True).get(path.format(n=number))
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path", ADDRESSES_WITH_NUMBERS + QUERIES_WITH_NUMBERS)
@pytest.mark.parametrize("number", [2**63, 10**30])
def test_numbers_past_64_bits_in_addresses_are_not_found(stage: Stage, path: str, number: int) -> None:
    # No column holds them: SQLite's driver raises OverflowError binding one, so they must stop
    # at the URL converter or the query parser with a 404 (or be ignored), never reach a query.
    response = stage.client(signed_in=True).get(path.format(n=number))
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if path in ADDRESSES_WITH_NUMBERS and "?" not in path:
        assert response.status_code == 404


def test_fuzzing_reaches_the_views(stage: Stage) -> None:
    """The fuzz is worth something only if valid input gets through: a language switch and a
    settings change succeed with the same client and token handling the fuzz uses."""
    client = stage.client(signed_in=True)
    switched = client.post("/language", data={"locale": "en", "next": "/forums", "csrf_token": csrf_token(client)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/forums"
    saved = client.post("/me", data={"display_name": "山田 花子", "locale": "ja", "csrf_token": csrf_token(client)})
    assert saved.status_code == 302
    with stage.app.app_context():
        assert db.session.get(Account, stage.admin.id).display_name == "山田 花子"  # type: ignore[union-attr]


# -- oversize bodies -----------------------------------------------------------------------------

TOO_LARGE = 3 * 1024 * 1024  # MAX_CONTENT_LENGTH is 2 MiB


class CountingStream(io.RawIOBase):
    """A request body that counts what the app reads from it (and has nothing to give)."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), 64 * 1024)
        buffer[:size] = b"a" * size
        self.read_bytes += size
        return size


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/sign-in/message", "application/json"), ("/sign-in", "application/json"), ("/language", "application/x-www-form-urlencoded"), ("/me", "multipart/form-data; boundary=x"), ("/forums/t/1/reply", "application/x-www-form-urlencoded")],
)
def test_oversize_bodies_are_refused_before_they_are_read(stage: Stage, path: str, content_type: str) -> None:
    client = stage.client(signed_in=True)
    body = CountingStream()
    response = client.post(
        path,
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(TOO_LARGE), "CONTENT_TYPE": content_type, "REMOTE_ADDR": fresh_address()},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0, f"the app read {body.read_bytes} bytes of a body it had to refuse"


def test_oversize_body_without_length_is_cut_off(stage: Stage) -> None:
    """A chunked body (no Content-Length) is read only up to the 2 MiB limit, never further.

    Werkzeug cannot know a chunked body is too long before reading it, so it stops at the limit
    and the request goes on with what was read (here: refused for its missing CSRF token)."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    body = CountingStream()
    environ = EnvironBuilder(path="/language", method="POST", content_type="application/x-www-form-urlencoded").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked", "REMOTE_ADDR": fresh_address()})
    _, status, _ = run_wsgi_app(stage.app.wsgi_app, environ, buffered=True)
    assert status[:3] in {"400", "413"}
    assert body.read_bytes <= 2 * 1024 * 1024 + 128 * 1024


def test_oversize_json_gets_a_json_refusal(stage: Stage) -> None:
    client = stage.client(signed_in=False)
    response = client.post("/sign-in/message", data=json.dumps({"address": "a" * TOO_LARGE}), content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


# -- bursts from one address -------------------------------------------------------------------------


def burst(send: Callable[[], int], count: int) -> list[int]:
    return [send() for _ in range(count)]


def test_sign_in_message_limit_holds_under_a_burst(stage: Stage) -> None:
    client = stage.client(signed_in=False)
    token, here = csrf_token(client), fresh_address()
    statuses = burst(lambda: client.post("/sign-in/message", json={"address": "0x" + "ab" * 20}, headers={"X-CSRFToken": token}, environ_base={"REMOTE_ADDR": here}).status_code, 35)
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429] * 15
    elsewhere = client.post("/sign-in/message", json={"address": "0x" + "ab" * 20}, headers={"X-CSRFToken": token}, environ_base={"REMOTE_ADDR": fresh_address()})
    assert elsewhere.status_code == 200, "another address is not held back by this one"


def test_sign_in_limit_holds_under_a_burst(stage: Stage) -> None:
    client = stage.client(signed_in=False)
    token, here = csrf_token(client), fresh_address()
    statuses = burst(lambda: client.post("/sign-in", json={"message": "x", "signature": "0x00"}, headers={"X-CSRFToken": token}, environ_base={"REMOTE_ADDR": here}).status_code, 25)
    assert all(status == 400 for status in statuses[:10]), statuses
    assert statuses[10:] == [429] * 15


def test_settings_limit_holds_under_a_burst(stage: Stage) -> None:
    client = stage.client(signed_in=True)
    token, here = csrf_token(client), fresh_address()
    statuses = burst(lambda: client.post("/me", data={"display_name": "x", "locale": "ja", "csrf_token": token}, environ_base={"REMOTE_ADDR": here}).status_code, 30)
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429] * 10


def test_posting_limit_holds_and_counts_only_what_was_accepted(stage: Stage) -> None:
    from community.forums.models import ForumPost

    client = stage.client(signed_in=True)
    token, thread = csrf_token(client), stage.forum.town_thread_id
    with stage.app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost))
    statuses = burst(lambda: client.post(f"/forums/t/{thread}/reply", data={"body": "返信です", "csrf_token": token}, environ_base={"REMOTE_ADDR": fresh_address()}).status_code, 16)
    accepted = statuses.count(302)
    assert statuses[:accepted] == [302] * accepted and accepted == 10, statuses
    assert statuses[accepted:] == [429] * (16 - accepted)
    with stage.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost)) == before + accepted
