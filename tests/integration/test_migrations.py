"""Migrations: a clean run on an empty PostgreSQL, the upgrade of a database made by the first
release (schema 0002), and a downgrade-to-nothing / upgrade-again round trip.

PostgreSQL runs in a scratch database this module creates and drops (never the shared `test`
database); the tests skip, saying why, when no PostgreSQL answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config, session_for

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
#: The schema the first release shipped with: accounts, deployments, audit log, staff roles, holdings.
FIRST_RELEASE = "0002"
POSTGRES_ADMIN = os.environ.get("RESIDENTS_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: Unused port: these tests never talk to a chain.
NO_CHAIN = 9


def head_revision() -> str:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


_sites: list[Flask] = []


def site_on(database_url: str, instance: Path) -> Flask:
    app = create_app(make_config(instance, database_url, NO_CHAIN))
    _sites.append(app)
    return app


def close_sites() -> None:
    """Close every connection the sites of this test opened (before their database is dropped)."""
    while _sites:
        app = _sites.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _closed_afterwards() -> Iterator[None]:
    yield
    close_sites()
    gc.collect()  # a connection left open shows up in this test, not in a later one


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names(app: Flask) -> set[str]:
    """The tables the models describe; SQLite's full-text search tables (virtual tables the forum
    migration adds, and their shadow tables) are left out."""
    with app.app_context(), db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        if connection.dialect.name == "sqlite":
            virtual = connection.scalars(sa.text("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")).all()
            names = {name for name in names if not any(name == table or name.startswith(f"{table}_") for table in virtual)}
        return names


#: Indexes a migration adds on PostgreSQL only, beyond the models (the forums' trigram search
#: indexes); autogenerate sees them as "removed" and that is expected.
POSTGRESQL_ONLY_INDEXES = {"ix_forum_posts_body_trgm", "ix_forum_posts_grams", "ix_forum_threads_grams", "ix_forum_threads_title_trgm"}


def _expected(difference: object) -> bool:
    return isinstance(difference, tuple) and difference[0] == "remove_index" and difference[1].name in POSTGRESQL_ONLY_INDEXES


def schema_drift(app: Flask) -> list[object]:
    """What autogenerate would still change: models and migrations must describe the same schema."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return [difference for difference in compare_metadata(context, db.metadata) if not _expected(difference)]


def migrate(app: Flask, revision: str = "head") -> None:
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=revision)
        db.engine.dispose()


def migrate_down(app: Flask, revision: str = "base") -> None:
    with app.app_context():
        downgrade(directory=str(MIGRATIONS), revision=revision)
        db.engine.dispose()


# -- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test alone, dropped afterwards."""
    name = f"residents_migration_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN} ({error}); start it to run the migration tests on PostgreSQL")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
        finally:
            close_sites()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_build_an_empty_postgresql_to_match_the_models(scratch_postgres: str, tmp_path: Path) -> None:
    app = site_on(scratch_postgres, tmp_path)
    assert table_names(app) == set()
    migrate(app)
    assert current_revision(app) == head_revision()
    with app.app_context():
        assert table_names(app) == set(db.metadata.tables)
    assert schema_drift(app) == []


def test_postgresql_downgrades_to_nothing_and_back(scratch_postgres: str, tmp_path: Path) -> None:
    app = site_on(scratch_postgres, tmp_path)
    migrate(app)
    migrate_down(app)
    assert table_names(app) == set()
    migrate(app)
    assert current_revision(app) == head_revision()
    assert schema_drift(app) == []


# -- SQLite ---------------------------------------------------------------------------------------

ISSUED = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
MAYOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def fill_first_release(app: Flask) -> None:
    """Write the rows a site running the first release would have, with plain SQL of that schema."""
    rows = {
        "accounts": [
            {"id": 1, "address": HOLDER, "display_name": "山田 太郎", "locale": "ja", "created_at": ISSUED},
            {"id": 2, "address": MAYOR, "display_name": "Mayor's office", "locale": "en", "created_at": ISSUED},
        ],
        "deployments": [
            {"id": 1, "chain_id": 31337, "contract_name": "DigitalResident", "address": CONTRACT, "block_number": 1, "transaction_hash": "0x" + "ab" * 32, "soulbound": True, "deployed_at": ISSUED},
        ],
        "audit_entries": [
            {"id": 1, "occurred_at": ISSUED, "actor": "cli", "action": "contract.deploy", "target": CONTRACT, "details": {"chain_id": 31337, "note": "初回"}},
        ],
        "holdings": [
            {"resident_number": 1, "holder": HOLDER, "locked": True, "minted_block": 2, "minted_at": ISSUED, "acquired_block": 2},
        ],
        "staff_roles": [
            {"account_id": 2, "role": "organizer", "granted_at": ISSUED, "granted_by": "cli"},
        ],
    }
    with app.app_context(), db.engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection, only=list(rows))
        for table, values in rows.items():
            columns = metadata.tables[table].c
            # The reflected JSON / DateTime types make SQLAlchemy store values as the first release did.
            connection.execute(sa.insert(metadata.tables[table]), values)
            assert set(values[0]) == set(columns.keys()), f"the first release's {table} had other columns"


@pytest.fixture(params=["sqlite", "postgresql"])
def first_release_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'first-release.sqlite3'}"
    return str(request.getfixturevalue("scratch_postgres"))


def test_upgrade_keeps_the_rows_of_a_first_release_database(first_release_url: str, tmp_path: Path) -> None:
    # On SQLite, 0008 rebuilds `accounts` (batch mode); with foreign keys on, the drop of the old
    # table would cascade and delete every staff role. migrations/env.py turns them off meanwhile.
    app = site_on(first_release_url, tmp_path)
    migrate(app, FIRST_RELEASE)
    assert table_names(app) == {"accounts", "deployments", "audit_entries", "holdings", "staff_roles"}
    fill_first_release(app)

    migrate(app)

    assert current_revision(app) == head_revision()
    from app.audit.models import AuditEntry
    from app.auth.models import Account
    from app.chain.models import Deployment, Holding

    with app.app_context():
        # Every row of every table of the first release is still there.
        for table in ("accounts", "deployments", "audit_entries", "holdings", "staff_roles"):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) == 1 + (table == "accounts"), table
        holder = db.session.scalar(sa.select(Account).where(Account.address == HOLDER))
        assert holder is not None and holder.display_name == "山田 太郎" and holder.locale == "ja"
        assert holder.created_at == ISSUED
        mayor = db.session.get(Account, 2)
        assert mayor is not None and [role.role for role in mayor.staff_roles] == ["organizer"]
        holding = db.session.get(Holding, 1)
        assert holding is not None and (holding.holder, holding.locked, holding.minted_at) == (HOLDER, True, ISSUED)
        deployment = db.session.scalar(sa.select(Deployment))
        assert deployment is not None and (deployment.address, deployment.soulbound) == (CONTRACT, True)
        entry = db.session.scalar(sa.select(AuditEntry))
        assert entry is not None and entry.details == {"chain_id": 31337, "note": "初回"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 2
    assert table_names(app) == set(db.metadata.tables)


def test_first_release_database_serves_pages_after_upgrade(tmp_path: Path) -> None:
    app = site_on(f"sqlite:///{tmp_path / 'first-release.sqlite3'}", tmp_path)
    migrate(app, FIRST_RELEASE)
    fill_first_release(app)
    migrate(app)
    client = app.test_client()
    signed_in = session_for(app, 1)
    with client.session_transaction() as session:
        session.update(signed_in)
    page = client.get("/me", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "山田 太郎" in page.get_data(as_text=True)
    assert client.get("/forums").status_code == 200


def test_sqlite_downgrades_to_nothing_and_back(tmp_path: Path) -> None:
    app = site_on(f"sqlite:///{tmp_path / 'round-trip.sqlite3'}", tmp_path)
    migrate(app)
    migrate_down(app)
    assert table_names(app) == set()
    assert current_revision(app) is None
    migrate(app)
    assert current_revision(app) == head_revision()
    with app.app_context():
        assert table_names(app) == set(db.metadata.tables)


def test_every_migration_steps_down_and_up_alone(tmp_path: Path) -> None:
    """Each revision's downgrade undoes exactly its upgrade (one step at a time, head to base)."""
    app = site_on(f"sqlite:///{tmp_path / 'steps.sqlite3'}", tmp_path)
    migrate(app)
    revision: str | None = head_revision()
    while revision is not None:
        tables = table_names(app)
        migrate_down(app, "-1")
        below = current_revision(app)
        migrate(app, revision)
        assert table_names(app) == tables, f"migration {revision} down and up again changed the tables"
        migrate_down(app, "-1")
        revision = below
    assert table_names(app) == set()
