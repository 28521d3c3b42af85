"""Minting benchmark (DESIGN.md section 8): 1,000 residents from a generated CSV, end to end.

On an anvil this script starts (free port, stopped at the end), with the local block store and
a SQLite database in a temporary folder, it runs what `residents mint-batch` runs: read and
check the CSV (every wallet asked on chain), create the job, then render → store on IPFS →
mintBatch → confirm in batches of 100. It then checks the outcome (every card on chain with the
token URI of its stored metadata) so a fast but wrong run cannot pass.

Budgets: at most 60 s wall time and 300 MB peak memory (ru_maxrss of this process, which
includes the interpreter, web3 and Pillow). Writes bench/results/mint.json, prints a table,
exits 1 when a budget fails.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_utils import to_checksum_address  # noqa: E402

from app import create_app  # noqa: E402
from app.chain.anvil import free_port, start_anvil  # noqa: E402
from app.chain.client import ResidentRegistry, connect  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from minting.cards import default_template  # noqa: E402
from minting.gateway import local_blockstore  # noqa: E402
from minting.ipfs import file_cid  # noqa: E402
from minting.issuance import CsvJobRequest, check_resident_csv, create_csv_job  # noqa: E402
from minting.keys import ANVIL_DEV_KEY  # noqa: E402
from minting.minter import CardAdmin, Minter  # noqa: E402
from minting.models import Step  # noqa: E402
from minting.pipeline import MintPipeline, MintTools  # noqa: E402
from minting.service import ContractSettings, deploy_resident_contract  # noqa: E402

RESULTS_FILE = ROOT / "bench" / "results" / "mint.json"
RESIDENTS = int(os.environ.get("BENCH_MINT_RESIDENTS", "1000"))
BATCH_SIZE = 100
WALL_LIMIT_SECONDS = 60.0
MEMORY_LIMIT_MB = 300.0

#: Names of every kind the card must handle: Japanese, Latin, mixed, long enough to shrink.
NAMES = ["山田 太郎", "西川花子", "佐藤　美咲", "Jane Doe", "マリア・ガルシア Maria García", "Maximilian Alexander Hohenberg", "髙橋 𠮷郎", "김민준"]


def generated_csv(count: int) -> bytes:
    lines = ["address,display_name,issued_on,batch"]
    for index in range(count):
        address = to_checksum_address(f"0x{0xB0000 + index:040x}")
        lines.append(f"{address},{NAMES[index % len(NAMES)]} {index + 1},2026-04-01,bench")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def peak_memory_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "hostname": platform.node(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run(folder: Path) -> dict[str, object]:
    anvil = start_anvil(free_port(), log_path=folder / "anvil.log")
    try:
        config = Config(
            {
                "RESIDENTS_ENV": "testing",
                "INSTANCE_PATH": str(folder / "instance"),
                "DATABASE_URL": f"sqlite:///{folder / 'residents.sqlite3'}",
                "SECRET_KEY": "bench",
                "CHAIN_RPC_URL": anvil.rpc_url,
                "CHAIN_ID": "31337",
            }
        )
        app = create_app(config)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            minter = Minter(connect(anvil.rpc_url, 31337), Account.from_key(ANVIL_DEV_KEY))
            deployment = deploy_resident_contract(CardAdmin(minter.w3, minter.account), 31337, ContractSettings(), "bench", minter=minter.address, organizer=minter.address).deployment
            db.session.commit()
            registry = ResidentRegistry(minter.w3, deployment.address)
            data = generated_csv(RESIDENTS)
            template = default_template()
            store = local_blockstore(config)

            started = time.perf_counter()
            checked = check_resident_csv(data, template, registry)
            validated = time.perf_counter()
            assert not checked.problems, checked.problems[:3]
            job = create_csv_job(CsvJobRequest("bench.csv", data, 31337, registry.address, "bench"), checked)
            db.session.commit()
            tools = MintTools(registry, minter, store, template, config.SITE_URL)
            report = MintPipeline(tools, batch_size=BATCH_SIZE).run(job)
            wall = time.perf_counter() - started

            # The outcome, checked outside the timing.
            assert report.confirmed == RESIDENTS and report.failed == 0, report
            assert registry.last_resident_number() == RESIDENTS
            rows = job.residents
            assert all(row.state == Step.CONFIRMED for row in rows)
            for row in (rows[0], rows[len(rows) // 2], rows[-1]):
                assert registry.token_uri(row.resident_number or 0) == f"ipfs://{row.metadata_cid}"
                assert file_cid(store.cat(row.metadata_cid or "")) == row.metadata_cid
            transactions = len({row.transaction_hash for row in rows})
            db.engine.dispose()
    finally:
        anvil.stop()

    memory = peak_memory_mb()
    times = report.times
    return {
        "benchmark": "mint",
        "machine": machine(),
        "budgets": [
            {"name": f"{RESIDENTS} residents end to end", "value": round(wall, 2), "limit": WALL_LIMIT_SECONDS, "unit": "s", "ok": wall <= WALL_LIMIT_SECONDS},
            {"name": "peak memory (ru_maxrss)", "value": round(memory, 1), "limit": MEMORY_LIMIT_MB, "unit": "MB", "ok": memory <= MEMORY_LIMIT_MB},
        ],
        "measurements": {
            "residents": RESIDENTS,
            "batch_size": BATCH_SIZE,
            "transactions": transactions,
            "wall_seconds": round(wall, 3),
            "residents_per_second": round(RESIDENTS / wall, 1),
            "validate_csv_seconds": round(validated - started, 3),
            "render_seconds": round(times.render, 3),
            "ipfs_seconds": round(times.ipfs, 3),
            "chain_seconds": round(times.chain, 3),
            "database_seconds": round(times.database, 3),
            "render_ms_per_card": round(times.render / RESIDENTS * 1000, 2),
            "peak_memory_mb": round(memory, 1),
        },
    }


def print_table(result: dict[str, object]) -> None:
    print(f"mint benchmark: {RESIDENTS} residents, batches of {BATCH_SIZE}")
    for key, value in result["measurements"].items():  # type: ignore[union-attr]
        print(f"  {key:24} {value}")
    print(f"  {'budget':36} {'value':>10} {'limit':>10}  ok")
    for budget in result["budgets"]:  # type: ignore[union-attr]
        print(f"  {budget['name']:36} {budget['value']:>10} {budget['limit']:>10}  {'yes' if budget['ok'] else 'NO'} ({budget['unit']})")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-mint-") as folder:
        result = run(Path(folder))
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print_table(result)
    print(f"wrote {RESULTS_FILE.relative_to(ROOT)}")
    return 0 if all(budget["ok"] for budget in result["budgets"]) else 1  # type: ignore[union-attr, index]


if __name__ == "__main__":
    sys.exit(main())
