"""`GET /healthz` against a real anvil node and a real database, and with each part taken away."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.chain.anvil import AnvilProcess
from app.chain.models import IndexerCheckpoint
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import make_config, new_address

pytestmark = pytest.mark.chain

#: The checks give up after about a second each and run side by side; allow for a slow machine.
ANSWER_WITHIN_SECONDS = 4.0


@pytest.fixture(autouse=True)
def fresh_node_checks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here changes the chain between requests: no reuse of an earlier check
    (the cache itself is tested in tests/unit/test_credentials.py)."""
    monkeypatch.setattr(app.config["SETTINGS"], "HEALTHZ_CACHE_SECONDS", 0)


def chain_head(rpc_url: str) -> int:
    answer = httpx.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=5)
    return int(answer.json()["result"], 16)


@pytest.fixture
def indexer_at(app: Flask, anvil: AnvilProcess):  # type: ignore[no-untyped-def]
    """Factory: record the indexer's checkpoint `behind` blocks under the chain's head."""

    def record(behind: int = 0, *, following: bool = True, heard_from: timedelta = timedelta(0)) -> int:
        head = chain_head(app.config["CHAIN_RPC_URL"])
        with app.app_context():
            db.session.add(
                IndexerCheckpoint(
                    chain_id=31337,
                    contract_address=new_address(),
                    start_block=0,
                    block_number=max(head - behind, 0),
                    head_block=head,
                    head_seen_at=utcnow() - heard_from,
                    following=following,
                    poll_seconds=1.0,
                )
            )
            db.session.commit()
        return head

    return record


def healthz(client: FlaskClient) -> tuple[int, dict, float]:  # type: ignore[type-arg]
    started = time.monotonic()
    response = client.get("/healthz")
    return response.status_code, response.get_json(), time.monotonic() - started


def test_healthy_site_answers_200_with_every_part(client: FlaskClient, indexer_at) -> None:  # type: ignore[no-untyped-def]
    head = indexer_at(behind=0)
    status, body, _ = healthz(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["chain"] == {"status": "ok", "chain_id": 31337, "latest_block": body["chain"]["latest_block"]}
    assert body["chain"]["latest_block"] >= head
    assert body["ipfs"] == {"status": "ok", "backend": "local"}
    assert body["indexer"]["status"] == "ok"
    assert 0 <= body["indexer_lag_blocks"] <= 5
    assert body["version"] == "0.1.0"


def test_healthz_is_never_cached_and_not_rate_limited(client: FlaskClient, indexer_at) -> None:  # type: ignore[no-untyped-def]
    indexer_at()
    statuses = [client.get("/healthz", environ_base={"REMOTE_ADDR": "198.51.100.9"}) for _ in range(30)]
    assert {response.status_code for response in statuses} == {200}
    assert statuses[0].headers["Cache-Control"] == "no-store"


def test_indexer_never_ran_is_unhealthy(client: FlaskClient, anvil: AnvilProcess) -> None:
    status, body, _ = healthz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["indexer"] == {"status": "down", "reason": "the indexer has not run yet"}
    assert body["indexer_lag_blocks"] is None
    assert body["chain"]["status"] == "ok"


def test_indexer_far_behind_is_unhealthy(client: FlaskClient, indexer_at, anvil: AnvilProcess) -> None:  # type: ignore[no-untyped-def]
    # anvil mines a block per transaction; send a few so the checkpoint can sit behind the head.
    with httpx.Client(base_url=anvil.rpc_url, timeout=5) as node:
        for _ in range(7):
            node.post("", json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}).raise_for_status()
    indexer_at(behind=7)
    status, body, _ = healthz(client)
    assert status == 503
    assert body["indexer_lag_blocks"] >= 7
    assert body["indexer"]["status"] == "down"
    assert "more than 5 blocks behind" in body["indexer"]["reason"]


def test_indexer_heartbeat_stopped_is_unhealthy(client: FlaskClient, indexer_at) -> None:  # type: ignore[no-untyped-def]
    indexer_at(behind=0, following=True, heard_from=timedelta(minutes=5))
    status, body, _ = healthz(client)
    assert status == 503
    assert body["indexer"]["reason"] == "its heartbeat stopped"


def test_chain_node_down_answers_503_quickly(client: FlaskClient, indexer_at, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    indexer_at()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setattr(client.application.config["SETTINGS"], "CHAIN_RPC_URL", f"http://127.0.0.1:{closed}")
    status, body, seconds = healthz(client)
    assert status == 503
    assert body["chain"]["status"] == "down"
    assert "reason" in body["chain"]
    assert body["database"]["status"] == "ok"
    assert seconds < ANSWER_WITHIN_SECONDS


@pytest.fixture
def silent_node() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a hung node."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_hung_chain_and_ipfs_time_out_within_seconds(client: FlaskClient, indexer_at, silent_node: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    indexer_at()
    settings = client.application.config["SETTINGS"]
    monkeypatch.setattr(settings, "CHAIN_RPC_URL", silent_node)
    monkeypatch.setattr(settings, "IPFS_BACKEND", "kubo")
    monkeypatch.setattr(settings, "IPFS_API_URL", silent_node)
    status, body, seconds = healthz(client)
    assert status == 503
    assert body["chain"]["status"] == "down"
    assert body["ipfs"]["status"] == "down" and body["ipfs"]["backend"] == "kubo"
    assert seconds < ANSWER_WITHIN_SECONDS, f"/healthz took {seconds:.1f} s with a hung node"


def test_wrong_chain_is_unhealthy(client: FlaskClient, indexer_at, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    indexer_at()
    monkeypatch.setattr(client.application.config["SETTINGS"], "CHAIN_ID", 11155111)
    status, body, _ = healthz(client)
    assert status == 503
    assert body["chain"]["reason"] == "the node reports chain 31337, expected 11155111"


@pytest.fixture
def app_without_database(tmp_path: Path, chain_port: int) -> Flask:
    """The site pointed at a PostgreSQL port where nothing listens: the database is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    return create_app(make_config(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{closed}/residents", chain_port))


def test_database_down_answers_503_naming_it(app_without_database: Flask, anvil: AnvilProcess) -> None:
    status, body, seconds = healthz(app_without_database.test_client())
    assert status == 503
    assert body["database"]["status"] == "down"
    assert "OperationalError" in body["database"]["reason"]
    assert "postgres@" not in body["database"]["reason"]  # never the URL
    assert body["indexer"] == {"status": "down", "reason": "the database is down"}
    assert body["chain"]["status"] == "ok"
    assert seconds < ANSWER_WITHIN_SECONDS


def test_pages_answer_503_try_again_while_database_is_down(app_without_database: Flask) -> None:
    client = app_without_database.test_client()
    for path in ("/", "/forums", "/meetups", "/events", "/me"):
        client.set_cookie("session", "", expires=0)
        response = client.get(path, headers={"Accept-Language": "en"})
        if response.status_code in (200, 302):  # a page that needs no database at all
            continue
        assert response.status_code == 503, (path, response.status_code)
        assert response.headers["Retry-After"] == "15"
        assert "Please try again shortly." in response.get_data(as_text=True)


def test_signed_in_visitors_get_the_503_page_too(app_without_database: Flask) -> None:
    """Their account cannot be loaded while the database is away; the page must not try."""
    client = app_without_database.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "7"
        session["_session"] = "a-session-token"  # checked against the database, which is away
        session["locale"] = "en"
    for path in ("/forums", "/me", "/meetups"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Please try again shortly." in response.get_data(as_text=True)


def test_database_outage_page_speaks_japanese_by_default(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/forums")
    assert response.status_code == 503
    assert '<html lang="ja">' in response.get_data(as_text=True)


def test_database_outage_answers_json_to_scripts(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/forums", headers={"Accept": "application/json", "Accept-Language": "en"})
    assert response.status_code == 503
    assert response.get_json() == {"status": 503, "error": "The site is busy or being maintained", "detail": "Please try again shortly. If you were sending something, check whether it arrived before you send it again."}


def test_database_lost_while_committing_answers_503_not_500(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection can die after the view, when the request commits: still a 503."""
    import sqlalchemy.exc

    def lose_connection() -> None:
        raise sqlalchemy.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "commit", lose_connection)
    # As in production: testing mode would re-raise errors from after_request hooks instead.
    monkeypatch.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/sign-in", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "15"
    assert "Please try again shortly." in response.get_data(as_text=True)
