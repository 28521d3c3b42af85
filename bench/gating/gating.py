"""Gating benchmark (DESIGN.md section 8), in one run on one machine:

- 10,000 residents minted for real on anvil with batch mints, then the indexer's catch-up over
  their Transfer logs (budget: at least 5,000 logs per second);
- throughput of a resident-only page against the same page and template with gating switched
  off, both served by one app in this process (budget: ratio at least 0.85), while the indexer
  follows the chain in a background thread as under `residents dev`;
- JSON-RPC requests sent while serving the gated page (budget: 0 per page view);
- blocks between a card's Transfer and its former holder being refused (budget: at most 1).

Writes bench/results/gating.json, prints a table, exits 1 when a budget fails.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from eth_account import Account as EthAccount
from eth_utils import keccak, to_checksum_address
from flask import Blueprint, Flask, g, render_template
from flask.testing import FlaskClient
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from app import create_app
from app.auth.models import Account
from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session
from app.chain.anvil import free_port, start_anvil
from app.chain.client import ResidentRegistry
from app.chain.indexer import BackgroundIndexer, catch_up, open_indexer
from app.chain.models import Holding
from app.config import Config
from app.extensions import db
from community.gating.access import resident_required
from minting.keys import ANVIL_DEV_KEY
from minting.minter import CardAdmin, Minter
from minting.service import ContractSettings, deploy_resident_contract

ROOT = Path(__file__).resolve().parents[2]
RESULTS_FILE = ROOT / "bench" / "results" / "gating.json"

RESIDENTS = 10_000
#: Cards per mintBatch transaction: ~73,000 gas each keeps a batch under anvil's 30M block gas limit.
BATCH = 350
#: Page views per measured round, per page; rounds alternate which page goes first.
REQUESTS_PER_ROUND = int(os.environ.get("BENCH_GATING_REQUESTS", "400"))
ROUNDS = 5
#: anvil dev account #1 holds a card and transfers it to #2 for the access-removal measurement.
HOLDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
RECEIVER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


# -- counting chain calls ---------------------------------------------------------------------


class ChainCallCounter:
    """Counts JSON-RPC requests that any web3 HTTP provider sends from one thread."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.calls = 0
        self._single = HTTPProvider.make_request
        self._batch = HTTPProvider.make_batch_request

    def __enter__(self) -> ChainCallCounter:
        counter = self
        single, batch = self._single, self._batch

        def make_request(provider: HTTPProvider, method: Any, params: Any) -> Any:
            counter._count(1)
            return single(provider, method, params)

        def make_batch_request(provider: HTTPProvider, requests: Any) -> Any:
            counter._count(len(requests))
            return batch(provider, requests)

        HTTPProvider.make_request = make_request  # type: ignore[method-assign,assignment]
        HTTPProvider.make_batch_request = make_batch_request  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        HTTPProvider.make_request = self._single  # type: ignore[method-assign]
        HTTPProvider.make_batch_request = self._batch  # type: ignore[method-assign]

    def _count(self, calls: int) -> None:
        if threading.get_ident() == self.thread:
            self.calls += calls


# -- the site under test -------------------------------------------------------------------------


def bench_site(config: Config) -> Flask:
    """The real app plus one page served twice: behind resident_required, and open to all."""
    app = create_app(config)
    pages = Blueprint("bench_gating", __name__, template_folder="templates")

    def residents_page() -> str:
        newest = db.session.scalars(sa.select(Holding).order_by(Holding.resident_number.desc()).limit(20)).all()
        return render_template("bench_gating/residents.html", residency=g.get("residency"), newest=newest)

    pages.add_url_rule("/bench/residents", "gated", resident_required(residents_page))
    pages.add_url_rule("/bench/residents-open", "open", residents_page)
    app.register_blueprint(pages)
    return app


def signed_in_client(app: Flask, address: str) -> FlaskClient:
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.address == address))
        if account is None:
            account = Account(address=address)
            db.session.add(account)
            db.session.commit()
        account_id = account.id
        token = open_session(account_id, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": str(account_id), "_fresh": True, SESSION_TOKEN: token})
    return client


# -- steps -------------------------------------------------------------------------------------


def resident_addresses(count: int) -> list[str]:
    """Distinct, reproducible wallets (no keys needed: they only receive cards)."""
    return [to_checksum_address(keccak(text=f"nishikawa resident {index}")[12:]) for index in range(count)]


def mint_residents(minter: Minter, contract: str, recipients: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(recipients), BATCH):
        chunk = recipients[start : start + BATCH]
        digests = [keccak(text=address) for address in chunk]
        minter.mint_batch(contract, chunk, digests)
        print(f"\r  minted {start + len(chunk):>6,} / {len(recipients):,}", end="", flush=True)
    print()
    return time.perf_counter() - started


def measure_pages(gated: Callable[[], int], open_page: Callable[[], int]) -> tuple[float, float]:
    """Seconds for ROUNDS × REQUESTS_PER_ROUND views of each page, interleaved round by round."""
    for _ in range(100):
        assert gated() == 200 and open_page() == 200
    totals = {"gated": 0.0, "open": 0.0}
    for round_number in range(ROUNDS):
        order = [("gated", gated), ("open", open_page)]
        if round_number % 2:
            order.reverse()
        for name, view in order:
            started = time.perf_counter()
            for _ in range(REQUESTS_PER_ROUND):
                status = view()
            totals[name] += time.perf_counter() - started
            assert status == 200, f"{name} page answered {status}"
    return totals["gated"], totals["open"]


def blocks_until_refused(app: Flask, cards: Any, w3: Web3, holder: Any, receiver: str, client: FlaskClient, timeout: float = 15.0) -> tuple[int, float]:
    """Transfer the holder's card away; poll its page until refused; return (blocks after the Transfer, seconds)."""
    number = ResidentRegistry(w3, cards.address).card_of(holder.address)
    assert number is not None, "the holder has no card to transfer"
    transaction = cards.functions.transferFrom(holder.address, receiver, number).build_transaction(
        {"from": holder.address, "nonce": w3.eth.get_transaction_count(holder.address), "chainId": w3.eth.chain_id}
    )
    signed = holder.sign_transaction(transaction)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    transfer_block, sent = int(receipt["blockNumber"]), time.perf_counter()
    deadline = sent + timeout
    while time.perf_counter() < deadline:
        if client.get("/bench/residents").status_code == 403:
            return w3.eth.block_number - transfer_block, time.perf_counter() - sent
        time.sleep(0.02)
    raise SystemExit("the former holder still had access after 15 s: the indexer did not see the Transfer")


# -- report ------------------------------------------------------------------------------------


def budget(name: str, value: float, limit: float, unit: str, at_least: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "limit": limit, "unit": unit, "comparison": ">=" if at_least else "<=", "ok": value >= limit if at_least else value <= limit}


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "database": "SQLite (file, WAL)",
        "chain": "anvil (local, automine)",
        "cpus": os.cpu_count(),
        "cpuModel": model,
        "hostname": socket.gethostname(),
        "platform": f"{platform.system().lower()} {platform.release()} {platform.machine()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def print_table(budgets: list[dict[str, Any]], measurements: dict[str, Any]) -> None:
    print()
    print(f"{'budget':<48} {'value':>12} {'limit':>12}  unit         ok")
    for row in budgets:
        value = f"{row['value']:,.3f}" if isinstance(row["value"], float) else f"{row['value']:,}"
        print(f"{row['name']:<48} {value:>12} {row['comparison']} {row['limit']:>9,}  {row['unit']:<12} {'yes' if row['ok'] else 'NO'}")
    print()
    for name, value in measurements.items():
        print(f"  {name}: {value}")


# -- main --------------------------------------------------------------------------------------


def run(workdir: Path) -> dict[str, Any]:
    node = start_anvil(free_port(), log_path=workdir / "anvil.log")
    try:
        return measure(workdir, node.rpc_url)
    finally:
        node.stop()


def measure(workdir: Path, rpc_url: str) -> dict[str, Any]:
    config = Config(
        {
            "RESIDENTS_ENV": "testing",
            "INSTANCE_PATH": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'residents.sqlite3'}",
            "SECRET_KEY": "bench-gating",
            "CHAIN_RPC_URL": rpc_url,
        }
    )
    app = bench_site(config)
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    minter = Minter(w3, EthAccount.from_key(ANVIL_DEV_KEY))
    holder, receiver = EthAccount.from_key(HOLDER_KEY), EthAccount.from_key(RECEIVER_KEY)

    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        contract = deploy_resident_contract(CardAdmin(w3, minter.account), config.CHAIN_ID, ContractSettings(soulbound=False), "bench", minter=minter.address, organizer=minter.address).deployment.address
        db.session.commit()

    print(f"Minting {RESIDENTS:,} residents in batches of {BATCH} on anvil ...")
    recipients = [holder.address, *resident_addresses(RESIDENTS - 1)]
    mint_seconds = mint_residents(minter, contract, recipients)

    print("Indexer catch-up ...")
    with app.app_context():
        summary = catch_up(open_indexer(config))
        held = db.session.scalar(sa.select(sa.func.count()).select_from(Holding))
    assert held == RESIDENTS, f"the holdings table has {held} cards, not {RESIDENTS}"
    transfers_per_second = summary.transfers / summary.seconds

    print(f"Serving the page {ROUNDS * REQUESTS_PER_ROUND:,} times gated and {ROUNDS * REQUESTS_PER_ROUND:,} times open, indexer following ...")
    background = BackgroundIndexer(app, interval=1.0, report=lambda line: None).start()
    try:
        resident = signed_in_client(app, recipients[RESIDENTS // 2])
        with ChainCallCounter() as counter:
            counter.thread = threading.get_ident()
            gated_seconds, open_seconds = measure_pages(lambda: resident.get("/bench/residents").status_code, lambda: resident.get("/bench/residents-open").status_code)
            gated_calls = counter.calls
        views = ROUNDS * REQUESTS_PER_ROUND + 100

        print("Transferring a card away and polling its former holder's page ...")
        former = signed_in_client(app, holder.address)
        assert former.get("/bench/residents").status_code == 200
        cards = w3.eth.contract(address=Web3.to_checksum_address(contract), abi=minter._contract(contract).abi)
        blocks_after, seconds_after = blocks_until_refused(app, cards, w3, holder, receiver.address, former)
    finally:
        background.stop()

    ratio = open_seconds / gated_seconds
    budgets = [
        budget("indexer catch-up over 10,000 mints", round(transfers_per_second, 1), 5_000, "logs/s", at_least=True),
        budget("gated page throughput / same page ungated", round(ratio, 4), 0.85, "ratio", at_least=True),
        budget("chain calls per gated page view", gated_calls / views, 0, "calls", at_least=False),
        budget("blocks from a Transfer to access removed", blocks_after, 1, "blocks", at_least=False),
    ]
    measurements = {
        "residents": RESIDENTS,
        "mint_seconds": round(mint_seconds, 2),
        "catch_up": {"blocks": summary.blocks, "logs": summary.logs, "transfers": summary.transfers, "seconds": round(summary.seconds, 3)},
        "gated_requests_per_second": round(ROUNDS * REQUESTS_PER_ROUND / gated_seconds, 1),
        "open_requests_per_second": round(ROUNDS * REQUESTS_PER_ROUND / open_seconds, 1),
        "gated_page_views": views,
        "chain_calls_while_serving_gated": gated_calls,
        "seconds_from_transfer_to_refusal": round(seconds_after, 3),
        "server": "werkzeug test client, one thread, indexer thread polling every 1 s",
    }
    return {"benchmark": "gating", "machine": machine(), "budgets": budgets, "measurements": measurements}


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-gating-") as workdir:
        result = run(Path(workdir))
    result["measurements"]["total_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_table(result["budgets"], result["measurements"])
    print(f"\nwrote {RESULTS_FILE.relative_to(ROOT)}")
    if not all(row["ok"] for row in result["budgets"]):
        print("gating budget exceeded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
