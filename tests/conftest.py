"""Fixtures: a real database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), a real
anvil chain on a free port, and the Flask app, client and CLI runner built on them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app
from app.chain.anvil import AnvilProcess, free_port, start_anvil
from app.config import Config
from app.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def pytest_report_header() -> str:
    where = f"SQLite and PostgreSQL ({TEST_DATABASE_URL})" if TEST_DATABASE_URL else "SQLite only (set TEST_DATABASE_URL to add PostgreSQL)"
    return f"databases: {where}"


@pytest.fixture(scope="session")
def chain_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def anvil(chain_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """A real anvil node for the whole session, stopped by PID at the end."""
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = start_anvil(chain_port, log_path=log)
    yield node
    node.stop()


def make_config(instance: Path, database_url: str, chain_port: int, **overrides: object) -> Config:
    env = {
        "RESIDENTS_ENV": "testing",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "CHAIN_RPC_URL": f"http://127.0.0.1:{chain_port}",
        "CHAIN_ID": "31337",
    }
    return Config(env, **overrides)


def reset_schema() -> None:
    """Drop every table, then build the schema with the real Alembic migrations."""
    from flask_migrate import upgrade

    if db.engine.dialect.name == "postgresql":
        # Everything a migration made (tables, functions, triggers, indexes) goes with the schema.
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


@pytest.fixture(scope="session", params=DATABASES)
def session_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chain_port: int) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    url = f"sqlite:///{instance / 'residents.sqlite3'}" if request.param == "sqlite" else TEST_DATABASE_URL
    assert url is not None
    app = create_app(make_config(instance, url, chain_port))
    with app.app_context():
        reset_schema()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    """The app; every row a test wrote is deleted afterwards.

    No app context stays pushed here: each test-client request gets its own, as in production
    (a shared one would carry `g`, and the locale cached in it, from one request to the next).
    Tests that call services directly ask for `app_context`.
    """
    yield session_app
    with session_app.app_context():
        db.session.rollback()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.session.remove()


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class ResidentsRunner(FlaskCliRunner):
    """Invokes the `residents` command line against the test app."""

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Result:
        from scripts.cli import residents

        return super().invoke(residents if cli is None else cli, args, **kwargs)


@pytest.fixture
def runner(app: Flask) -> ResidentsRunner:
    return ResidentsRunner(app)


# -- factories -------------------------------------------------------------------------------

_address_counter = iter(range(1, 1_000_000))


def new_address() -> str:
    """A fresh checksummed address that no test has used yet."""
    from web3 import Web3

    return Web3.to_checksum_address(f"0x{next(_address_counter):040x}")


@pytest.fixture
def create_account(app: Flask):  # type: ignore[no-untyped-def]
    """Factory: an account (optionally with staff roles), committed."""
    from app.auth.models import Account, StaffRole

    def create(address: str | None = None, *, roles: tuple[str, ...] = (), display_name: str | None = None, locale: str | None = None) -> Account:
        with app.app_context():
            account = Account(address=address or new_address(), display_name=display_name, locale=locale)
            account.staff_roles = [StaffRole(role=role, granted_by="test") for role in roles]
            db.session.add(account)
            db.session.commit()
            db.session.refresh(account)
            db.session.expunge(account)
            return account

    return create


@pytest.fixture
def give_card(app: Flask):  # type: ignore[no-untyped-def]
    """Factory: put a card in the holdings table directly, as the indexer would (unit tests only;
    the integration tests let the real indexer do it from anvil's logs)."""
    from datetime import UTC, datetime

    from app.chain.models import Holding

    numbers = iter(range(1, 1_000_000))

    def give(address: str, resident_number: int | None = None, *, locked: bool = True) -> int:
        number = resident_number or next(numbers)
        with app.app_context():
            db.session.add(Holding(resident_number=number, holder=address, locked=locked, minted_block=1, minted_at=datetime(2026, 4, 1, tzinfo=UTC), acquired_block=1))
            db.session.commit()
        return number

    return give


def session_for(app: Flask, account_id: int) -> dict[str, object]:
    """What a browser's session cookie holds after signing in as `account_id`: the account and a
    fresh server-side session record (committed), exactly as `start_session` makes them."""
    from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session

    with app.app_context():
        token = open_session(account_id, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    return {"_user_id": str(account_id), "_fresh": True, SESSION_TOKEN: token}


@pytest.fixture
def sign_in(app: Flask):  # type: ignore[no-untyped-def]
    """Sign a test client in as `account`, with a server-side session record like a real sign-in."""

    def sign(client: FlaskClient, account: object) -> FlaskClient:
        values = session_for(client.application, account.id)  # type: ignore[attr-defined]
        with client.session_transaction() as session:
            session.update(values)
        return client

    return sign
