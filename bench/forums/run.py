"""Forum benchmark: 10,000 residents and 100,000 posts, a thread page of 50 posts and a category
page at 8 concurrent clients against the app under gunicorn, and queries per page view.

    make bench-forums            (or: .venv/bin/python bench/forums/run.py [--quick])

Steps:
1. Build two SQLite databases with the real migrations and bulk inserts: a small one
   (1,000 residents, 10,000 posts) and the full one (10,000 residents, 100,000 posts).
2. Count the SQL statements of each page view in-process (SQLAlchemy event listener) on both;
   the budget is a fixed number that must be the same at both sizes.
3. Serve the full database with gunicorn on a free port on 127.0.0.1 and measure requests/s and
   p95 latency at 8 concurrent clients: the thread page and the category page, each read by a
   signed-in resident in a residents-only category (gated) and anonymously in a public category
   holding the same threads (gating off). CHAIN_RPC_URL points at a counting stub: a page view
   must make 0 chain calls.
Writes bench/results/forums.json, prints a table, exits 1 if a budget fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "forums.json"
SECRET = "bench-forums-secret-key-not-for-production"
POSTS_PER_THREAD = 50
#: Budgets. Queries: the number must not grow with data (checked at two sizes) and stay small.
QUERY_LIMIT = 16
#: 8 clients on 2 sync workers queue about 4 deep, so p95 is several service times.
P95_LIMIT_MS = 300.0
RPS_FLOOR = 40.0
GATED_RATIO = 0.85


# -- data ----------------------------------------------------------------------------------------

BODIES = [
    "月山の麓の温泉に行きました。雪が深くて驚きました。",
    "西川町の**山菜**料理がおいしかったです。[町のサイト](https://www.town.nishikawa.yamagata.jp/)",
    "来月のメタバース交流会、楽しみにしています。\n\n- 日時: 土曜日\n- 場所: オンライン",
    "Visited Nishikawa for the first time. The snow corridor on Mt. Gassan was amazing!",
    "> 温泉の営業時間は?\n\n午前10時から午後9時までです。",
    "デジタル住民票のカード、届きました。番号は大事にします。",
]


def address(n: int) -> str:
    return "0x" + f"{n:040x}"


def build_database(folder: Path, residents: int, posts: int) -> dict[str, Any]:
    """Create the schema with the migrations and bulk-insert residents, threads and posts."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from community.forums.markdown import render_post
    from community.forums.search import grams_of

    app = create_app(Config(bench_env(folder, chain_port=1)))
    started = time.perf_counter()
    rendered = [(body, str(render_post(body)), grams_of(body)) for body in BODIES]
    now = datetime.now(UTC) - timedelta(days=30)
    threads = posts // POSTS_PER_THREAD
    random.seed(7)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(sa.text("PRAGMA synchronous=OFF"))
            connection.execute(
                sa.text("INSERT INTO accounts (id, address, display_name, locale, created_at) VALUES (:id, :address, :name, NULL, :at)"),
                [{"id": n, "address": address(n), "name": f"住民{n}", "at": now} for n in range(1, residents + 1)],
            )
            connection.execute(
                sa.text("INSERT INTO holdings (resident_number, holder, locked, minted_block, minted_at, acquired_block) VALUES (:n, :address, 1, 1, :at, 1)"),
                [{"n": n, "address": address(n), "at": now} for n in range(1, residents + 1)],
            )
            categories = [(1, "members", "residents"), (2, "town", "public"), (3, "chat", "residents")]
            connection.execute(
                sa.text(
                    "INSERT INTO forum_categories (id, slug, name_ja, name_en, description_ja, description_en, position, visibility, thread_count, post_count, created_at) "
                    "VALUES (:id, :slug, :slug, :slug, '', '', :id, :visibility, 0, 0, :at)"
                ),
                [{"id": cid, "slug": slug, "visibility": visibility, "at": now} for cid, slug, visibility in categories],
            )
            # Threads 1 and 2 are twins (same posts and authors): one residents-only, one public.
            thread_rows, post_rows = [], []
            post_id = 0
            for thread_id in range(1, threads + 1):
                category_id = 1 if thread_id == 1 else 2 if thread_id == 2 else (1, 2, 3)[thread_id % 3]
                authors = [random.randint(1, residents) for _ in range(POSTS_PER_THREAD)] if thread_id != 2 else twin_authors
                if thread_id == 1:
                    twin_authors = authors
                first = post_id + 1
                for index in range(POSTS_PER_THREAD):
                    post_id += 1
                    source, html, grams = rendered[(index + (0 if thread_id <= 2 else thread_id)) % len(rendered)]
                    post_rows.append({"id": post_id, "thread_id": thread_id, "author_id": authors[index], "source": source, "html": html, "grams": grams, "at": now + timedelta(seconds=post_id)})
                title = f"スレッド {thread_id}: 西川町の話題"
                thread_rows.append({
                    "id": thread_id, "category_id": category_id, "author_id": authors[0], "title": title, "at": now + timedelta(seconds=first),
                    "last_id": post_id, "last_at": now + timedelta(seconds=post_id), "count": POSTS_PER_THREAD, "pinned": thread_id % 500 == 3, "grams": grams_of(title),
                })
            connection.execute(
                sa.text(
                    "INSERT INTO forum_threads (id, category_id, author_id, title, created_at, last_post_id, last_post_at, post_count, pinned, locked, search_grams) "
                    "VALUES (:id, :category_id, :author_id, :title, :at, :last_id, :last_at, :count, :pinned, 0, :grams)"
                ),
                thread_rows,
            )
            connection.execute(
                sa.text(
                    "INSERT INTO forum_posts (id, thread_id, author_id, body_source, body_html, created_at, search_grams) "
                    "VALUES (:id, :thread_id, :author_id, :source, :html, :at, :grams)"
                ),
                post_rows,
            )
            connection.execute(
                sa.text(
                    "UPDATE forum_categories SET thread_count = (SELECT count(*) FROM forum_threads t WHERE t.category_id = forum_categories.id), "
                    "post_count = (SELECT coalesce(sum(post_count), 0) FROM forum_threads t WHERE t.category_id = forum_categories.id), "
                    "last_post_id = (SELECT max(last_post_id) FROM forum_threads t WHERE t.category_id = forum_categories.id), "
                    "last_post_at = (SELECT max(last_post_at) FROM forum_threads t WHERE t.category_id = forum_categories.id)"
                )
            )
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return {"residents": residents, "posts": post_id, "threads": threads, "build_seconds": round(time.perf_counter() - started, 1)}


def bench_env(folder: Path, chain_port: int) -> dict[str, str]:
    return {
        "RESIDENTS_ENV": "production",
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'residents.sqlite3'}",
        "CHAIN_RPC_URL": f"http://127.0.0.1:{chain_port}",
        "SITE_URL": "https://residents.example.jp",
    }


def session_cookie(folder: Path, account_id: int) -> str:
    """A signed Flask session for account_id, as Flask-Login keeps it after sign-in."""
    from app import create_app
    from app.config import Config

    from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session
    from app.extensions import db

    app = create_app(Config(bench_env(folder, chain_port=1)))
    with app.app_context():
        token = open_session(account_id, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps({'_user_id': str(account_id), '_fresh': True, SESSION_TOKEN: token})}"


# -- queries per page ------------------------------------------------------------------------------

PAGES = {
    "thread page (50 posts)": "/forums/t/1",
    "category page": "/forums/c/members",
}


def queries_per_page(folder: Path) -> dict[str, int]:
    """Count the statements of each page view for a signed-in resident (second view: marker written)."""
    from app import create_app
    from app.config import Config
    from app.extensions import db

    from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session

    app = create_app(Config(bench_env(folder, chain_port=1)))
    with app.app_context():
        token = open_session(1, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": "1", "_fresh": True, SESSION_TOKEN: token})
    counts: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200, url
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        response = client.get(url)
        sa.event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        counts[name] = len(seen)
    with app.app_context():
        db.engine.dispose()
    return counts


# -- the server and the load -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChainStub(BaseHTTPRequestHandler):
    """Stands where the chain's JSON-RPC would be and counts every call made to it."""

    calls = 0

    def do_POST(self) -> None:  # noqa: N802
        ChainStub.calls += 1
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[94] if len(self.latencies_ms) > 1 else float("nan")


def fetch(port: int, path: str, cookie: str | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load(port: int, path: str, cookie: str | None, clients: int, seconds: float) -> Load:
    """Run `clients` threads requesting `path` for `seconds` (after a short warm-up)."""
    for _ in range(clients):
        assert fetch(port, path, cookie) == 200, path
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = fetch(port, path, cookie)
            mine.append((time.perf_counter() - started) * 1000)
            failed += status != 200
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Load(len(latencies), errors, time.perf_counter() - started, latencies)


def interleaved(port: int, scenarios: dict[str, tuple[str, str | None]], clients: int, seconds: float, rounds: int = 4) -> dict[str, Load]:
    """Measure the scenarios in alternating short rounds, so a slow moment of the machine (other
    processes, a WAL checkpoint) does not land on one side of a comparison only."""
    totals = {name: Load(0, 0, 0.0, []) for name in scenarios}
    for _ in range(rounds):
        for name, (path, cookie) in scenarios.items():
            result = load(port, path, cookie, clients, seconds / rounds)
            total = totals[name]
            total.requests += result.requests
            total.errors += result.errors
            total.seconds += result.seconds
            total.latencies_ms.extend(result.latencies_ms)
    return totals


def start_gunicorn(folder: Path, port: int, chain_port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **bench_env(folder, chain_port)}
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "gunicorn.log", "wb"))
    for _ in range(200):
        try:
            if fetch(port, "/forums", None) == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port}; see {folder / 'gunicorn.log'}")


# -- report ------------------------------------------------------------------------------------------


def budget(name: str, value: float, limit: float, unit: str, ok: bool) -> dict[str, Any]:
    return {"name": name, "value": round(value, 2), "limit": limit, "unit": unit, "ok": bool(ok)}


def machine() -> dict[str, Any]:
    import sqlite3

    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version, "database": "sqlite (WAL)"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the machines have 2 cores)")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per scenario")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data and 3 s per scenario (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.residents, args.posts, args.seconds = args.residents // 10, args.posts // 10, 3.0

    work = Path(tempfile.mkdtemp(prefix="bench-forums-"))
    stub = ThreadingHTTPServer(("127.0.0.1", free_port()), ChainStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    server: subprocess.Popen[bytes] | None = None
    try:
        small_dir, large_dir = work / "small", work / "large"
        small_dir.mkdir()
        large_dir.mkdir()
        small = build_database(small_dir, args.residents // 10, args.posts // 10)
        print(f"small data: {small}")
        large = build_database(large_dir, args.residents, args.posts)
        print(f"full data:  {large}")
        small_queries, large_queries = queries_per_page(small_dir), queries_per_page(large_dir)

        port = free_port()
        server = start_gunicorn(large_dir, port, stub.server_address[1], args.workers)
        resident_cookie = session_cookie(large_dir, 1)
        # "Gating off" is the same resident reading the public twin: the page does the same work
        # except that the category gate has nothing to refuse. Anonymous reading is shown too.
        scenarios = {
            "thread page, gated (resident, residents-only)": ("/forums/t/1", resident_cookie),
            "thread page, gating off (resident, public twin)": ("/forums/t/2", resident_cookie),
            "category page, gated (resident, residents-only)": ("/forums/c/members", resident_cookie),
            "category page, gating off (resident, public)": ("/forums/c/town", resident_cookie),
            "thread page, anonymous (public twin)": ("/forums/t/2", None),
        }
        calls_before = ChainStub.calls
        loads = interleaved(port, scenarios, args.clients, args.seconds)
        chain_calls = ChainStub.calls - calls_before
        views = sum(result.requests for result in loads.values())
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        stub.shutdown()

    budgets = []
    for name in PAGES:
        same = small_queries[name] == large_queries[name]
        budgets.append(budget(f"queries per {name} view ({small['posts']:,} vs {large['posts']:,} posts: {small_queries[name]} vs {large_queries[name]})", large_queries[name], QUERY_LIMIT, "queries", same and large_queries[name] <= QUERY_LIMIT))
    for name, result in loads.items():
        if "anonymous" in name:
            continue  # shown in "load", not a budget
        budgets.append(budget(f"{name}: p95 at {args.clients} clients", result.p95, P95_LIMIT_MS, "ms", result.p95 <= P95_LIMIT_MS and result.errors == 0))
        budgets.append(budget(f"{name}: throughput at {args.clients} clients", result.rps, RPS_FLOOR, "requests/s (min)", result.rps >= RPS_FLOOR and result.errors == 0))
    for page in ("thread page", "category page"):
        gated = next(result for name, result in loads.items() if name.startswith(page) and "gated" in name)
        open_ = next(result for name, result in loads.items() if name.startswith(page) and "gating off" in name)
        ratio = gated.rps / open_.rps
        budgets.append(budget(f"{page}: gated / gating-off throughput", ratio, GATED_RATIO, "ratio (min)", ratio >= GATED_RATIO))
    budgets.append(budget(f"chain calls during {views:,} page views", chain_calls, 0, "calls", chain_calls == 0))

    report = {
        "benchmark": "forums",
        "machine": machine(),
        "budgets": budgets,
        "data": {"small": small, "full": large},
        "queries_per_page": {"small": small_queries, "full": large_queries},
        "load": {name: {"requests": r.requests, "errors": r.errors, "seconds": round(r.seconds, 2), "rps": round(r.rps, 1), "p50_ms": round(statistics.median(r.latencies_ms), 1), "p95_ms": round(r.p95, 1)} for name, r in loads.items()},
        "settings": {"clients": args.clients, "gunicorn_workers": args.workers, "seconds_per_scenario": args.seconds},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)

    width = max(len(entry["name"]) for entry in budgets)
    print(f"\n{'budget'.ljust(width)}  {'value':>10}  {'limit':>8}  unit")
    for entry in budgets:
        print(f"{entry['name'].ljust(width)}  {entry['value']:>10}  {entry['limit']:>8}  {entry['unit']}  {'ok' if entry['ok'] else 'FAIL'}")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(entry["ok"] for entry in budgets) else 1


if __name__ == "__main__":
    sys.exit(main())
