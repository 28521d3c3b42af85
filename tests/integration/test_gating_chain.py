"""Gating that follows the chain: a card transferred away, revoked or received changes access at
the first request after one indexer step; a lagging indexer makes that request check the chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, render_template_string
from flask.testing import FlaskClient
from web3.providers.rpc import HTTPProvider

from app import create_app
from app.chain.anvil import free_port
from app.chain.models import IndexerCheckpoint
from app.extensions import db
from app.timeutil import utcnow
from community.gating.access import resident_required
from minting.minter import RevocationReason
from tests.conftest import make_config, new_address
from tests.integration.conftest_indexer import CardChain, cards, one_step, run_indexer  # noqa: F401

pytestmark = pytest.mark.chain

BANNER = "catching up with the blockchain"
PAGE = '{% extends "base.html" %}{% block content %}<p>resident {{ g.residency.resident_number }}</p>{% endblock %}'


def with_probe(config) -> Flask:  # type: ignore[no-untyped-def]
    """A second app on the same database with one page behind resident_required, built on base.html."""
    probe_app = create_app(config)
    probe = Blueprint("gating_chain_probe", __name__)

    @probe.get("/_probe/residents")
    @resident_required
    def residents_only() -> str:
        return render_template_string(PAGE)

    probe_app.register_blueprint(probe)
    return probe_app


@pytest.fixture(scope="module")
def probe_app(session_app: Flask) -> Flask:
    return with_probe(session_app.config["SETTINGS"])


@pytest.fixture
def chain_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every JSON-RPC method any web3 HTTP provider in this process sends."""
    calls: list[str] = []
    real = HTTPProvider.make_request

    def counting(self, method, params):  # type: ignore[no-untyped-def]
        calls.append(method)
        return real(self, method, params)

    monkeypatch.setattr(HTTPProvider, "make_request", counting)
    yield calls


@pytest.fixture
def visit(app: Flask, probe_app: Flask, create_account, sign_in, chain_calls: list[str]):  # type: ignore[no-untyped-def]
    """Visit the gated page signed in as `address`; return (status, body, chain calls the request made)."""
    accounts: dict[str, object] = {}
    clients: dict[tuple[int, str], FlaskClient] = {}

    def as_wallet(address: str, site: Flask = probe_app) -> tuple[int, str, int]:
        if address not in accounts:
            accounts[address] = create_account(address)
        if (id(site), address) not in clients:
            clients[id(site), address] = sign_in(site.test_client(), accounts[address])
        before = len(chain_calls)
        response = clients[id(site), address].get("/_probe/residents", headers={"Accept-Language": "en"})
        return response.status_code, response.get_data(as_text=True), len(chain_calls) - before

    return as_wallet


def make_stale(app: Flask, **changes: object) -> None:
    """Change the indexer's recorded progress as a crashed or lagging indexer would leave it."""
    with app.app_context():
        checkpoint = db.session.scalars(sa.select(IndexerCheckpoint)).one()
        for name, value in changes.items():
            setattr(checkpoint, name, value)
        db.session.commit()


def test_a_card_transferred_away_is_refused_after_one_indexer_step(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    number = cards.mint(cards.holder.address)
    run_indexer(app)
    status, body, calls = visit(cards.holder.address)
    assert (status, calls) == (200, 0)
    assert f"resident {number}" in body and BANNER not in body
    assert visit(cards.other.address)[0] == 403

    cards.transfer(cards.holder, cards.other.address, number)
    assert visit(cards.holder.address)[0] == 200, "no chain call: the table still says so until the indexer sees the block"
    one_step(app)

    assert visit(cards.holder.address)[:3:2] == (403, 0)
    status, body, calls = visit(cards.other.address)
    assert (status, calls) == (200, 0), "receiving a card opens the page the same way"
    assert f"resident {number}" in body


def test_a_revoked_card_is_refused_after_one_indexer_step(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    number = cards.mint(cards.holder.address)
    run_indexer(app)
    assert visit(cards.holder.address)[0] == 200
    cards.admin.revoke(cards.address, number, RevocationReason.TERMS_BREACHED)
    one_step(app)
    assert visit(cards.holder.address)[:3:2] == (403, 0)


def test_a_minted_card_opens_the_page_after_one_indexer_step(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    run_indexer(app)
    assert visit(cards.other.address)[0] == 403
    cards.mint(cards.other.address)
    one_step(app)
    assert visit(cards.other.address)[:3:2] == (200, 0)


def test_a_stale_indexer_makes_the_request_check_the_chain_and_say_so(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    number = cards.mint(cards.holder.address)
    run_indexer(app)
    cards.transfer(cards.holder, cards.other.address, number)
    # A follow loop that stopped answering a minute ago: its heartbeat is late.
    make_stale(app, following=True, poll_seconds=1.0, head_seen_at=utcnow() - timedelta(minutes=1))

    status, body, calls = visit(cards.holder.address)
    assert status == 403 and calls > 0, "the table still names the old holder; the chain does not"
    assert BANNER in body
    status, body, calls = visit(cards.other.address)
    assert status == 200 and calls > 0
    assert f"resident {number}" in body and BANNER in body

    make_stale(app, following=False)
    status, body, calls = visit(cards.other.address)
    assert (status, calls) == (403, 0), "with the indexer trusted again, the table (not yet updated) decides"
    assert BANNER not in body


def test_an_indexer_too_many_blocks_behind_makes_the_request_check_the_chain(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    run_indexer(app)
    newcomer = new_address()
    number = cards.mint(newcomer)
    limit = app.config["SETTINGS"].INDEXER_MAX_LAG_BLOCKS
    with app.app_context():
        done = db.session.scalars(sa.select(IndexerCheckpoint)).one().block_number

    make_stale(app, head_block=done + limit)
    assert visit(newcomer)[:3:2] == (403, 0), "exactly at the limit the table is trusted"

    make_stale(app, head_block=done + limit + 1)
    status, body, calls = visit(newcomer)
    assert status == 200 and calls > 0
    assert f"resident {number}" in body and BANNER in body


def test_a_failed_live_check_falls_back_to_the_table_and_still_says_so(app: Flask, cards: CardChain, visit) -> None:  # type: ignore[no-untyped-def]
    number = cards.mint(cards.holder.address)
    run_indexer(app)
    make_stale(app, following=True, head_seen_at=utcnow() - timedelta(minutes=5))
    settings = app.config["SETTINGS"]
    unreachable = with_probe(make_config(Path(app.instance_path), settings.SQLALCHEMY_DATABASE_URI, free_port()))

    status, body, calls = visit(cards.holder.address, site=unreachable)
    assert status == 200 and calls > 0
    assert f"resident {number}" in body and BANNER in body
