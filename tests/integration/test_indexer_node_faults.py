"""The indexer behind a provider that misbehaves, shown with a small proxy in front of a real anvil:
a replica that is a block behind must not be taken for a reorg, and a rate limit must not shrink
the log ranges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.chain.anvil import AnvilProcess
from app.chain.indexer import BATCH_BLOCKS, NodeRateLimited, catch_up, open_indexer
from app.chain.models import IndexerCheckpoint
from app.extensions import db
from minting.minter import RevocationReason
from tests.conftest import make_config, new_address
from tests.integration.conftest_indexer import deploy_cards, holdings
from tests.integration.rpc_proxy import RpcProxy

pytestmark = pytest.mark.chain


@pytest.fixture
def proxy(anvil: AnvilProcess) -> Iterator[RpcProxy]:
    running = RpcProxy(anvil.rpc_url).start()
    yield running
    running.stop()


@pytest.fixture
def proxied_app(app: Flask, proxy: RpcProxy) -> Flask:
    """The site on the shared test database, reading the chain through the proxy."""
    config = app.config["SETTINGS"]
    port = int(proxy.url.rsplit(":", 1)[1])
    return create_app(make_config(Path(app.instance_path), config.SQLALCHEMY_DATABASE_URI, port))


def checkpoint_block(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(IndexerCheckpoint)).one().block_number


def test_a_replica_one_block_behind_is_waited_for_not_rewound(proxied_app: Flask, anvil: AnvilProcess, proxy: RpcProxy) -> None:
    # The case: a card revoked in the newest block came back from a lagging replica.
    chain = deploy_cards(proxied_app, anvil.rpc_url, soulbound=True)
    kept, revoked = chain.mint(new_address()), chain.mint(new_address())
    chain.admin.revoke(chain.address, revoked, RevocationReason.TERMS_BREACHED)
    with proxied_app.app_context():
        indexer = open_indexer(proxied_app.config["SETTINGS"])
        catch_up(indexer)
        head = chain.w3.eth.block_number
        assert checkpoint_block(proxied_app) == head
        assert set(holdings(proxied_app)) == {kept}

        proxy.lag = 1
        for _ in range(3):
            step = indexer.step()
            db.session.commit()
            assert step.rewound_to is None and not step.started_over
        assert checkpoint_block(proxied_app) == head, "nothing was undone"
        assert set(holdings(proxied_app)) == {kept}, "the revoked card did not come back"

        proxy.lag = 0
        newcomer = chain.mint(new_address())
        catch_up(indexer)
    assert set(holdings(proxied_app)) == {kept, newcomer}


def test_a_real_reorg_is_still_rewound_through_the_proxy(proxied_app: Flask, anvil: AnvilProcess, proxy: RpcProxy) -> None:
    chain = deploy_cards(proxied_app, anvil.rpc_url, soulbound=False)
    kept = chain.mint(new_address())
    with proxied_app.app_context():
        indexer = open_indexer(proxied_app.config["SETTINGS"])
        catch_up(indexer)
        snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]
        orphan = chain.mint(new_address())
        catch_up(indexer)
        assert set(holdings(proxied_app)) == {kept, orphan}
        chain.w3.provider.make_request("evm_revert", [snapshot])
        replacement_wallet = new_address()
        chain.mint(replacement_wallet)
        chain.mint(new_address())  # the new history is longer: the node has the block we stopped at
        catch_up(indexer)
    assert holdings(proxied_app) == chain.owners()
    assert replacement_wallet in holdings(proxied_app).values()


@pytest.mark.parametrize("style", ["json", "http"])
def test_a_rate_limit_is_waited_out_without_shrinking_the_log_range(proxied_app: Flask, anvil: AnvilProcess, proxy: RpcProxy, style: str) -> None:
    chain = deploy_cards(proxied_app, anvil.rpc_url, soulbound=False)
    minted = {chain.mint(new_address()) for _ in range(3)}
    proxy.rate_limit_style = style
    proxy.rate_limited_logs = 2
    with proxied_app.app_context():
        indexer = open_indexer(proxied_app.config["SETTINGS"])
        for _ in range(2):
            with pytest.raises(NodeRateLimited, match="rate-limiting us") as caught:
                indexer.step()
            db.session.rollback()
            assert indexer.batch_blocks == BATCH_BLOCKS, "a rate limit is not a range that holds too much"
        if style == "http":
            assert caught.value.retry_after == 2.0
        catch_up(indexer)
        assert indexer.batch_blocks == BATCH_BLOCKS
    assert set(holdings(proxied_app)) == minted
