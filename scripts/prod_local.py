"""`make prod-local`: the production profile on this machine.

PostgreSQL (127.0.0.1:5432, database `residents_prod_local`, made if missing), Redis
(127.0.0.1:6379) for rate limits, anvil with its state in the instance folder, migrations, the
contract deployed once, the indexer as its own process, gunicorn with several workers on
127.0.0.1:8000, and the local IPFS block store or (`--ipfs-daemon`) a real js-ipfs node.
Ctrl-C (or SIGTERM) stops everything this script started, by PID, newest first; what was
already running (PostgreSQL, Redis) is left alone.

The reliability suite (bench/reliability/) drives the same `Profile` on its own ports.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
NODE = ROOT / "toolchain" / "node22" / "node_modules" / ".bin" / "node"
JSIPFS = ROOT / "toolchain" / "ipfs" / "node_modules" / "ipfs" / "src" / "cli.js"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "residents_prod_local"
REDIS_URL = "redis://127.0.0.1:6379/0"


class ProfileError(Exception):
    """A part of the profile could not start; the message says which and what to do."""


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, ready: Callable[[], bool], timeout: float, process: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ProfileError(f"{what} exited with code {process.returncode} while starting.\n{tail}")
        if ready():
            return
        time.sleep(0.1)
    raise ProfileError(f"{what} was not ready within {timeout:.0f} s" + (f"; see {log}" if log else "") + ".")


# -- what already runs on the machine ------------------------------------------------------------


def ensure_database(admin_url: str, name: str) -> str:
    """Create the database `name` if missing; return its SQLAlchemy URL."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists is None:
                admin.execute(f'CREATE DATABASE "{name}"')
                print(f"Created the PostgreSQL database {name}.")
    except psycopg.OperationalError as error:
        raise ProfileError(f"PostgreSQL does not answer at {admin_url} ({error}). Start it: pg_ctlcluster $(ls /etc/postgresql) main start") from None
    return admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def redis_answers(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


# -- the processes we start ------------------------------------------------------------------------


@dataclass
class Service:
    """One long-running process of the profile, with its log file."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            # Its own session: Ctrl-C in the terminal reaches only this script, which then stops
            # each service in order (anvil must get SIGTERM to write its state file).
            self.process = subprocess.Popen(list(self.argv), env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signum)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, wait, then SIGKILL: by this process's PID only."""
        if not self.running:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()


@dataclass
class Ports:
    web: int = 8000
    chain: int = 8545
    ipfs_api: int = 5001
    ipfs_gateway: int = 8080


@dataclass
class Profile:
    """The whole production profile on this machine, started and stopped in order."""

    instance: Path
    ports: Ports = field(default_factory=Ports)
    database: str = DATABASE
    ipfs_daemon: bool = False
    workers: int | None = None
    log_format: str = "json"
    services: dict[str, Service] = field(default_factory=dict)
    database_url: str = ""

    # -- settings ------------------------------------------------------------------------------

    @property
    def chain_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.chain}"

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    def secret_key(self) -> str:
        path = self.instance / "secret_key"
        if not path.exists():
            self.instance.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip()

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "RESIDENTS_ENV": "production",
            "SECRET_KEY": self.secret_key(),
            "INSTANCE_PATH": str(self.instance),
            "DATABASE_URL": self.database_url,
            "SITE_URL": self.site_url,
            "CHAIN_RPC_URL": self.chain_url,
            "CHAIN_ID": "31337",
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOG_FORMAT": self.log_format,
            "IPFS_BACKEND": "kubo" if self.ipfs_daemon else "local",
            "IPFS_API_URL": f"http://127.0.0.1:{self.ports.ipfs_api}",
            "GUNICORN_BIND": f"127.0.0.1:{self.ports.web}",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }
        if self.workers:
            env["WEB_CONCURRENCY"] = str(self.workers)
        return env

    def log(self, name: str) -> Path:
        return self.instance / "logs" / f"{name}.log"

    def residents(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run one `residents` command against this profile and fail loudly if it fails."""
        done = subprocess.run([str(BIN / "residents"), *args], env=self.environment(), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise ProfileError(f"`residents {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
        return done

    # -- the parts, in order ----------------------------------------------------------------------

    def start(self) -> Profile:
        self.instance.mkdir(parents=True, exist_ok=True)
        self.database_url = ensure_database(POSTGRES_ADMIN, self.database)
        if not redis_answers():
            raise ProfileError("Redis does not answer at 127.0.0.1:6379. Start it: redis-server --daemonize yes --bind 127.0.0.1")
        self.start_chain()
        if self.ipfs_daemon:
            self.start_ipfs()
        print("Migrating the database…")
        self.residents("db", "upgrade")
        print(self.residents("deploy", "--yes").stdout.strip().splitlines()[-1])
        self.start_indexer()
        self.start_web()
        return self

    def start_chain(self) -> Service:
        from app.chain.anvil import anvil_binary

        if port_open(self.ports.chain):
            raise ProfileError(f"Something already listens on port {self.ports.chain}; stop it or choose another port with --chain-port.")
        argv = [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(self.ports.chain), "--chain-id", "31337", "--silent", "--state", str(self.instance / "chain-state.json"), "--state-interval", "1"]
        service = Service("anvil", argv, self.environment(), self.log("anvil")).start()
        self.services["anvil"] = service
        wait_for("anvil", lambda: _rpc_answers(self.chain_url), 30, service.process, service.log)
        return service

    def start_ipfs(self) -> Service:
        if not (NODE.exists() and JSIPFS.exists()):
            raise ProfileError("js-ipfs is not installed (toolchain/ipfs); run `make test` once, or start without --ipfs-daemon.")
        repo = self.instance / "ipfs-repo"
        env = {**self.environment(), "IPFS_PATH": str(repo)}
        if not (repo / "config").exists():
            done = subprocess.run([str(NODE), str(JSIPFS), "init", "--profile", "test"], env=env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise ProfileError(f"`jsipfs init` failed:\n{done.stdout}{done.stderr}")
        config_path = repo / "config"
        config = json.loads(config_path.read_text())
        # Offline and on loopback only: no swarm, no bootstrap peers, no mDNS.
        config["Addresses"].update(Swarm=[], API=f"/ip4/127.0.0.1/tcp/{self.ports.ipfs_api}", Gateway=f"/ip4/127.0.0.1/tcp/{self.ports.ipfs_gateway}", RPC=f"/ip4/127.0.0.1/tcp/{free_port()}")
        config["Bootstrap"] = []
        config.setdefault("Discovery", {}).update(MDNS={"Enabled": False}, webRTCStar={"Enabled": False})
        config_path.write_text(json.dumps(config, indent=2))
        # Left behind by a daemon that was killed (js-ipfs locks with a folder, Kubo with a file).
        for leftover in (repo / "api", repo / "repo.lock"):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink(missing_ok=True)
        service = Service("ipfs", [str(NODE), str(JSIPFS), "daemon", "--offline"], env, self.log("ipfs")).start()
        self.services["ipfs"] = service
        wait_for("js-ipfs", lambda: _ipfs_answers(self.ports.ipfs_api), 90, service.process, service.log)
        return service

    def start_indexer(self) -> Service:
        service = Service("indexer", [str(BIN / "residents"), "indexer", "--interval", "0.5"], self.environment(), self.log("indexer")).start()
        self.services["indexer"] = service
        return service

    def start_web(self) -> Service:
        argv = [str(BIN / "gunicorn"), "-c", str(ROOT / "scripts" / "gunicorn.conf.py"), "app:create_app()"]
        service = Service("web", argv, self.environment(), self.log("web")).start()
        self.services["web"] = service
        wait_for("gunicorn", lambda: _http_answers(f"{self.site_url}/healthz"), 60, service.process, service.log)
        return service

    def restart(self, name: str) -> Service:
        """Start a stopped part again (after a fault)."""
        return {"anvil": self.start_chain, "ipfs": self.start_ipfs, "indexer": self.start_indexer, "web": self.start_web}[name]()

    def stop(self) -> None:
        """Stop what this profile started, newest first, each by its PID."""
        for name in reversed(list(self.services)):
            service = self.services.pop(name)
            service.stop()
            print(f"Stopped {name} (pid {service.pid}).")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.site_url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False


def _rpc_answers(url: str) -> bool:
    try:
        return "result" in httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1).json()
    except (httpx.HTTPError, ValueError):
        return False


def _ipfs_answers(port: int) -> bool:
    try:
        return httpx.post(f"http://127.0.0.1:{port}/api/v0/version", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _http_answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
        return True
    except httpx.HTTPError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", type=Path, default=ROOT / "instance" / "prod-local", help="folder for chain state, IPFS repo, logs and the secret key")
    parser.add_argument("--port", type=int, default=8000, help="gunicorn's port (default 8000)")
    parser.add_argument("--chain-port", type=int, default=8545, help="anvil's port (default 8545)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: 2 × cores + 1)")
    parser.add_argument("--ipfs-daemon", action="store_true", help="run a real js-ipfs node (IPFS_BACKEND=kubo) instead of the local block store")
    parser.add_argument("--database", default=DATABASE, help=f"PostgreSQL database (default {DATABASE})")
    args = parser.parse_args(argv)

    profile = Profile(args.instance.resolve(), Ports(web=args.port, chain=args.chain_port), args.database, args.ipfs_daemon, args.workers)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        profile.start()
        print(f"\nThe production profile is up: {profile.site_url}  (health: {profile.site_url}/healthz)")
        print(f"Logs: {profile.instance / 'logs'}  — Ctrl-C stops everything started here.")
        while all(service.running for service in profile.services.values()):
            time.sleep(1)
        dead = [name for name, service in profile.services.items() if not service.running]
        print(f"{', '.join(dead)} stopped on its own; see {profile.instance / 'logs'}. Stopping the rest.", file=sys.stderr)
        return 1
    except ProfileError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave orphans
        profile.stop()


if __name__ == "__main__":
    sys.exit(main())
