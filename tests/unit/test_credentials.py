"""Settings that can hold a credential (the RPC URL with its API key, the IPFS API URL, the
database and Redis URLs) never appear in a response or a page, and logs show their scheme and
host only. `/healthz` reuses its chain check for a few seconds, so a public, unthrottled
endpoint cannot multiply calls to the provider."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from app import create_app
from app.chain.models import Deployment
from app.extensions import db
from app.security import redact, redacted_url
from app.timeutil import utcnow
from tests.conftest import make_config, session_for
from tests.unit.conftest_exchange import CONTRACT, attached, draft

SECRET = "sk_live_4f9c2a7e1b"


@dataclass
class FakeProvider:
    """An HTTP server standing in for an RPC provider or an IPFS API: answers `status` to every
    request (with a JSON-RPC result when 200) and counts what it was asked."""

    status: int = 200
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            method = json.loads(body).get("method", "") if body.startswith(b"{") else self.path
            fake.requests.append(method)
            if fake.status != 200:
                answer = json.dumps({"error": f"invalid API key {SECRET} at {self.path}"}).encode()
            else:
                answer = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x7a69" if method == "eth_chainId" else "0x10", "Version": "0.29.0"}).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_site(app: Flask, provider: FakeProvider, tmp_path: Path) -> Iterator[Flask]:
    """The site on the test database, with a provider URL and an IPFS API URL that carry keys."""
    site = create_app(
        make_config(
            tmp_path,
            app.config["SQLALCHEMY_DATABASE_URI"],
            provider.port,
            CHAIN_RPC_URL=provider.url(f"/v3/{SECRET}"),
            IPFS_BACKEND="kubo",
            IPFS_API_URL=f"http://ipfs-user:{SECRET}@127.0.0.1:{provider.port}/pinning/{SECRET}",
            RATELIMIT_STORAGE_URI="memory://",
        )
    )
    site.config["CHAIN_RPC_URL"] = site.config["SETTINGS"].CHAIN_RPC_URL
    yield site
    with site.app_context():
        db.engine.dispose()


def admin_client(site: Flask, create_account, give_card) -> FlaskClient:  # type: ignore[no-untyped-def]
    admin = create_account(roles=("admin",))
    give_card(admin.address)
    client = site.test_client()
    values = session_for(site, admin.id)
    with client.session_transaction() as session:
        session.update(values)
    return client


# -- the redaction itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://eth-sepolia.g.alchemy.com/v2/abcdef123", "https://eth-sepolia.g.alchemy.com"),
        ("https://user:pass@rpc.example:8443/key?apikey=1", "https://rpc.example:8443"),
        ("postgresql+psycopg://residents:hunter2@db.internal:5432/residents", "postgresql+psycopg://db.internal:5432"),
        ("redis://:s3cret@cache:6379/0", "redis://cache:6379"),
        ("http://[::1]:8545/x", "http://[::1]:8545"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
    ],
)
def test_a_redacted_url_keeps_scheme_and_host_only(url: str, shown: str) -> None:
    assert redacted_url(url) == shown
    assert redact(f"failed at {url} (timeout)", [url]) == f"failed at {shown} (timeout)"


# -- /healthz and the dashboard --------------------------------------------------------------------------


def test_a_provider_error_names_the_host_not_the_key(secret_site: Flask, provider: FakeProvider) -> None:
    provider.status = 401
    response = secret_site.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert SECRET not in body, body
    reason = response.get_json()["chain"]["reason"]
    assert f"127.0.0.1:{provider.port}" in reason and "401" in reason


def test_healthz_reuses_its_chain_check_for_a_few_seconds(secret_site: Flask, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    client = secret_site.test_client()
    for _ in range(10):
        client.get("/healthz")
    chain_calls = [method for method in provider.requests if method.startswith("eth_")]
    assert chain_calls == ["eth_chainId", "eth_blockNumber"], f"ten requests cost {len(chain_calls)} provider calls"
    monkeypatch.setattr(secret_site.config["SETTINGS"], "HEALTHZ_CACHE_SECONDS", 0)
    client.get("/healthz")
    assert len([method for method in provider.requests if method.startswith("eth_")]) == 4, "without the window, every request asks again"


def test_concurrent_healthz_requests_share_one_check(secret_site: Flask, provider: FakeProvider) -> None:
    statuses: list[int] = []

    def ask() -> None:
        statuses.append(secret_site.test_client().get("/healthz").status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 6
    assert len([method for method in provider.requests if method == "eth_chainId"]) == 1


def get_rules(site: Flask) -> list[Rule]:
    return [rule for rule in site.url_map.iter_rules() if "GET" in (rule.methods or set()) and rule.endpoint != "static"]


def test_no_page_or_response_shows_a_credential(secret_site: Flask, provider: FakeProvider, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    """Every GET route in the URL map (so new pages are covered), as an admin who holds a card,
    with the provider both up and answering errors."""
    client = admin_client(secret_site, create_account, give_card)
    checked = 0
    for status in (200, 500):
        provider.status = status
        for rule in get_rules(secret_site):
            values = {name: 1 for name in rule.arguments}
            if "token" in rule.arguments:
                values["token"] = "x"
            if "cid" in rule.arguments:
                values["cid"] = "bafkqaaa"
            if "slug" in rule.arguments:
                values["slug"] = "town"
            with secret_site.test_request_context():
                url = secret_site.url_for(rule.endpoint, **values)
            response = client.get(url, headers={"Accept-Language": "en"})
            # Images (the town's mark, the example card) are bytes; a credential would be ASCII in them too.
            body = response.get_data().decode("utf-8", errors="replace")
            assert SECRET not in body, f"{url} shows a credential"
            assert "ipfs-user" not in body, f"{url} shows the IPFS API user"
            assert SECRET not in str(response.headers)
            checked += 1
    assert checked >= 2 * 20, "the crawl reached too few pages to mean anything"


def test_the_staff_dashboard_names_hosts_only(secret_site: Flask, provider: FakeProvider, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(secret_site, create_account, give_card)
    page = client.get("/staff", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"http://127.0.0.1:{provider.port}" in page
    assert SECRET not in page


def test_the_close_event_error_names_the_host_not_the_key(secret_site: Flask, provider: FakeProvider, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    from community.exchange import service

    provider.status = 403
    organizer = create_account(roles=("organizer",))
    starts = utcnow() - timedelta(hours=4)
    with secret_site.test_request_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "44" * 32, soulbound=True))
        event = service.create_event(attached(organizer), draft(starts_at=starts, ends_at=starts + timedelta(hours=1), registration_deadline=starts - timedelta(hours=1)), now=starts - timedelta(days=1))
        db.session.commit()
        event_id = event.id
    client = secret_site.test_client()
    values = session_for(secret_site, organizer.id)
    with client.session_transaction() as session:
        session.update(values)
    page = client.get(f"/events/{event_id}/attendance").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/events/{event_id}/close", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert response.status_code == 502
    body = response.get_data(as_text=True)
    assert f"127.0.0.1:{provider.port}" in body, "the organizer still learns which node failed"
    assert SECRET not in body


# -- logs ----------------------------------------------------------------------------------------------


def test_logs_show_scheme_and_host_only(secret_site: Flask, provider: FakeProvider) -> None:
    from app.logs import install_log_handler

    handler = install_log_handler("text")
    stream = io.StringIO()
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "node failed: %s", (secret_site.config["SETTINGS"].CHAIN_RPC_URL,), None)
    try:
        raise RuntimeError(f"deep inside a library: {secret_site.config['SETTINGS'].IPFS_API_URL}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    stream.write(handler.format(record))
    line = stream.getvalue()
    assert SECRET not in line and "ipfs-user" not in line, line
    assert f"http://127.0.0.1:{provider.port}" in line
