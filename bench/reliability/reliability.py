"""The reliability suite (`make reliability`): load, faults and hostile input against the
production profile (gunicorn + PostgreSQL + Redis + anvil + indexer [+ js-ipfs]) on this machine.

1. Start the profile on free ports with a fresh PostgreSQL database `residents_reliability`.
2. Load: mixed traffic (browse forums, read threads, post, RSVP, my page) for 60 s; zero 5xx,
   zero lost or doubled posts and RSVPs (counted in the database afterwards).
3. Faults, each followed by the same counts: PostgreSQL restarted under load, gunicorn workers
   SIGKILLed during POSTs, anvil killed during a batch mint of 200 and during indexer catch-up,
   the IPFS daemon killed during a batch mint of 200.
4. Hostile input: the hypothesis suite (tests/unit/test_hostile_input.py, with the input-layer
   and deep-JSON tests) on a PostgreSQL database of its own, seeded, its failing examples kept
   in build/hypothesis; then against the live profile: an oversize body refused before it is
   sent, 100,000-deep JSON bodies answered 400 by every worker (none dies), a sign-in burst held
   by the shared Redis limit across all workers, and a forged X-Forwarded-For that must not buy
   a fresh allowance (the profile trusts no proxy: TRUSTED_PROXY_HOPS=0).

RELIABILITY_PARTS=hostile runs only part 4 (no load, no faults, no PostgreSQL restart).

Writes bench/results/reliability.json, prints a table, exits 1 when a budget fails. The shared
PostgreSQL is restarted once (a few seconds) and is left running whatever happens.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.reliability import faults  # noqa: E402
from bench.reliability.load import MIXED_TRAFFIC, cpu_busy, forum_counters_consistent, lost_and_doubled, run_load, seed, summary  # noqa: E402
from scripts.prod_local import JSIPFS, NODE, POSTGRES_ADMIN, Ports, Profile, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reliability.json"
DATABASE = "residents_reliability"
LOAD_SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", 60))
#: Enough visitors that gunicorn's workers and PostgreSQL keep both cores busy.
CONCURRENCY = int(os.environ.get("RELIABILITY_CONCURRENCY", 16))
RESIDENTS = 64
SUITE_LIMIT_SECONDS = 15 * 60
#: "all", or "hostile" for the hostile-input part alone (leaves the shared PostgreSQL running).
PARTS = os.environ.get("RELIABILITY_PARTS", "all")
HOSTILE_TESTS = ("tests/unit/test_hostile_input.py", "tests/unit/test_input_layer.py", "tests/unit/test_deep_json.py")
HYPOTHESIS_DATABASE = "residents_reliability_hypothesis"


def budget(name: str, value: float, limit: float, unit: str, at_least: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "limit": limit, "unit": unit, "comparison": ">=" if at_least else "<=", "ok": value >= limit if at_least else value <= limit}


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split(" sha")[0]
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpuModel": model,
        "hostname": socket.gethostname(),
        "platform": f"{platform.system().lower()} {platform.release()} {platform.machine()}",
        "postgresql": postgres,
        "redis": redis,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def fresh_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def hostile_input_suite() -> dict[str, Any]:
    """Run the hypothesis and input-layer tests on SQLite and on a fresh PostgreSQL database; report their counts."""
    started = time.monotonic()
    fresh_database(HYPOTHESIS_DATABASE)
    env = {**os.environ, "TEST_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{HYPOTHESIS_DATABASE}"}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "pytest"), *HOSTILE_TESTS, "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    last = [line for line in done.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    counts = {word: 0 for word in ("passed", "failed", "xfailed", "error")}
    if last:
        tokens = last[-1].strip("= ").replace(",", "").split()
        for value, word in zip(tokens, tokens[1:]):
            if value.isdigit() and word in counts:
                counts[word] = int(value)
    report = {"exit": done.returncode, "summary": last[-1].strip("= ") if last else done.stdout[-500:], "seconds": round(time.monotonic() - started, 1), "databases": ["sqlite", "postgresql"], "examples": "build/hypothesis", **counts}
    if done.returncode != 0:
        # The failing examples are in build/hypothesis too; this is what to read first.
        report["failures"] = done.stdout[-6000:]
    return report


def live_oversize_body(profile: Profile) -> dict[str, Any]:
    """Announce 100 MB and send none of it: gunicorn + Flask must answer 413 at once."""
    with socket.create_connection(("127.0.0.1", profile.ports.web), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /sign-in/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n")
        answer = sock.recv(200)
        seconds = time.monotonic() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return {"status": status, "seconds": round(seconds, 3)}


def live_sign_in_burst(profile: Profile, count: int = 40) -> dict[str, Any]:
    """One address, many requests spread over every worker: the Redis-backed limit (20/min) holds."""
    with httpx.Client(base_url=profile.site_url, timeout=10) as client:
        page = client.get("/sign-in")
        token = page.text.split('"csrfToken": "', 1)[1].split('"', 1)[0] if '"csrfToken": "' in page.text else ""
        cookie = page.headers.get("set-cookie", "").split(";", 1)[0]
        statuses = [client.post("/sign-in/message", json={"address": "0x" + "cd" * 20}, headers={"X-CSRFToken": token, "Cookie": cookie}).status_code for _ in range(count)]
    return {"requests": count, "accepted": statuses.count(200), "refused_429": statuses.count(429), "other": len(statuses) - statuses.count(200) - statuses.count(429)}


def _csrf_session(client: httpx.Client) -> dict[str, str]:
    page = client.get("/sign-in")
    token = page.text.split('"csrfToken": "', 1)[1].split('"', 1)[0] if '"csrfToken": "' in page.text else ""
    return {"X-CSRFToken": token, "Cookie": page.headers.get("set-cookie", "").split(";", 1)[0]}


def live_nested_json(profile: Profile, rounds: int = 12) -> dict[str, Any]:
    """The 100,000-deep body that killed workers with SIGSEGV, to both JSON sign-in endpoints,
    enough times to reach every gunicorn worker: each must answer 400 `bad_request`, alive."""
    body = "[" * 100_000 + "]" * 100_000
    answers: list[str] = []
    with httpx.Client(base_url=profile.site_url, timeout=10) as client:
        headers = _csrf_session(client)
        for index in range(rounds):
            path = "/sign-in/message" if index % 2 == 0 else "/sign-in"
            try:
                response = client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
                answers.append(f"{response.status_code} {(response.json() or {}).get('error') if response.headers.get('content-type', '').startswith('application/json') else ''}".strip())
            except httpx.HTTPError as error:  # a worker that died mid-request
                answers.append(type(error).__name__)
        after = client.get("/healthz").status_code
    refused = answers.count("400 bad_request")
    return {"requests": rounds, "answered_400_bad_request": refused, "other": [a for a in answers if a != "400 bad_request"], "next_request_status": after}


def live_forged_forwarded_for(profile: Profile, count: int = 14) -> dict[str, Any]:
    """Bad sign-ins from one client, each with a made-up X-Forwarded-For: with no trusted proxy
    (TRUSTED_PROXY_HOPS=0) they share one allowance (10/min), so the forgery buys nothing."""
    statuses = []
    with httpx.Client(base_url=profile.site_url, timeout=10) as client:
        headers = _csrf_session(client)
        for index in range(count):
            forged = {**headers, "X-Forwarded-For": f"198.51.100.{index + 1}"}
            statuses.append(client.post("/sign-in", json={"message": "x", "signature": "0x00"}, headers=forged).status_code)
    return {"requests": count, "refused_400": statuses.count(400), "refused_429": statuses.count(429), "other": len(statuses) - statuses.count(400) - statuses.count(429)}


def live_hostile_input(profile: Profile) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    oversize = live_oversize_body(profile)
    burst = live_sign_in_burst(profile)
    nested = live_nested_json(profile)
    forged = live_forged_forwarded_for(profile)
    budgets = [
        budget("live: 100 MB announced body refused with 413 (status)", oversize["status"], 413, "status", at_least=True) | {"ok": oversize["status"] == 413},
        budget("live: 100 MB announced body refused within", oversize["seconds"], 2.0, "s"),
        budget("live: sign-in burst of 40 accepted past the 20/min limit", max(burst["accepted"] - 20, 0), 0, "requests"),
        budget("live: sign-in burst refused with 429", burst["refused_429"], 20, "requests", at_least=True),
        budget("live: 100,000-deep JSON bodies not answered 400 bad_request", nested["requests"] - nested["answered_400_bad_request"], 0, "requests"),
        budget("live: site answers after the deep bodies (status)", nested["next_request_status"], 200, "status", at_least=True) | {"ok": nested["next_request_status"] == 200},
        budget("live: forged X-Forwarded-For sign-ins past the 10/min limit", forged["refused_400"] - 10 if forged["refused_400"] > 10 else 0, 0, "requests"),
        budget("live: forged X-Forwarded-For sign-ins refused with 429", forged["refused_429"], forged["requests"] - 10, "requests", at_least=True),
    ]
    return {"oversize_body": oversize, "sign_in_burst": burst, "nested_json": nested, "forged_forwarded_for": forged}, budgets


def print_table(report: dict[str, Any]) -> None:
    print()
    print(f"{'budget':<58} {'value':>10} {'limit':>10}  unit       ok")
    for row in report["budgets"]:
        value = f"{row['value']:,.1f}" if isinstance(row["value"], float) else f"{row['value']:,}"
        print(f"{row['name']:<58} {value:>10} {row['comparison']} {row['limit']:>7,}  {row['unit']:<10} {'yes' if row['ok'] else 'NO'}")
    print()
    load = report.get("load", {})
    if load:
        print(f"load: {load['requests']:,} requests in {load['seconds']} s = {load['requests_per_second']} req/s at concurrency {report['concurrency']}; p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, p99 {load['p99_ms']} ms; statuses {load['statuses']}; CPU busy {report.get('cpu_busy_percent')} %")
    for fault in report["faults"]:
        print(f"fault: {fault['name']}: {fault['status'].upper()}" + (f" ({fault['reason']})" if fault.get("reason") else f" {json.dumps(fault.get('checks', {}), ensure_ascii=False)}"))
    print(f"\nsuite: {report['seconds']} s (limit {SUITE_LIMIT_SECONDS} s); results in {RESULTS.relative_to(ROOT)}")


def load_part(app: Any, profile: Profile, report: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """Mixed traffic for LOAD_SECONDS; nothing lost or doubled."""
    stage = seed(app, RESIDENTS)
    print(f"Load: {LOAD_SECONDS:.0f} s of mixed traffic at concurrency {CONCURRENCY} ...")
    with cpu_busy() as cpu:
        outcome, seconds = run_load(profile.site_url, stage, LOAD_SECONDS, CONCURRENCY, MIXED_TRAFFIC)
    report["cpu_busy_percent"] = cpu["cpu_busy_percent"]
    load = summary(outcome, seconds)
    counts = lost_and_doubled(app, outcome)
    integrity = forum_counters_consistent(app, stage.category_slug)
    report["load"] = {**load, **counts, **integrity}
    errors = sum(count for status, count in outcome.statuses.items() if status >= 500) + sum(outcome.failures.values())
    return stage, [
        budget("load: 5xx responses and connection errors", errors, 0, "requests"),
        budget("load: posts acknowledged but lost or doubled", counts["lost_posts"] + counts["doubled_posts"] + counts["posts_with_other_ids"], 0, "posts"),
        budget("load: RSVPs acknowledged but lost or not as answered", counts["lost_rsvps"] + counts["rsvps_not_as_answered"], 0, "RSVPs"),
        budget("load: forum counters disagreeing with rows", sum(integrity.values()), 0, "rows"),
        budget("load: posts acknowledged", load["posts_acknowledged"], 1, "posts", at_least=True),
        budget("load: RSVPs acknowledged", load["rsvps_acknowledged"], 1, "RSVPs", at_least=True),
        budget("load: requests per second", load["requests_per_second"], 1, "req/s", at_least=True),
        budget("load: CPU busy (both cores)", cpu["cpu_busy_percent"], 75.0, "%", at_least=True),
    ]


def fault_part(app: Any, profile: Profile, stage: Any, workdir: Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each fault, followed by the same counts of what was lost or doubled."""
    budgets = []
    steps = [
        ("PostgreSQL restarted under load", lambda: faults.postgres_restart_under_load(app, profile, stage, 8)),
        ("app worker SIGKILLed during POSTs", lambda: faults.worker_killed_mid_request(app, profile, stage, 8)),
        ("anvil killed during a batch mint", lambda: faults.anvil_killed_during_mint(app, profile, workdir, 10_000)),
        ("anvil killed during indexer catch-up", lambda: faults.anvil_killed_during_catch_up(app, profile, workdir, 20_000)),
        ("IPFS daemon stopped during a batch mint", lambda: faults.ipfs_stopped_during_mint(app, profile, workdir, 30_000)),
    ]
    for name, step in steps:
        print(f"Fault: {name} ...", flush=True)
        try:
            outcome_of_fault = step()
        except Exception as error:  # a fault that breaks the harness is a failure, with its reason
            outcome_of_fault = {"name": name, "status": "failed", "reason": f"{type(error).__name__}: {error}"}
        print(f"  {outcome_of_fault['name']}: {outcome_of_fault['status']}", flush=True)
        report["faults"].append(outcome_of_fault)
        budgets.append(budget(f"fault: {outcome_of_fault['name']}", int(outcome_of_fault["status"] == "failed"), 0, "failed") | {"status": outcome_of_fault["status"]})
    return budgets


def run(workdir: Path) -> dict[str, Any]:
    suite_started = time.monotonic()
    report: dict[str, Any] = {"benchmark": "reliability", "machine": machine(), "concurrency": CONCURRENCY, "parts": PARTS, "faults": []}
    budgets: list[dict[str, Any]] = []

    hostile = hostile_input_suite()
    report["hostile_input"] = hostile
    budgets.append(budget("hostile input: hypothesis tests failing (never a 500)", hostile["failed"] + hostile["error"], 0, "tests"))
    budgets.append(budget("hostile input: tests run (SQLite and PostgreSQL)", hostile["passed"], 100, "tests", at_least=True))

    fresh_database(DATABASE)
    ipfs = NODE.exists() and JSIPFS.exists()
    profile = Profile(workdir / "instance", Ports(web=free_port(), chain=free_port(), ipfs_api=free_port(), ipfs_gateway=free_port()), DATABASE, ipfs_daemon=ipfs)
    try:
        print("Starting the production profile (gunicorn, PostgreSQL, Redis, anvil, indexer" + (", js-ipfs" if ipfs else "") + ") ...")
        profile.start()
        app = faults.profile_app(profile)
        stage = None
        if PARTS != "hostile":
            stage, load_budgets = load_part(app, profile, report)
            budgets += load_budgets
        print("Live hostile input ...")
        report["live_hostile_input"], live_budgets = live_hostile_input(profile)
        budgets += live_budgets
        if PARTS != "hostile":
            budgets += fault_part(app, profile, stage, workdir, report)
    finally:
        if PARTS != "hostile":
            faults.ensure_pg_running()
        profile.stop()

    report["seconds"] = round(time.monotonic() - suite_started, 1)
    budgets.append(budget("suite wall time", report["seconds"], SUITE_LIMIT_SECONDS, "s"))
    report["budgets"] = budgets
    return report


def main() -> int:
    # Under build/ (ignored by git), not /tmp: the logs of a failed run stay there to be read.
    workdir = ROOT / "build" / "reliability" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    workdir.mkdir(parents=True)
    report = run(workdir)
    report["workdir"] = str(workdir.relative_to(ROOT))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(report)
    return 0 if all(row["ok"] for row in report["budgets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
