"""The minting pipeline on a real anvil chain: one card, a batch of 50, and crash-resume — a fault
at every step boundary, IPFS down, the chain node restarted, a hard kill of the real command —
each rerun ending with exactly the expected cards and token URIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from eth_account import Account
from flask import Flask

from app.audit.models import AuditEntry
from app.cards.models import IssuedCard
from app.chain.anvil import AnvilProcess, free_port, start_anvil
from app.chain.artifacts import PROJECT_ROOT
from app.chain.client import ResidentRegistry, Role, connect
from app.chain.errors import ChainError
from app.extensions import db
from minting.cards import default_template, render_thumbnail
from minting.csv_import import read_resident_csv
from minting.errors import MintError
from minting.ipfs import DaemonUnavailable, IpfsError, LocalBlockstore, file_cid
from minting.issuance import CsvJobRequest, create_csv_job
from minting.metadata import load_metadata
from minting.minter import Minter
from minting.models import MintJob, Step
from minting.pipeline import BOUNDARIES, FAULT_ENV, FAULT_EXIT_CODE, InjectedFault, MintPipeline, MintTools, raise_at
from tests.conftest import new_address
from tests.integration.town_keys import deploy_card, town_keys

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("anvil")]

SITE_URL = "http://127.0.0.1:5000"
SECOND_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
NAMES = ["山田 太郎", "Jane Doe", "マリア・ガルシア Maria García", "西川花子", "佐藤　美咲", "Анна Петрова", "김민준"]


def residents_csv(count: int) -> tuple[bytes, list[str]]:
    addresses = [new_address() for _ in range(count)]
    lines = ["address,display_name,issued_on"] + [f"{address},{NAMES[i % len(NAMES)]} {i},2026-04-01" for i, address in enumerate(addresses)]
    return ("\n".join(lines) + "\n").encode(), addresses


def deploy(w3_url: str) -> tuple[Minter, ResidentRegistry]:
    """A fresh contract deployed with the local chain's three development keys; the minting key mints."""
    keys = town_keys(connect(w3_url, 31337))
    return keys.minter, deploy_card(keys)


def make_tools(minter: Minter, registry: ResidentRegistry, store_root: Path) -> MintTools:
    return MintTools(registry, minter, LocalBlockstore(store_root, durable=False), default_template(), SITE_URL)


def new_job(registry: ResidentRegistry, data: bytes) -> MintJob:
    checked = read_resident_csv(data, default_template())
    assert not checked.problems
    job = create_csv_job(CsvJobRequest("residents.csv", data, 31337, registry.address, "test"), checked)
    db.session.commit()
    return job


def assert_minted_exactly(job: MintJob, registry: ResidentRegistry, store: LocalBlockstore, addresses: list[str], first: int = 1) -> None:
    """Every resident confirmed once, in CSV order, with token URIs matching stored, valid files."""
    db.session.expire_all()
    rows = sorted(job.residents, key=lambda row: row.position)
    assert [row.state for row in rows] == [Step.CONFIRMED] * len(addresses), [(row.state, row.error) for row in rows]
    assert registry.last_resident_number() == first + len(addresses) - 1  # nothing minted twice, nothing skipped
    for offset, (row, address) in enumerate(zip(rows, addresses, strict=True)):
        number = first + offset
        assert row.address == address and row.resident_number == number
        assert registry.owner_of(number) == address
        assert registry.card_of(address) == number
        assert registry.token_uri(number) == f"ipfs://{row.metadata_cid}"
        metadata_bytes = store.cat(row.metadata_cid or "")
        assert file_cid(metadata_bytes) == row.metadata_cid
        metadata = load_metadata(metadata_bytes)
        assert metadata["image"] == f"ipfs://{row.image_cid}"
        assert metadata["attributes"][0]["value"] == number  # the card shows the number it got
        assert metadata["external_url"] == f"{SITE_URL}/residents/{number}"
        assert file_cid(store.cat(row.image_cid or "")) == row.image_cid
        card = db.session.get(IssuedCard, number)
        assert card is not None and (card.image_cid, card.metadata_cid, card.display_name) == (row.image_cid, row.metadata_cid, row.display_name)
        assert card.thumbnail_cid is not None and store.cat(card.thumbnail_cid) == render_thumbnail(store.cat(row.image_cid or ""))


@pytest.fixture
def chain(anvil: AnvilProcess) -> tuple[Minter, ResidentRegistry]:
    return deploy(anvil.rpc_url)


# ---- the command line ---------------------------------------------------------------------


def test_mint_one_resident_from_the_command_line(runner, app: Flask) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["deploy", "--yes"]).exit_code == 0
    address = new_address()
    result = runner.invoke(args=["mint", address, "--name", "西川 花子", "--issued-on", "2026-04-01"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        (job,) = db.session.scalars(sa.select(MintJob)).all()
        (row,) = job.residents
        assert (row.state, row.resident_number, row.batch) == (Step.CONFIRMED, 1, "2026-04")
        registry = ResidentRegistry(connect(app.config["CHAIN_RPC_URL"], 31337), job.contract_address)
        assert registry.token_uri(1) == f"ipfs://{row.metadata_cid}"
        assert f"Card 1 belongs to {address}" in result.output

    again = runner.invoke(args=["mint", address, "--name", "西川 花子", "--issued-on", "2026-04-01"])
    assert again.exit_code == 0 and "1 minted (0 in this run)" in again.output
    other = runner.invoke(args=["mint", address, "--name", "Someone Else"])
    assert other.exit_code == 1 and "already holds resident card 1" in other.output


def test_mint_a_batch_of_50_from_a_csv(runner, app: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["deploy", "--yes"]).exit_code == 0
    data, addresses = residents_csv(50)
    path = tmp_path / "spring-2026.csv"
    path.write_bytes(b"\xef\xbb\xbf" + data)

    dry = runner.invoke(args=["mint-batch", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "50 card(s) render (numbers 1–50" in dry.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MintJob)) == 0

    result = runner.invoke(args=["mint-batch", str(path), "--batch-size", "20"])
    assert result.exit_code == 0, result.output
    assert "50 minted (50 in this run), 0 skipped" in result.output
    with app.app_context():
        job = db.session.scalars(sa.select(MintJob)).one()
        registry = ResidentRegistry(connect(app.config["CHAIN_RPC_URL"], 31337), job.contract_address)
        store = LocalBlockstore(Path(app.instance_path) / "ipfs")
        assert_minted_exactly(job, registry, store, addresses)
        assert {row.batch for row in job.residents} == {"spring-2026"}
        assert len({row.transaction_hash for row in job.residents}) == 3  # batches of 20, 20, 10
    report = (Path(app.instance_path) / "mint-jobs" / f"job-{job.id}.csv").read_text("utf-8")
    assert report.count("confirmed") == 50

    rerun = runner.invoke(args=["mint-batch", str(path)])
    assert rerun.exit_code == 0 and f"Resuming job {job.id}" in rerun.output and "(0 in this run)" in rerun.output


def test_an_invalid_csv_mints_nothing_unless_told_to_skip(runner, app: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["deploy", "--yes"]).exit_code == 0
    holder = new_address()
    assert runner.invoke(args=["mint", holder, "--name", "First"]).exit_code == 0
    good = new_address()
    path = tmp_path / "mixed.csv"
    path.write_text(f"address,display_name\n{good},Good\n0x123,Bad Address\n{holder},Holder\n{good},Repeat\n", "utf-8")

    refused = runner.invoke(args=["mint-batch", str(path)])
    assert refused.exit_code == 1
    for words in ("line 3: address", "line 4: address", "already holds resident card 1", "line 5: address", "Nothing was minted"):
        assert words in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MintJob)) == 1  # the single mint only

    skipped = runner.invoke(args=["mint-batch", str(path), "--skip-invalid"])
    assert skipped.exit_code == 0, skipped.output
    assert "1 minted (1 in this run), 3 skipped" in skipped.output
    status = runner.invoke(args=["mint-status"])
    assert status.exit_code == 0 and "1/1 confirmed" in status.output
    with app.app_context():
        batch_job = db.session.scalars(sa.select(MintJob).where(MintJob.kind == "csv")).one()
        assert [skipped["line"] for skipped in batch_job.skipped] == [3, 4, 5]
    detail = runner.invoke(args=["mint-status", str(batch_job.id)])
    assert "skipped line 3: address" in detail.output and "skipped line 4: address" in detail.output


def test_ipfs_add_prints_the_cid_last(runner, app: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', "utf-8")
    only_hash = runner.invoke(args=["ipfs", "add", "--only-hash", str(logo)])
    cid = only_hash.output.strip().splitlines()[-1]
    assert cid == file_cid(logo.read_bytes())
    store = LocalBlockstore(Path(app.instance_path) / "ipfs")
    assert not store.has(cid)
    added = runner.invoke(args=["ipfs", "add", str(logo)])
    assert added.exit_code == 0 and added.output.strip().splitlines()[-1] == cid
    assert store.cat(cid) == logo.read_bytes()


def test_revoke_recover_and_update_card_confirm_and_audit(runner, app: Flask) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["deploy", "--yes"]).exit_code == 0
    first, second, new_home = new_address(), new_address(), new_address()
    assert runner.invoke(args=["mint", first, "--name", "山田 太郎"]).exit_code == 0
    assert runner.invoke(args=["mint", second, "--name", "Jane Doe"]).exit_code == 0

    declined = runner.invoke(args=["revoke", "1", "--reason", "issued-in-error"], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    with app.app_context():
        job = db.session.scalars(sa.select(MintJob)).first()
        assert job is not None
        registry = ResidentRegistry(connect(app.config["CHAIN_RPC_URL"], 31337), job.contract_address)
    assert registry.owner_of(1) == first

    assert runner.invoke(args=["revoke", "1", "--reason", "issued-in-error"], input="y\n").exit_code == 0
    assert registry.owner_of(1) is None
    assert runner.invoke(args=["recover", "2", new_home, "--yes"]).exit_code == 0
    assert registry.owner_of(2) == new_home

    unchanged = runner.invoke(args=["update-card", "2", "--yes"])
    assert unchanged.exit_code == 0 and "nothing to do" in unchanged.output
    with app.app_context():
        card = db.session.get(IssuedCard, 2)
        assert card is not None
        card.display_name = "Jane Doe-Smith"  # e.g. a corrected name: the card is re-rendered
        db.session.commit()
    updated = runner.invoke(args=["update-card", "2", "--yes"])
    assert updated.exit_code == 0, updated.output
    with app.app_context():
        card = db.session.get(IssuedCard, 2)
        assert card is not None and registry.token_uri(2) == f"ipfs://{card.metadata_cid}"
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert [action for action in actions if action.startswith("card.")] == ["card.revoke", "card.recover", "card.update"]
        revoke = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "card.revoke")).one()
        assert revoke.target == "resident:1" and revoke.details["reason"] == "issued_in_error"
    missing = runner.invoke(args=["revoke", "1", "--reason", "unspecified", "--yes"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


# ---- crash and resume, in process ---------------------------------------------------------


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_crash_at_each_step_is_resumed_by_rerunning(boundary: str, chain, app_context: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    minter, registry = chain
    data, addresses = residents_csv(7)
    job = new_job(registry, data)
    tools = make_tools(minter, registry, tmp_path / "ipfs")

    with pytest.raises(InjectedFault):
        MintPipeline(tools, batch_size=3, fault=raise_at(boundary, nth=2)).run(job)
    db.session.rollback()  # what a dead process leaves: only what was committed
    db.session.expire_all()
    states = {row.state for row in job.residents}
    assert Step.CONFIRMED in states and states & {Step.PENDING, Step.RENDERED, Step.STORED, Step.SUBMITTED}

    report = MintPipeline(tools, batch_size=3).run(job)
    assert (report.confirmed, report.failed, report.still_open) == (7, 0, 0)
    assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]


def test_cards_lost_with_the_newest_blocks_are_minted_again(own_anvil: dict[str, object], app_context: Flask, tmp_path: Path) -> None:
    """The chain loses its newest blocks after the job recorded them confirmed (anvil killed before
    it saved its state, or a reorg): the rerun notices and mints the lost cards again, once."""
    minter, registry = deploy(own_anvil["process"].rpc_url)  # type: ignore[attr-defined]
    data, addresses = residents_csv(6)
    job = new_job(registry, data)
    tools = make_tools(minter, registry, tmp_path / "ipfs")
    snapshots: list[str] = []

    def snapshot_after_the_first_batch(boundary: str) -> None:
        if boundary == "confirmed" and not snapshots:
            snapshots.append(minter.w3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[arg-type]

    MintPipeline(tools, batch_size=3, fault=snapshot_after_the_first_batch).run(job)
    assert [row.state for row in job.residents] == [Step.CONFIRMED] * 6
    assert minter.w3.provider.make_request("evm_revert", [snapshots[0]])["result"] is True  # type: ignore[arg-type]
    assert registry.last_resident_number() == 3 and registry.card_of(addresses[3]) is None

    report = MintPipeline(tools, batch_size=3).run(job)
    assert (report.confirmed, report.failed, report.still_open) == (6, 0, 0)
    assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]


def test_a_transaction_mined_but_not_recorded_is_found_on_chain(chain, app_context: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    minter, registry = chain
    data, addresses = residents_csv(4)
    job = new_job(registry, data)
    tools = make_tools(minter, registry, tmp_path / "ipfs")
    with pytest.raises(InjectedFault):
        MintPipeline(tools, batch_size=4, fault=raise_at("mined")).run(job)
    db.session.rollback()
    db.session.expire_all()
    assert {row.state for row in job.residents} == {Step.SUBMITTED}
    sent = job.residents[0].transaction_hash
    assert registry.last_resident_number() == 4  # on chain already

    MintPipeline(tools, batch_size=4).run(job)
    assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]
    assert {row.transaction_hash for row in job.residents} == {sent}  # found, not sent again


class FlakyStore(LocalBlockstore):
    """A local store whose daemon 'goes down' after `working` adds."""

    def __init__(self, root: Path, working: int) -> None:
        super().__init__(root, durable=False)
        self.working = working

    def add(self, content):  # type: ignore[no-untyped-def]
        if self.working <= 0:
            raise DaemonUnavailable("The IPFS daemon at http://127.0.0.1:5001 did not answer. Start it and rerun.")
        self.working -= 1
        return super().add(content)


def test_ipfs_down_mid_batch_is_resumed(chain, app_context: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    minter, registry = chain
    data, addresses = residents_csv(5)
    job = new_job(registry, data)
    down = MintTools(registry, minter, FlakyStore(tmp_path / "ipfs", working=7), default_template(), SITE_URL)
    with pytest.raises(IpfsError):
        MintPipeline(down, batch_size=2).run(job)
    db.session.rollback()
    assert registry.last_resident_number() == 2  # the first batch went through, the rest waits

    tools = make_tools(minter, registry, tmp_path / "ipfs")
    MintPipeline(tools, batch_size=2).run(job)
    assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]


def test_numbers_taken_by_another_minter_are_re_rendered(chain, app_context: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another minter slips a card in after this batch was signed: the numbers shift, and the
    cards are re-rendered for the numbers they got and their metadata updated."""
    minter, registry = chain
    other = Minter(minter.w3, Account.from_key(SECOND_KEY))
    town_keys(minter.w3).admin.grant_role(registry.address, Role.MINTER, other.address)
    data, addresses = residents_csv(3)
    job = new_job(registry, data)
    tools = make_tools(minter, registry, tmp_path / "ipfs")
    intruder = new_address()

    def someone_else_mints(boundary: str) -> None:
        if boundary == "submitted" and registry.card_of(intruder) is None:
            other.mint(registry.address, intruder, bytes(range(32)))

    MintPipeline(tools, batch_size=3, fault=someone_else_mints).run(job)
    assert registry.card_of(intruder) == 1
    assert_minted_exactly(job, registry, tools.store, addresses, first=2)  # type: ignore[arg-type]


# ---- the chain node restarted ---------------------------------------------------------------


def test_batches_are_sized_to_what_one_transaction_may_carry(app_context: Flask, tmp_path: Path) -> None:
    """Asked for 20 per transaction on a node whose blocks hold 1,000,000 gas, the run estimates
    each batch before rendering it, says so once, and mints every resident in smaller batches."""
    node = start_anvil()
    try:
        minter, registry = deploy(node.rpc_url)
        assert minter.w3.provider.make_request("evm_setBlockGasLimit", [hex(1_000_000)])["result"] is True  # type: ignore[arg-type]
        minter.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # the latest block now shows the limit
        data, addresses = residents_csv(20)
        job = new_job(registry, data)
        tools = make_tools(minter, registry, tmp_path / "ipfs")
        notices: list[str] = []
        pipeline = MintPipeline(tools, batch_size=20, notice=notices.append)
        pipeline.run(job)
        assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]
        batches = {row.transaction_hash for row in job.residents}
        assert len(batches) == 2 and 10 <= pipeline.batch_size < 20
        assert notices == [
            f"A batch of 20 cards does not fit in one transaction: at most 1,000,000 gas may be used (EIP-7825 caps a transaction at "
            f"16,777,216; this node's block gas limit is 1,000,000). Minting {pipeline.batch_size} cards per transaction instead."
        ]
    finally:
        node.stop()


@pytest.fixture
def own_anvil(tmp_path: Path) -> Iterator[dict[str, object]]:
    """An anvil of this test's own, with its state in a file so it can be stopped and restarted."""
    node = {"port": free_port(), "state": tmp_path / "chain-state.json"}
    node["process"] = start_anvil(node["port"], state_path=node["state"])  # type: ignore[arg-type]
    yield node
    node["process"].stop()  # type: ignore[attr-defined]


@pytest.mark.parametrize("boundary", ["stored", "submitted", "mined"])
def test_the_chain_node_restarted_mid_batch(boundary: str, own_anvil: dict[str, object], app_context: Flask, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{own_anvil['port']}"
    minter, registry = deploy(url)
    data, addresses = residents_csv(6)
    job = new_job(registry, data)
    tools = make_tools(minter, registry, tmp_path / "ipfs")

    def stop_the_node(reached: str) -> None:
        if reached == boundary and job.residents[3].state != Step.PENDING:
            own_anvil["process"].stop()  # type: ignore[attr-defined]  # SIGTERM: anvil saves its state

    with pytest.raises((MintError, ChainError, InjectedFault)):
        MintPipeline(tools, batch_size=2, fault=stop_the_node).run(job)
    db.session.rollback()

    own_anvil["process"] = start_anvil(own_anvil["port"], state_path=own_anvil["state"])  # type: ignore[arg-type]
    minter = town_keys(connect(url, 31337)).minter
    registry = ResidentRegistry(minter.w3, registry.address)
    tools = make_tools(minter, registry, tmp_path / "ipfs")
    MintPipeline(tools, batch_size=2).run(job)
    assert_minted_exactly(job, registry, tools.store, addresses)  # type: ignore[arg-type]


# ---- a hard kill of the real command --------------------------------------------------------


def test_the_command_killed_hard_is_resumed_by_rerunning_it(anvil: AnvilProcess, tmp_path: Path) -> None:
    _, registry = deploy(anvil.rpc_url)
    data, addresses = residents_csv(6)
    path = tmp_path / "residents.csv"
    path.write_bytes(data)
    env = {
        **os.environ,
        "RESIDENTS_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'residents.sqlite3'}",
        "SECRET_KEY": "test",
        "CHAIN_RPC_URL": anvil.rpc_url,
        "CHAIN_ID": "31337",
        "RESIDENT_CONTRACT_ADDRESS": registry.address,
    }
    env.pop(FAULT_ENV, None)

    def residents(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
        run_env = {**env, FAULT_ENV: fault} if fault else env
        return subprocess.run([sys.executable, "-c", "from scripts.cli import main; main()", *args], cwd=PROJECT_ROOT, env=run_env, capture_output=True, text=True, timeout=120)

    assert residents("db", "upgrade").returncode == 0
    killed = residents("mint-batch", str(path), "--batch-size", "4", fault="mined")
    assert killed.returncode == FAULT_EXIT_CODE, killed.stderr
    assert registry.last_resident_number() == 4  # the first batch is on chain, unrecorded

    status = residents("mint-status", "1")
    assert "submitted 4" in status.stdout and "pending 2" in status.stdout

    resumed = residents("mint-batch", str(path), "--batch-size", "4")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming job 1" in resumed.stdout and "6 minted" in resumed.stdout

    report = (tmp_path / "instance" / "mint-jobs" / "job-1.csv").read_text("utf-8").splitlines()[1:]
    rows = [line.split(",") for line in report]
    assert [row[1] for row in rows] == addresses
    assert registry.last_resident_number() == 6
    store = LocalBlockstore(tmp_path / "instance" / "ipfs")
    for number, row in enumerate(rows, start=1):
        assert row[3] == "confirmed" and int(row[4]) == number
        assert registry.token_uri(number) == row[7] == f"ipfs://{row[6]}"
        assert file_cid(store.cat(row[6])) == row[6]
        assert json.loads(store.cat(row[6]))["image"] == f"ipfs://{row[5]}"
