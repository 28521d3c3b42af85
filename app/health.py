"""`GET /healthz`: can this site serve residents right now? For load balancers and monitoring.

The chain and IPFS checks are the staff dashboard's (`app.staff.service`), so the dashboard and
the monitor never disagree; this module adds the database check, the indexer's lag and the
verdict. Every check gives up quickly: a dead node must make the answer "503", never slow.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from app.config import Config
from app.extensions import db, limiter
from app.staff.service import ChainHealth, IndexerStatus, IpfsHealth, check_health, indexer_status
from app.timeutil import utcnow

bp = Blueprint("health", __name__)

#: The database must answer `SELECT 1` within this long (PostgreSQL's statement_timeout).
DATABASE_TIMEOUT_MS = 1000
#: The package whose version /healthz reports.
DISTRIBUTION = "nishikawa-digital-residents"


@dataclass(frozen=True)
class DatabaseHealth:
    reachable: bool
    #: Why it is unreachable: the driver's first line, never the URL (it may hold a password).
    reason: str | None = None


@dataclass(frozen=True)
class Health:
    database: DatabaseHealth
    chain: ChainHealth
    ipfs: IpfsHealth
    #: None when the database is down or the indexer never ran.
    indexer: IndexerStatus | None
    max_lag_blocks: int
    version: str

    @property
    def indexer_healthy(self) -> bool:
        indexer = self.indexer
        return indexer is not None and indexer.lag is not None and indexer.lag <= self.max_lag_blocks and not indexer.heartbeat_late

    @property
    def healthy(self) -> bool:
        return self.database.reachable and self.chain.healthy and self.ipfs.reachable and self.indexer_healthy


def site_version() -> str:
    """Return the installed package's version, or "unknown" when run from a bare checkout."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else ''}".strip()


def check_database() -> DatabaseHealth:
    """Run `SELECT 1` with a short statement timeout; roll back so the request stays usable."""
    try:
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"SET LOCAL statement_timeout = {DATABASE_TIMEOUT_MS}"))
        connection.execute(sa.text("SELECT 1"))
        return DatabaseHealth(True)
    except SQLAlchemyError as error:
        return DatabaseHealth(False, _first_line(error))
    finally:
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the connection is already gone; the pool replaces it
            pass


def _indexer(settings: Config, chain: ChainHealth) -> IndexerStatus | None:
    try:
        return indexer_status(settings.CHAIN_ID, chain.latest_block if chain.healthy else None, utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        return None


class NodeChecks:
    """The last chain and IPFS check of this process, reused for HEALTHZ_CACHE_SECONDS.

    /healthz is public and not rate limited, and each check costs two calls to the RPC provider
    (often billed, always rate limited): a crowd of requests within the window gets one check,
    and requests arriving while it runs wait for it rather than starting their own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: tuple[tuple[object, ...], float, tuple[ChainHealth, IpfsHealth]] | None = None

    def get(self, settings: Config, instance_path: str) -> tuple[ChainHealth, IpfsHealth]:
        key = (settings.CHAIN_RPC_URL, settings.CHAIN_ID, settings.IPFS_BACKEND, settings.IPFS_API_URL, instance_path)
        with self._lock:
            if self._checked is not None:
                checked_key, checked_at, result = self._checked
                if checked_key == key and time.monotonic() - checked_at < settings.HEALTHZ_CACHE_SECONDS:
                    return result
            result = check_health(settings, instance_path)
            self._checked = (key, time.monotonic(), result)
            return result


def node_checks(app: Flask) -> NodeChecks:
    checks = app.extensions.get("healthz_node_checks")
    if checks is None:
        checks = app.extensions.setdefault("healthz_node_checks", NodeChecks())
    return checks  # type: ignore[no-any-return]


def check_site(settings: Config, instance_path: str, nodes: NodeChecks | None = None) -> Health:
    """Check the database here while the chain and IPFS are asked (or reused) in the background."""
    ask = nodes.get if nodes is not None else check_health
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz") as pool:
        answered = pool.submit(ask, settings, instance_path)
        database = check_database()
        chain, ipfs = answered.result()
    indexer = _indexer(settings, chain) if database.reachable else None
    return Health(database, chain, ipfs, indexer, settings.INDEXER_MAX_LAG_BLOCKS, site_version())


def _component(ok: bool, reason: object | None, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "ok" if ok else "down", **{key: value for key, value in details.items() if value is not None}}
    if not ok and reason is not None:
        body["reason"] = str(reason)
    return body


def health_document(health: Health) -> dict[str, Any]:
    """Shape the checks as the JSON document monitors read."""
    chain, ipfs, indexer = health.chain, health.ipfs, health.indexer
    chain_reason = chain.reason
    if chain.reachable and not chain.chain_id_matches:
        chain_reason = f"the node reports chain {chain.chain_id}, expected {chain.expected_chain_id}"
    if indexer is None:
        indexer_body = _component(False, "the indexer has not run yet" if health.database.reachable else "the database is down")
    else:
        reason = "its heartbeat stopped" if indexer.heartbeat_late else f"more than {health.max_lag_blocks} blocks behind"
        indexer_body = _component(health.indexer_healthy, reason, indexed_block=indexer.indexed_block, head_block=indexer.head_block, following=indexer.following)
    return {
        "status": "ok" if health.healthy else "unavailable",
        "database": _component(health.database.reachable, health.database.reason),
        "chain": _component(chain.healthy, chain_reason, chain_id=chain.chain_id, latest_block=chain.latest_block),
        "ipfs": _component(ipfs.reachable, ipfs.reason, backend=ipfs.backend),
        "indexer": indexer_body,
        "indexer_lag_blocks": indexer.lag if indexer is not None else None,
        "version": health.version,
    }


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """Say whether the database, chain, IPFS and indexer are fit to serve: 200 if so, else 503."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    health = check_site(app.config["SETTINGS"], app.instance_path, node_checks(app))
    return health_document(health), (200 if health.healthy else 503), {"Cache-Control": "no-store"}
