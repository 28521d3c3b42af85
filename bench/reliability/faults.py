"""Faults injected into the running production profile, each followed by a count of what was
lost or doubled. Every fault returns a result dict: {"name", "status": "passed"|"failed"|
"skipped", "reason"?, "checks": {...}, ...}."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from bench.reliability.load import WRITES_ONLY, Stage, forum_counters_consistent, lost_and_doubled, resident_address, run_load, summary
from scripts.prod_local import BIN, ROOT, Profile, _ipfs_answers

PG_VERSION_DIR = Path("/etc/postgresql")


def result(name: str, checks: dict[str, Any], ok: bool, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": "passed" if ok else "failed", "checks": checks, **extra}


def skipped(name: str, reason: str) -> dict[str, Any]:
    return {"name": name, "status": "skipped", "reason": reason}


# -- PostgreSQL restarted under load ---------------------------------------------------------------


def pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir(PG_VERSION_DIR)) if PG_VERSION_DIR.exists() else []
    if not versions:
        raise FileNotFoundError("no /etc/postgresql/<version>")
    return versions[-1], "main"


def pg_online() -> bool:
    version, cluster = pg_cluster()
    done = subprocess.run(["pg_lsclusters", "--no-header", version, cluster], capture_output=True, text=True)
    return "online" in done.stdout


def ensure_pg_running() -> None:
    """Whatever happened, leave the machine's shared PostgreSQL running."""
    if not pg_online():
        version, cluster = pg_cluster()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "start"], check=False, timeout=60)


def postgres_restart_under_load(app: Flask, profile: Profile, stage: Stage, concurrency: int) -> dict[str, Any]:
    name = "PostgreSQL restarted under load"
    try:
        version, cluster = pg_cluster()
    except FileNotFoundError as error:
        return skipped(name, str(error))
    timing: dict[str, float] = {}
    begin = time.monotonic()

    def restart() -> None:
        time.sleep(6)
        timing["down_at"] = time.monotonic() - begin
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "-m", "fast"], check=True, timeout=120)
        timing["up_at"] = time.monotonic() - begin

    try:
        outcome, seconds = run_load(profile.site_url, stage, 25, concurrency, WRITES_ONLY | {"browse_forums": 3, "my_page": 2}, during=restart)
    finally:
        ensure_pg_running()
    time.sleep(1)
    statuses = outcome.timeline
    after_up = [status for moment, status in statuses if moment > timing.get("up_at", 1e9) + 3]
    checks = {
        "server_errors_500": outcome.server_errors,
        "unavailable_503": outcome.unavailable,
        "succeeded_after_restart": sum(1 for status in after_up if 200 <= status < 400),
        "failed_after_restart_plus_3s": sum(1 for status in after_up if status >= 500 or status == 0),
        **lost_and_doubled(app, outcome),
        **forum_counters_consistent(app, stage.category_slug),
    }
    ok = (
        checks["server_errors_500"] == 0
        and checks["succeeded_after_restart"] > 0
        and checks["failed_after_restart_plus_3s"] == 0
        and all(checks[key] == 0 for key in ("lost_posts", "doubled_posts", "lost_rsvps", "rsvps_not_as_answered", "threads_with_wrong_counters", "categories_with_wrong_counters", "posts_without_thread"))
    )
    return result(name, checks, ok, restart_seconds=round(timing.get("up_at", 0) - timing.get("down_at", 0), 1), load=summary(outcome, seconds))


# -- the app killed mid-request ----------------------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def worker_killed_mid_request(app: Flask, profile: Profile, stage: Stage, concurrency: int, kills: int = 4) -> dict[str, Any]:
    name = "app worker SIGKILLed during POSTs"
    master = profile.services["web"].pid
    killed: list[int] = []

    def kill_workers() -> None:
        for _ in range(kills):
            time.sleep(3)
            workers = worker_pids(master)
            if workers:
                victim = workers[len(killed) % len(workers)]
                os.kill(victim, signal.SIGKILL)  # a worker of the gunicorn this suite started
                killed.append(victim)

    outcome, seconds = run_load(profile.site_url, stage, 18, concurrency, WRITES_ONLY, during=kill_workers)
    time.sleep(2)
    checks = {
        "workers_killed": len(killed),
        "requests_cut_off": sum(outcome.failures.values()),
        "server_errors_500": outcome.server_errors,
        "workers_after": len(worker_pids(master)),
        **lost_and_doubled(app, outcome),
        **forum_counters_consistent(app, stage.category_slug),
    }
    ok = checks["workers_killed"] == kills and checks["server_errors_500"] == 0 and checks["workers_after"] > 0 and all(
        checks[key] == 0 for key in ("lost_posts", "doubled_posts", "lost_rsvps", "rsvps_not_as_answered", "threads_with_wrong_counters", "categories_with_wrong_counters", "posts_without_thread")
    )
    return result(name, checks, ok, load=summary(outcome, seconds))


# -- batch mints with the chain node or IPFS taken away ------------------------------------------------------


def write_csv(path: Path, first: int, count: int) -> list[str]:
    addresses = [resident_address(first + index) for index in range(count)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["address", "display_name"])
        for index, address in enumerate(addresses):
            writer.writerow([address, f"西川 住民{first + index}"])
    return addresses


def mint_states(app: Flask, addresses: list[str]) -> dict[str, int]:
    from minting.models import MintJobResident

    with app.app_context():
        rows = db.session.execute(sa.select(MintJobResident.state, sa.func.count()).where(MintJobResident.address.in_(addresses)).group_by(MintJobResident.state)).all()
        db.session.rollback()
    return {str(state): int(count) for state, count in rows}


def start_mint(profile: Profile, csv_path: Path, batch_size: int) -> subprocess.Popen[bytes]:
    log = profile.log(f"mint-{csv_path.stem}").open("ab")
    return subprocess.Popen([str(BIN / "residents"), "mint-batch", str(csv_path), "--batch-size", str(batch_size)], env=profile.environment(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def finish(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # the mint this fault started
        process.wait()
        return None


def chain_cards(profile: Profile, addresses: list[str]) -> dict[str, int | None]:
    from app.chain.client import ResidentRegistry, connect
    from app.chain.service import find_deployment

    app = profile_app(profile)
    with app.app_context():
        deployment = find_deployment(31337)
        assert deployment is not None
        address = deployment.address
    registry = ResidentRegistry(connect(profile.chain_url, 31337), address)
    return {wallet: registry.card_of(wallet) for wallet in addresses}


_apps: dict[str, Flask] = {}


def profile_app(profile: Profile) -> Flask:
    from app import create_app
    from app.config import Config

    if profile.site_url not in _apps:
        _apps[profile.site_url] = create_app(Config(profile.environment()))
    return _apps[profile.site_url]


def mint_outcome(app: Flask, profile: Profile, addresses: list[str]) -> dict[str, Any]:
    """Each wallet holds exactly one card, numbers distinct, every job row confirmed and true:
    the number the job table records for a wallet is the card that wallet holds on the chain."""
    from minting.models import MintJobResident

    cards = chain_cards(profile, addresses)
    numbers = [number for number in cards.values() if number]
    states = mint_states(app, addresses)
    with app.app_context():
        recorded = db.session.execute(sa.select(MintJobResident.address, MintJobResident.resident_number).where(MintJobResident.address.in_(addresses))).all()
        claimed = Counter(number for _, number in recorded if number is not None)
        db.session.rollback()
    return {
        "wallets": len(addresses),
        "wallets_without_card": sum(1 for number in cards.values() if not number),
        "duplicate_numbers": len(numbers) - len(set(numbers)),
        "job_rows": sum(states.values()),
        "job_rows_confirmed": states.get("confirmed", 0),
        "job_rows_differing_from_chain": sum(1 for wallet, number in recorded if cards.get(wallet) != number),
        "job_numbers_claimed_twice": sum(1 for count in claimed.values() if count > 1),
        "job_states": states,
    }


def mint_ok(checks: dict[str, Any]) -> bool:
    return (
        checks["wallets_without_card"] == 0
        and checks["duplicate_numbers"] == 0
        and checks["job_rows"] == checks["wallets"] == checks["job_rows_confirmed"]
        and checks["job_rows_differing_from_chain"] == 0
        and checks["job_numbers_claimed_twice"] == 0
    )


def anvil_killed_during_mint(app: Flask, profile: Profile, workdir: Path, first: int, count: int = 200) -> dict[str, Any]:
    name = f"anvil killed and restarted during a batch mint of {count}"
    csv_path = workdir / "anvil-fault.csv"
    addresses = write_csv(csv_path, first, count)
    mint = start_mint(profile, csv_path, batch_size=20)
    started = time.monotonic()
    reached = wait_until(lambda: mint_states(app, addresses).get("confirmed", 0) >= 60, 180)
    confirmed_at_kill = mint_states(app, addresses).get("confirmed", 0)
    profile.services["anvil"].kill()
    first_exit = finish(mint, 120)
    time.sleep(1)
    profile.restart("anvil")
    rerun = start_mint(profile, csv_path, batch_size=20)
    second_exit = finish(rerun, 300)
    seconds = time.monotonic() - started
    checks = {"killed_after_confirmed": confirmed_at_kill, "first_run_exit": first_exit, "rerun_exit": second_exit, **mint_outcome(app, profile, addresses)}
    return result(name, checks, reached and second_exit == 0 and mint_ok(checks), seconds=round(seconds, 1))


def anvil_killed_during_catch_up(app: Flask, profile: Profile, workdir: Path, first: int, count: int = 100) -> dict[str, Any]:
    name = "anvil killed and restarted during indexer catch-up"
    from app.chain.models import Holding

    profile.services["indexer"].stop()
    csv_path = workdir / "catch-up.csv"
    addresses = write_csv(csv_path, first, count)
    mint_exit = finish(start_mint(profile, csv_path, batch_size=25), 300)
    time.sleep(2)  # anvil writes its state every second: let these blocks reach the file
    profile.restart("indexer")
    time.sleep(0.3)
    profile.services["anvil"].kill()
    time.sleep(3)
    profile.restart("anvil")

    def holdings_match() -> bool:
        with app.app_context():
            held = dict(db.session.execute(sa.select(Holding.holder, Holding.resident_number).where(Holding.holder.in_(addresses))).all())
            db.session.rollback()
        return len(held) == count

    caught_up = wait_until(holdings_match, 90, every=1)
    cards = chain_cards(profile, addresses)
    with app.app_context():
        held = dict(db.session.execute(sa.select(Holding.holder, Holding.resident_number).where(Holding.holder.in_(addresses))).all())
        db.session.rollback()
    mismatched = sum(1 for wallet in addresses if held.get(wallet) != cards.get(wallet))
    checks = {"mint_exit": mint_exit, "holdings_rows": len(held), "holdings_differing_from_chain": mismatched, "indexer_running": profile.services["indexer"].running, "healthz_ok": wait_until(profile.healthy, 30, every=1)}
    return result(name, checks, mint_exit == 0 and caught_up and mismatched == 0 and checks["indexer_running"] and checks["healthz_ok"])


def ipfs_stopped_during_mint(app: Flask, profile: Profile, workdir: Path, first: int, count: int = 200) -> dict[str, Any]:
    name = f"IPFS daemon stopped during a batch mint of {count}"
    if "ipfs" not in profile.services:
        return skipped(name, "the profile runs without a js-ipfs daemon (toolchain/ipfs not installed)")
    import httpx

    from minting.models import MintJobResident

    csv_path = workdir / "ipfs-fault.csv"
    addresses = write_csv(csv_path, first, count)
    mint = start_mint(profile, csv_path, batch_size=20)
    reached = wait_until(lambda: mint_states(app, addresses).get("confirmed", 0) >= 40, 240)
    confirmed_at_stop = mint_states(app, addresses).get("confirmed", 0)
    profile.services["ipfs"].kill()
    first_exit = finish(mint, 120)
    profile.restart("ipfs")
    second_exit = finish(start_mint(profile, csv_path, batch_size=20), 300)
    checks: dict[str, Any] = {"stopped_after_confirmed": confirmed_at_stop, "first_run_exit": first_exit, "rerun_exit": second_exit, **mint_outcome(app, profile, addresses)}
    with app.app_context():
        cids = db.session.scalars(sa.select(MintJobResident.metadata_cid).where(MintJobResident.address.in_(addresses))).all()
        db.session.rollback()
    missing = 0
    for cid in cids:
        try:
            answer = httpx.post(f"http://127.0.0.1:{profile.ports.ipfs_api}/api/v0/cat", params={"arg": cid}, timeout=10)
            missing += answer.status_code != 200
        except httpx.HTTPError:
            missing += 1
    checks["metadata_missing_from_daemon"] = missing
    return result(name, checks, reached and second_exit == 0 and mint_ok(checks) and missing == 0 and _ipfs_answers(profile.ports.ipfs_api))
