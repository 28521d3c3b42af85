"""The staff dashboard: figures against a seeded database, health checks that never hang the
page, charts with text alternatives, and who may open every staff route."""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import Account
from app.chain.anvil import AnvilProcess, free_port
from app.chain.models import Holding, IndexerCheckpoint
from app.extensions import db
from app.staff import audit as audit_log
from app.staff import service
from app.staff.charts import ChartValue, bar_chart, column_chart, line_chart
from community.gating.errors import AccessDenied, NotSignedIn
from tests.conftest import new_address

#: "Now" for the seeded figures: 15 December 2026, 12:00 in Tokyo.
NOW = datetime(2026, 12, 15, 3, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# -- seeding ---------------------------------------------------------------------------------------


def hold(address: str, number: int, minted_at: datetime) -> None:
    db.session.add(Holding(resident_number=number, holder=address, locked=True, minted_block=number, minted_at=minted_at, acquired_block=number))


def account(address: str | None = None) -> Account:
    person = Account(address=address or new_address())
    db.session.add(person)
    db.session.flush()
    return person


def seed_cards() -> None:
    """Seven cards: three in December 2026 (Tokyo), one in November, two in October, one in 2025."""
    hold(new_address(), 1, datetime(2025, 6, 1, tzinfo=UTC))  # before the chart's 12 months
    hold(new_address(), 2, datetime(2026, 10, 3, tzinfo=UTC))
    hold(new_address(), 3, datetime(2026, 10, 20, tzinfo=UTC))
    hold(new_address(), 4, datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # 30 Nov 23:00 in Tokyo
    hold(new_address(), 5, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 1 Dec 01:00 in Tokyo
    hold(new_address(), 6, datetime(2026, 12, 10, tzinfo=UTC))
    hold(new_address(), 7, datetime(2026, 12, 14, tzinfo=UTC))


def seed_community() -> dict[str, int]:
    """Residents A-E and a visitor F acting in the forums, meetups and exchange events.

    Active within 30 days: A (posted), B (RSVPed going), C (checked in), D (registered),
    G (waitlisted for a meetup) = 5. Not active: E (posted 40 days ago, answered "not going"),
    F (posted, but holds no card), H (checked in 45 days ago, registered 60 days ago).
    """
    from community.exchange.models import REGISTERED, SCHEDULED, WITHDRAWN, CheckIn, ExchangeEvent, Registration
    from community.exchange.models import CANCELLED as EVENT_CANCELLED
    from community.exchange.models import WAITLISTED as EVENT_WAITLISTED
    from community.forums.models import ForumCategory, ForumPost, ForumThread
    from community.meetups.models import GOING, NOT_GOING, WAITLISTED, Meetup, Rsvp

    people = {name: account() for name in "ABCDEFGH"}
    for number, name in enumerate("ABCDEGH", start=101):
        hold(people[name].address, number, days_ago(200))

    category = ForumCategory(slug="town", name_ja="町", name_en="Town")
    db.session.add(category)
    db.session.flush()
    thread = ForumThread(category_id=category.id, author_id=people["A"].id, title="Hello")
    db.session.add(thread)
    db.session.flush()
    for name, when in (("A", days_ago(5)), ("E", days_ago(40)), ("F", days_ago(1))):
        db.session.add(ForumPost(thread_id=thread.id, author_id=people[name].id, body_source="hi", body_html="<p>hi</p>", created_at=when))

    def meetup(title: str, starts_in_days: float, **extra: object) -> Meetup:
        starts = NOW + timedelta(days=starts_in_days)
        item = Meetup(
            title_ja=f"{title}（ja）", title_en=title, starts_at=starts, ends_at=starts + timedelta(hours=1), platform="cluster",
            join_url="https://cluster.example/room", capacity=10, rsvp_deadline=starts - timedelta(hours=1), **extra,
        )
        db.session.add(item)
        db.session.flush()
        return item

    soon = meetup("Soon", 3)
    meetup("Called off", 5, cancelled_at=days_ago(1))
    meetup("Over", -3)
    for name, status, when in (("B", GOING, days_ago(10)), ("A", GOING, days_ago(2)), ("G", WAITLISTED, days_ago(1)), ("E", NOT_GOING, days_ago(1))):
        db.session.add(Rsvp(meetup_id=soon.id, account_id=people[name].id, status=status, responded_at=when))

    def event(title: str, starts_in_days: float, status: str = SCHEDULED) -> ExchangeEvent:
        starts = NOW + timedelta(days=starts_in_days)
        item = ExchangeEvent(
            title_ja=f"{title}（ja）", title_en=title, starts_at=starts, ends_at=starts + timedelta(hours=2),
            registration_deadline=starts - timedelta(hours=1), place_name="Nishikawa town hall", place_address="Yamagata",
            latitude=Decimal("38.4"), longitude=Decimal("140.1"), capacity=20, status=status,
        )
        db.session.add(item)
        db.session.flush()
        return item

    upcoming = event("Hot spring meetup", 7)
    event("Rained out", 9, EVENT_CANCELLED)
    held = event("Autumn gathering", -2)
    for name, status in (("D", REGISTERED), ("G", REGISTERED), ("H", REGISTERED), ("E", EVENT_WAITLISTED)):
        db.session.add(Registration(event_id=upcoming.id, account_id=people[name].id, status=status, queued_at=days_ago(3) if name == "D" else days_ago(60)))
    db.session.add(Registration(event_id=upcoming.id, account_id=people["F"].id, status=WITHDRAWN, queued_at=days_ago(1)))
    for name in ("C", "H"):
        db.session.add(Registration(event_id=held.id, account_id=people[name].id, status=REGISTERED, queued_at=days_ago(90)))
    for name, when in (("C", days_ago(2)), ("H", days_ago(45))):
        db.session.add(CheckIn(event_id=held.id, address=people[name].address, resident_number=0, method="kiosk", evidence="0x", checked_in_at=when))
    db.session.flush()
    return {"soon": soon.id, "upcoming": upcoming.id, "held": held.id}


def seed_mint_job() -> int:
    from datetime import date

    from minting.models import MintJob, MintJobResident, Step

    job = MintJob(key="k" * 64, kind="csv", source="residents.csv", chain_id=31337, contract_address=new_address())
    for position, state in enumerate([Step.CONFIRMED, Step.CONFIRMED, Step.FAILED, Step.PENDING]):
        job.residents.append(
            MintJobResident(
                position=position, line=position + 2, address=new_address(), display_name="住民", issued_on=date(2026, 12, 1), batch="b",
                state=state, error="insufficient funds for gas" if state == Step.FAILED else None,
            )
        )
    db.session.add(job)
    db.session.flush()
    return job.id


@pytest.fixture
def organizer(app: Flask, create_account) -> Account:  # type: ignore[no-untyped-def]
    return create_account(roles=("organizer",))


@pytest.fixture
def offline_settings(app: Flask):  # type: ignore[no-untyped-def]
    """The app's settings with the chain pointed at a port nobody listens on."""
    settings = copy.copy(app.config["SETTINGS"])
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    return settings


def staff_account(account_id: int) -> Account:
    found = db.session.get(Account, account_id)
    assert found is not None
    return found


# -- figures ------------------------------------------------------------------------------------------


def test_residents_issued_counts_cards_by_month_in_tokyo(app_context: Flask) -> None:
    seed_cards()
    issued = service.residents_issued(NOW)
    assert issued.total == 7
    assert issued.this_month == 3, "the card minted at 01:00 on 1 December in Tokyo belongs to December"
    months = dict(issued.per_month)
    assert len(issued.per_month) == 12
    assert issued.per_month[-1][0].isoformat() == "2026-12-01"
    assert issued.per_month[0][0].isoformat() == "2026-01-01"
    assert (months[issued.per_month[-1][0]], months[issued.per_month[-2][0]], months[issued.per_month[-3][0]]) == (3, 1, 2)
    assert sum(months.values()) == 6, "the 2025 card is outside the chart's 12 months"


def test_dashboard_figures_from_a_seeded_database(app_context: Flask, organizer: Account, offline_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed_cards()
    ids = seed_community()
    job_id = seed_mint_job()
    figures = service.dashboard(staff_account(organizer.id), offline_settings, str(tmp_path), NOW)

    assert figures.residents_issued.total == 7 + 7
    assert figures.active_residents == 5
    assert [(m.id, m.title("en"), m.title("ja"), m.going, m.waitlisted, m.capacity) for m in figures.upcoming_meetups] == [
        (ids["soon"], "Soon", "Soon（ja）", 2, 1, 10)
    ]
    assert [(e.id, e.title("en"), e.registered, e.waitlisted, e.capacity) for e in figures.upcoming_events] == [(ids["upcoming"], "Hot spring meetup", 3, 1, 20)]
    assert [(e.id, e.registered, e.checked_in) for e in figures.recent_attendance] == [(ids["held"], 2, 2)]
    (job,) = figures.mint_jobs
    assert (job.id, job.total, job.confirmed, job.failed, job.open, job.finished_at) == (job_id, 4, 2, 1, 1, None)
    assert [(f.job_id, f.line, f.error) for f in figures.mint_failures] == [(job_id, 4, "insufficient funds for gas")]
    assert figures.missing_features == ()
    assert not figures.chain.reachable


def test_dashboard_page_shows_the_seeded_figures(client: FlaskClient, app: Flask, organizer: Account, sign_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app.config["SETTINGS"], "CHAIN_RPC_URL", f"http://127.0.0.1:{free_port()}")
    with app.app_context():
        seed_cards()
        db.session.commit()
    sign_in(client, organizer)
    page = client.get("/staff", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'data-figure="residents-total">\s*7\s*<', page)
    # This month is the real current month here; the seeded months are in the past or now.
    assert 'data-figure="residents-active">0<' in page
    assert "Unreachable" in page
    assert "Resident cards issued per month" in page
    # Every chart is a named image with a description, and a table of the same numbers.
    assert page.count('role="img"') == page.count("<svg") >= 2
    assert page.count("<desc id=") == page.count("<svg")
    assert page.count("<table>") >= 2


def test_features_without_tables_show_as_not_available(app_context: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = service.FeatureTables()
    monkeypatch.setattr(tables, "_tables", {name: table for name, table in tables._tables.items() if not name.startswith(("meetup", "exchange"))})
    assert service.upcoming_meetups(tables, NOW) is None
    assert service.upcoming_events(tables, NOW) is None
    assert service.recent_attendance(tables, NOW) is None
    assert service.active_residents(tables, NOW) == 0, "forum posts alone still count"
    assert service.mint_jobs(tables) == []


def test_indexer_lag_from_the_checkpoint(app_context: Flask) -> None:
    assert service.indexer_status(31337, None, NOW) is None
    db.session.add(IndexerCheckpoint(chain_id=31337, contract_address=new_address(), start_block=1, block_number=90, head_block=100, head_seen_at=NOW - timedelta(minutes=5), following=True, poll_seconds=1.0))
    db.session.flush()
    from_poll = service.indexer_status(31337, None, NOW)
    assert from_poll is not None
    assert (from_poll.lag, from_poll.lag_is_live, from_poll.heartbeat_late) == (10, False, True)
    live = service.indexer_status(31337, 125, NOW)
    assert live is not None and (live.lag, live.lag_is_live) == (35, True)


# -- health checks ------------------------------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers, like a hung node."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


class FakeKubo(BaseHTTPRequestHandler):
    """Answers `POST /api/v0/version` the way Kubo does; GET is refused, as Kubo's RPC API does."""

    def do_POST(self) -> None:  # noqa: N802
        body = json.dumps({"Version": "0.29.0", "Commit": "", "Repo": "15"}).encode() if self.path.startswith("/api/v0/version") else b"{}"
        self.send_response(200 if self.path.startswith("/api/v0/version") else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kubo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKubo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_chain_check_with_nobody_listening_is_quick() -> None:
    started = time.monotonic()
    health = service.check_chain(f"http://127.0.0.1:{free_port()}", 31337)
    assert not health.reachable and not health.healthy
    assert "ConnectError" in str(health.reason)
    assert time.monotonic() - started < 1.5


def test_chain_check_gives_up_on_a_hung_node(silent_port: int) -> None:
    started = time.monotonic()
    health = service.check_chain(f"http://127.0.0.1:{silent_port}", 31337)
    elapsed = time.monotonic() - started
    assert not health.reachable
    assert "no answer within 1 s" in str(health.reason)
    assert elapsed < service.HEALTH_TIMEOUT_SECONDS + 1.0, f"the check took {elapsed:.1f} s"


@pytest.mark.chain
def test_chain_check_against_anvil(anvil: AnvilProcess) -> None:
    health = service.check_chain(anvil.rpc_url, 31337)
    assert health.healthy and health.chain_id == 31337
    assert health.latest_block is not None and health.latest_block >= 0
    wrong = service.check_chain(anvil.rpc_url, 11155111)
    assert wrong.reachable and not wrong.chain_id_matches and not wrong.healthy
    assert wrong.chain_id == 31337


@pytest.mark.chain
def test_dashboard_measures_indexer_lag_against_the_chain(app_context: Flask, anvil: AnvilProcess, organizer: Account, tmp_path: Path) -> None:
    settings = copy.copy(app_context.config["SETTINGS"])
    settings.CHAIN_RPC_URL = anvil.rpc_url
    db.session.add(IndexerCheckpoint(chain_id=31337, contract_address=new_address(), start_block=0, block_number=0, head_block=0, following=False))
    db.session.flush()
    figures = service.dashboard(staff_account(organizer.id), settings, str(tmp_path), NOW)
    assert figures.chain.healthy
    assert figures.indexer is not None and figures.indexer.lag_is_live
    assert figures.indexer.lag == figures.chain.latest_block


def test_kubo_check_asks_the_daemon_for_its_version(kubo_url: str) -> None:
    health = service.check_kubo(kubo_url)
    assert (health.backend, health.reachable, health.detail) == ("kubo", True, "0.29.0")


def test_kubo_check_reports_a_missing_or_hung_daemon(silent_port: int) -> None:
    missing = service.check_kubo(f"http://127.0.0.1:{free_port()}")
    assert not missing.reachable and "ConnectError" in str(missing.reason)
    started = time.monotonic()
    hung = service.check_kubo(f"http://127.0.0.1:{silent_port}")
    assert not hung.reachable and "no answer within" in str(hung.reason)
    assert time.monotonic() - started < service.HEALTH_TIMEOUT_SECONDS + 1.0


def test_block_store_check(tmp_path: Path) -> None:
    assert service.check_block_store(tmp_path / "ipfs").reachable, "a missing folder under a writable instance folder is fine"
    (tmp_path / "ipfs").mkdir()
    assert service.check_block_store(tmp_path / "ipfs") == service.IpfsHealth("local", str(tmp_path / "ipfs"), True)
    (tmp_path / "file").write_text("x")
    assert not service.check_block_store(tmp_path / "file").reachable


def test_a_hung_chain_and_daemon_do_not_make_the_dashboard_slow(client: FlaskClient, app: Flask, organizer: Account, sign_in, silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "CHAIN_RPC_URL", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setattr(settings, "IPFS_BACKEND", "kubo")
    monkeypatch.setattr(settings, "IPFS_API_URL", f"http://127.0.0.1:{silent_port}")
    sign_in(client, organizer)
    started = time.monotonic()
    response = client.get("/staff", headers={"Accept-Language": "en"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 2.5, f"the dashboard took {elapsed:.1f} s with a hung node and daemon (checks run side by side)"
    page = response.get_data(as_text=True)
    assert page.count("Unreachable") == 2
    assert page.count("no answer within 1 s") == 2


# -- charts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [column_chart, bar_chart, line_chart])
def test_charts_are_named_described_and_escaped(draw) -> None:  # type: ignore[no-untyped-def]
    values = [ChartValue("<b>Jan</b>", 3, "3"), ChartValue("Feb", 0, "0"), ChartValue("Mar", 12, "12")]
    svg = str(draw("chart-x", "Cards & more", "Highest: Mar with 12.", values))
    assert svg.startswith('<svg class="chart" id="chart-x" role="img"')
    assert 'aria-labelledby="chart-x-title chart-x-desc"' in svg
    assert '<title id="chart-x-title">Cards &amp; more</title>' in svg
    assert '<desc id="chart-x-desc">Highest: Mar with 12.</desc>' in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg or draw is line_chart
    assert "style=" not in svg, "inline styles are blocked by the Content-Security-Policy"


def test_column_heights_are_proportional() -> None:
    svg = str(column_chart("c", "t", "d", [ChartValue("a", 5, "5"), ChartValue("b", 10, "10"), ChartValue("c", 0, "0")]))
    heights = [float(h) for h in re.findall(r'<rect class="chart-bar"[^>]* height="([\d.]+)"', svg)]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0


def test_charts_of_nothing_still_draw() -> None:
    for draw in (column_chart, bar_chart, line_chart):
        assert "<svg" in str(draw("c", "t", "d", []))


# -- authorization ------------------------------------------------------------------------------------

#: Every staff route, with the URL to request. A staff endpoint missing here fails the test below.
STAFF_ROUTES = {
    "staff.dashboard": "/staff",
    "staff.audit": "/staff/audit",
    "staff.audit_csv": "/staff/audit.csv",
}
#: Who asks, and what they get.
AUDIENCE = [
    ("anonymous", None, 302),
    ("visitor", (), 403),
    ("resident", "card", 403),
    ("moderator", ("moderator",), 403),
    ("organizer", ("organizer",), 200),
    ("admin", ("admin",), 200),
]


def test_every_staff_route_is_in_the_authorization_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")}
    assert endpoints == set(STAFF_ROUTES), f"add the new staff routes to STAFF_ROUTES: {sorted(endpoints - set(STAFF_ROUTES))}"


@pytest.mark.parametrize("endpoint", sorted(STAFF_ROUTES))
@pytest.mark.parametrize(("who", "roles", "status"), AUDIENCE, ids=[row[0] for row in AUDIENCE])
def test_who_may_open_each_staff_route(client: FlaskClient, app: Flask, create_account, give_card, sign_in, monkeypatch: pytest.MonkeyPatch, endpoint: str, who: str, roles, status: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app.config["SETTINGS"], "CHAIN_RPC_URL", f"http://127.0.0.1:{free_port()}")
    if roles is not None:
        person = create_account(roles=() if roles == "card" else roles)
        if roles == "card":
            give_card(person.address)
        sign_in(client, person)
    url = STAFF_ROUTES[endpoint]
    response = client.get(url)
    assert response.status_code == status, f"{who} on {url}"
    if status == 302:
        assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("who", [None, "resident", "moderator"])
def test_the_service_refuses_non_staff_too(app_context: Flask, create_account, who: str | None) -> None:  # type: ignore[no-untyped-def]
    person = None if who is None else staff_account(create_account(roles=("moderator",) if who == "moderator" else ()).id)
    expected = NotSignedIn if who is None else AccessDenied
    with pytest.raises(expected):
        audit_log.audit_page(person, audit_log.AuditFilters())
    with pytest.raises(expected):
        audit_log.export_audit_csv(person, audit_log.AuditFilters())
    with pytest.raises(expected):
        service.dashboard(person, app_context.config["SETTINGS"], app_context.instance_path, NOW)
