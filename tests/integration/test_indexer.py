"""The indexer against a real anvil: catch-up, transfers, recovery, revocation, reorgs made with
evm_snapshot/evm_revert, a redeployed contract, and a node that stops mid-catch-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.chain.anvil import AnvilProcess, free_port, start_anvil
from app.chain.errors import NodeStoppedAnswering
from app.chain.indexer import BackgroundIndexer, catch_up, indexer_progress, open_indexer
from app.chain.models import CardEvent, Deployment, Holding, IndexedBlock, IndexerCheckpoint
from app.extensions import db
from minting.minter import RevocationReason
from tests.conftest import make_config, new_address
from tests.integration.conftest_indexer import CardChain, cards, deploy_cards, holdings, one_step, run_indexer, soulbound_cards  # noqa: F401

pytestmark = pytest.mark.chain

RESIDENTS = Path(sys.executable).with_name("residents")


def event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CardEvent)) or 0


def test_catch_up_builds_the_holdings_from_mints(app: Flask, soulbound_cards: CardChain) -> None:
    chain = soulbound_cards
    single = [chain.mint(new_address()) for _ in range(2)]
    batch = chain.mint_batch([new_address() for _ in range(5)])

    summary = run_indexer(app)

    assert holdings(app) == chain.owners()
    assert sorted(holdings(app)) == [*single, *batch]
    assert (summary.transfers, summary.logs, summary.holdings) == (7, 14, 7), "a Transfer and a Locked log per soulbound card"
    with app.app_context():
        card = db.session.get(Holding, batch[0])
        assert card is not None and card.locked is True
        block = chain.w3.eth.get_block(card.minted_block)
        assert card.minted_at == datetime.fromtimestamp(block["timestamp"], UTC)
        assert card.acquired_block == card.minted_block
        checkpoint = db.session.scalars(sa.select(IndexerCheckpoint)).one()
        assert checkpoint.block_number == chain.w3.eth.block_number
        assert checkpoint.block_hash == chain.w3.eth.get_block(checkpoint.block_number)["hash"].to_0x_hex()
        assert checkpoint.contract_address == chain.address

    again = run_indexer(app)
    assert (again.blocks, again.logs) == (0, 0)
    assert event_count(app) == 14, "a second catch-up applied nothing twice"


def test_transfer_recovery_and_revocation_follow_the_chain(app: Flask, cards: CardChain) -> None:
    chain = cards
    first = chain.mint(chain.holder.address)
    doomed = chain.mint(new_address())
    run_indexer(app)
    assert holdings(app)[first] == chain.holder.address

    transfer_block = chain.transfer(chain.holder, chain.other.address, first)
    lost_key_wallet = new_address()
    chain.admin.recover(chain.address, first, lost_key_wallet)
    chain.admin.revoke(chain.address, doomed, RevocationReason.ISSUED_IN_ERROR)
    run_indexer(app)

    assert holdings(app) == chain.owners() == {first: lost_key_wallet}
    with app.app_context():
        card = db.session.get(Holding, first)
        assert card is not None and card.locked is False
        assert card.acquired_block > transfer_block > card.minted_block
        kinds = db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.resident_number == first).order_by(CardEvent.id)).all()
        assert kinds == ["transfer", "transfer", "transfer"]


def test_cards_changing_hands_within_one_batch_keep_one_card_per_wallet(app: Flask, cards: CardChain) -> None:
    chain = cards
    first = chain.mint(chain.holder.address)
    run_indexer(app)
    # In one batch: the holder gives card 1 away, then receives a new card; and card 1 moves on.
    chain.transfer(chain.holder, chain.other.address, first)
    second = chain.mint(chain.holder.address)
    chain.transfer(chain.other, new_address(), first)
    run_indexer(app)
    assert holdings(app) == chain.owners()
    assert holdings(app)[second] == chain.holder.address


def test_a_reorg_is_undone_and_replayed(app: Flask, cards: CardChain) -> None:
    chain = cards
    kept = chain.mint(chain.holder.address)
    run_indexer(app)
    snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]

    orphan_wallet = new_address()
    orphan = chain.mint(orphan_wallet)
    chain.transfer(chain.holder, chain.other.address, kept)
    run_indexer(app)
    assert holdings(app) == {kept: chain.other.address, orphan: orphan_wallet}
    indexed_tip = chain.w3.eth.block_number

    # The two blocks above are replaced by a different history of one block: a mint to someone else.
    assert chain.w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    new_wallet = new_address()
    replacement = chain.mint(new_wallet)
    assert chain.w3.eth.block_number < indexed_tip

    step = one_step(app)
    assert step.rewound_to is not None and step.rewound_to < indexed_tip - 1
    run_indexer(app)

    assert holdings(app) == chain.owners() == {kept: chain.holder.address, replacement: new_wallet}
    assert replacement == orphan, "the replaced history reused the resident number"
    with app.app_context():
        events = db.session.scalars(sa.select(CardEvent).order_by(CardEvent.block_number, CardEvent.log_index)).all()
        assert [(e.resident_number, e.to_address) for e in events] == [(kept, chain.holder.address), (replacement, new_wallet)]
        for event in events:
            assert event.block_hash == chain.w3.eth.get_block(event.block_number)["hash"].to_0x_hex()


def test_a_reorg_at_the_same_height_is_noticed(app: Flask, cards: CardChain) -> None:
    chain = cards
    run_indexer(app)
    snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]
    gone = new_address()
    chain.mint(gone)
    run_indexer(app)
    chain.w3.provider.make_request("evm_revert", [snapshot])
    stays = new_address()
    number = chain.mint(stays)
    run_indexer(app)
    assert holdings(app) == {number: stays}


def test_a_reorg_deeper_than_the_kept_hashes_starts_over(app: Flask, cards: CardChain) -> None:
    chain = cards
    early = chain.mint(new_address())
    run_indexer(app)
    snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]
    for _ in range(4):
        chain.mint(new_address())
    run_indexer(app, batch_blocks=1)  # one block per step: the kept hashes are per step
    with app.app_context():
        indexer = open_indexer(app.config["SETTINGS"])
        db.session.execute(sa.delete(IndexedBlock).where(IndexedBlock.block_number < chain.w3.eth.block_number - 1))
        db.session.commit()
        chain.w3.provider.make_request("evm_revert", [snapshot])
        chain.mint(new_address())
        # The node is now below our checkpoint and has none of the blocks we kept: as far as we
        # can tell it is a replica behind the others, so the indexer waits ...
        waited = indexer.step()
        db.session.commit()
        assert waited.rewound_to is None and not waited.started_over and waited.cards_changed == 0
        # ... until the node has a block we kept, whose hash then tells the reorg apart.
        while chain.w3.eth.block_number <= indexer.checkpoint().block_number:
            chain.mint(new_address())
        step = indexer.step()
        db.session.commit()
        assert step.started_over
    run_indexer(app)
    assert holdings(app) == chain.owners()
    assert early in holdings(app)


def test_a_redeployed_contract_is_indexed_from_scratch(app: Flask, cards: CardChain, anvil: AnvilProcess) -> None:
    cards.mint(new_address())
    run_indexer(app)
    with app.app_context():
        db.session.execute(sa.delete(Deployment))
        db.session.commit()
    fresh = deploy_cards(app, anvil.rpc_url, soulbound=True)
    wallet = new_address()
    number = fresh.mint(wallet)
    run_indexer(app)
    assert holdings(app) == {number: wallet}
    with app.app_context():
        checkpoint = db.session.scalars(sa.select(IndexerCheckpoint)).one()
        assert checkpoint.contract_address == fresh.address
        assert {e.resident_number for e in db.session.scalars(sa.select(CardEvent))} == {number}


def test_log_ranges_shrink_when_the_node_refuses_them(app: Flask, cards: CardChain, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        cards.mint(new_address())
    asked: list[int] = []
    with app.app_context():
        indexer = open_indexer(app.config["SETTINGS"])
        real = indexer.node._request

        def picky(action, method, params):  # type: ignore[no-untyped-def]
            if method == "eth_getLogs":
                span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1
                asked.append(span)
                if span > 2:
                    return indexer.node._result(action, {"error": {"code": -32005, "message": "query returned more than 10000 results"}})
            return real(action, method, params)

        monkeypatch.setattr(indexer.node, "_request", picky)
        catch_up(indexer)
    assert asked[0] > 2 and max(asked[1:]) <= 2
    assert holdings(app) == cards.owners()


# -- a node that goes away ----------------------------------------------------------------------


@pytest.fixture
def own_node(tmp_path: Path) -> AnvilProcess:
    """An anvil of this test's own, with a state file so it can be stopped and started again."""
    node = start_anvil(free_port(), state_path=tmp_path / "chain-state.json")
    yield node  # type: ignore[misc]
    node.stop()


@pytest.fixture
def own_app(app: Flask, own_node: AnvilProcess) -> Flask:
    """The site on the shared test database, pointed at `own_node`."""
    config = app.config["SETTINGS"]
    return create_app(make_config(Path(app.instance_path), config.SQLALCHEMY_DATABASE_URI, own_node.port))


def test_the_node_stopping_mid_catch_up_loses_and_doubles_nothing(own_app: Flask, own_node: AnvilProcess, tmp_path: Path) -> None:
    chain = deploy_cards(own_app, own_node.rpc_url, soulbound=True)
    for _ in range(6):
        chain.mint_batch([new_address() for _ in range(3)])
    with own_app.app_context():
        indexer = open_indexer(own_app.config["SETTINGS"], batch_blocks=2)
        for _ in range(2):
            indexer.step()
            db.session.commit()
        halfway = db.session.scalars(sa.select(IndexerCheckpoint)).one().block_number
        cards_halfway = db.session.scalar(sa.select(sa.func.count()).select_from(Holding))

        own_node.stop()
        time.sleep(0.2)
        with pytest.raises(NodeStoppedAnswering, match="stopped answering"):
            indexer.step()
        db.session.rollback()
        assert db.session.scalars(sa.select(IndexerCheckpoint)).one().block_number == halfway
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Holding)) == cards_halfway

    restarted = start_anvil(own_node.port, state_path=tmp_path / "chain-state.json")
    own_node.process = restarted.process
    with own_app.app_context():
        catch_up(indexer)
    assert holdings(own_app) == chain.owners()
    assert len(holdings(own_app)) == 18
    assert event_count(own_app) == 36, "each Transfer and Locked log applied exactly once"


def test_the_follow_loop_reports_an_outage_and_resumes(own_app: Flask, own_node: AnvilProcess, tmp_path: Path) -> None:
    chain = deploy_cards(own_app, own_node.rpc_url, soulbound=False)
    first = chain.mint(new_address())
    reports: list[str] = []
    background = BackgroundIndexer(own_app, interval=0.1, report=reports.append).start()
    try:
        wait_for(lambda: first in holdings(own_app))
        with own_app.app_context():
            assert indexer_progress(31337).following is True  # type: ignore[union-attr]
        own_node.stop()
        wait_for(lambda: any("stopped answering" in line and "Retrying in" in line for line in reports))

        restarted = start_anvil(own_node.port, state_path=tmp_path / "chain-state.json")
        own_node.process = restarted.process
        wallet = new_address()
        second = chain.mint(wallet)
        wait_for(lambda: holdings(own_app).get(second) == wallet, timeout=20)
        assert any("answers again" in line for line in reports)
    finally:
        background.stop()
    with own_app.app_context():
        assert indexer_progress(31337).following is False  # type: ignore[union-attr]
    assert holdings(own_app) == chain.owners()


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


# -- the command ----------------------------------------------------------------------------------


def test_indexer_once_catches_up_and_summarises(app: Flask, runner, cards: CardChain) -> None:  # type: ignore[no-untyped-def]
    cards.mint_batch([new_address() for _ in range(4)])
    result = runner.invoke(args=["indexer", "--once"])
    assert result.exit_code == 0, result.output
    assert "4 card events, 4 cards held" in result.output
    assert len(holdings(app)) == 4


def test_indexer_runs_until_sigterm(app: Flask, cards: CardChain, anvil: AnvilProcess) -> None:
    wallet = new_address()
    number = cards.mint(wallet)
    config = app.config["SETTINGS"]
    env = {
        **os.environ,
        "RESIDENTS_ENV": "testing",
        "INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": config.SQLALCHEMY_DATABASE_URI,
        "SECRET_KEY": "test-secret-key",
        "CHAIN_RPC_URL": anvil.rpc_url,
    }
    process = subprocess.Popen([str(RESIDENTS), "indexer", "--interval", "0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: holdings(app).get(number) == wallet, timeout=30)
        with app.app_context():
            assert indexer_progress(31337).following is True  # type: ignore[union-attr]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Indexer stopped." in output
    with app.app_context():
        assert indexer_progress(31337).following is False  # type: ignore[union-attr]


def test_the_indexer_runs_inside_dev_threads_without_blocking(app: Flask) -> None:
    # A follow loop with nothing deployed reports and waits; stop() ends it promptly.
    reports: list[str] = []
    background = BackgroundIndexer(app, interval=0.1, report=reports.append).start()
    wait_for(lambda: any("residents deploy" in line for line in reports))
    started = time.monotonic()
    background.stop()
    assert time.monotonic() - started < 5
    assert not any(thread.name == "residents-indexer" for thread in threading.enumerate())
