"""Start-up checks: every setting the site needs, each failure one line naming the setting."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate

from app.chain.service import open_registry
from app.config import ConfigError
from app.extensions import db


def run_preflight(app: Flask) -> list[str]:
    """Check database and chain; return what was checked, or raise with the setting at fault."""
    config = app.config["SETTINGS"]
    checked = [f"instance folder {app.instance_path} is writable"]
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except sa.exc.SQLAlchemyError as exc:
        raise ConfigError("DATABASE_URL", f"cannot open the database {url} ({exc.__class__.__name__}); check the URL and that the server runs.") from None
    migrate: Migrate = app.extensions["migrate"].migrate
    head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
    if current != head:
        raise ConfigError("DATABASE_URL", f"the database {url} is at migration {current or 'none'}, the code expects {head}; run `residents db upgrade`.")
    checked.append(f"database {url} is at migration {head}")
    registry = open_registry(config)
    checked.append(f"chain {config.CHAIN_ID} answers at {config.CHAIN_RPC_URL}")
    checked.append(f"DigitalResident has code at {registry.address}")
    return checked
