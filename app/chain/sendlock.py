"""One sender at a time per key: a lock held from reading the nonce until the receipt is in.

Two processes signing with the same key (two web workers anchoring, a mint run beside an admin
command) would otherwise read the same pending nonce and collide. The lock lives where every
process of the site already meets: the database.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
  own, so it never joins the caller's unit of work and is released by the server if the
  process dies.
- SQLite (one machine): an OS file lock beside the database file. SQLite has one writer for the
  whole file, so a lock row would wait on the very request that holds the write lock.
- In-memory SQLite, or no database at all: a lock inside this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.chain.errors import ChainError

#: Seconds a sender waits for another holder of the same key before giving up.
DEFAULT_WAIT_SECONDS = 300.0


class SendLockTimeout(ChainError):
    def __init__(self, address: str, chain_id: int, waited: float) -> None:
        super().__init__(
            f"Another process has been sending transactions with {address} on chain {chain_id} for {waited:.0f} s. "
            "Wait for it to finish (a mint run, an admin command or an anchoring), then retry."
        )


class SendLock(Protocol):
    """Serialises the transactions of one key on one chain across threads and processes."""

    def hold(self, chain_id: int, address: str) -> contextlib.AbstractContextManager[None]: ...


class ProcessSendLock:
    """Threads of this process only: for scripts and tests without a database."""

    _locks: dict[tuple[int, str], threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds

    @contextlib.contextmanager
    def hold(self, chain_id: int, address: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault((chain_id, address.lower()), threading.Lock())
        if not lock.acquire(timeout=self.wait_seconds):
            raise SendLockTimeout(address, chain_id, self.wait_seconds)
        try:
            yield
        finally:
            lock.release()


class DatabaseSendLock:
    """The lock of the site's database (see the module notes for how each kind holds it)."""

    def __init__(self, engine: Engine, wait_seconds: float = DEFAULT_WAIT_SECONDS, poll_seconds: float = 0.05) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds

    @contextlib.contextmanager
    def hold(self, chain_id: int, address: str) -> Iterator[None]:
        name = f"residents-send:{chain_id}:{address.lower()}"
        if self.engine.dialect.name == "postgresql":
            with self._advisory_lock(name, chain_id, address):
                yield
            return
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
            with self._file_lock(Path(database), name, chain_id, address):
                yield
            return
        with ProcessSendLock(self.wait_seconds).hold(chain_id, address):
            yield

    @contextlib.contextmanager
    def _advisory_lock(self, name: str, chain_id: int, address: str) -> Iterator[None]:
        # A signed 64-bit key from the name; another holder of the same key is the same sender.
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        connection = self.engine.connect()
        try:
            if not self._retry(lambda: bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())):
                raise SendLockTimeout(address, chain_id, self.wait_seconds)
            connection.commit()
            try:
                yield
            finally:
                try:
                    connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except sa.exc.SQLAlchemyError:
                    # Closing the session is what releases a session lock for sure.
                    connection.invalidate()
        finally:
            connection.close()

    @contextlib.contextmanager
    def _file_lock(self, database: Path, name: str, chain_id: int, address: str) -> Iterator[None]:
        path = database.with_name(f"{database.name}.{hashlib.sha256(name.encode()).hexdigest()[:16]}.send-lock")
        with path.open("a") as handle:

            def try_lock() -> bool:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            if not self._retry(try_lock):
                raise SendLockTimeout(address, chain_id, self.wait_seconds)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _retry(self, attempt: Callable[[], bool]) -> bool:
        """Call `attempt` until it returns True (then True) or the wait is over (then False)."""
        deadline = time.monotonic() + self.wait_seconds
        pause = self.poll_seconds
        while not attempt():
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(0.5, pause * 2)
        return True
