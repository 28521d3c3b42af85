"""The instance folder: where a running site keeps its database, chain state and secrets."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from app.config import ConfigError


def prepare_instance(app: Flask) -> None:
    """Create the instance folder and fill in settings that default to files inside it."""
    folder = Path(app.instance_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError("INSTANCE_PATH", f"the folder {folder} is not writable ({exc.strerror}); choose a folder this user can write.") from None

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'residents.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(folder / "secret_key")


def _development_secret(path: Path) -> str:
    """Keep one random key per development instance so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
