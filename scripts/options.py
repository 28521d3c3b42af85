"""Options and error reporting shared by the `residents` commands."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Any, TypeVar

import click

from app.chain.errors import ChainError
from app.config import Config, ConfigError
from minting.errors import MintError

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: Errors whose message already says what to do: shown as one line, no traceback.
REPORTED_ERRORS = (ConfigError, ChainError, MintError)

yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
dry_run_option = click.option("--dry-run", is_flag=True, help="Check and show what would happen; write nothing, send nothing.")


def reports_errors(command: F) -> F:
    """Turn domain errors into one clear line and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except REPORTED_ERRORS as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def in_unit_of_work(work: Callable[[], T]) -> T:
    """Run `work` as the command's unit of work: commit what it flushed, or roll back and re-raise."""
    from app.extensions import db

    try:
        result = work()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def cli_actor() -> str:
    """Name the person running an admin command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def settings() -> Config:
    from flask import current_app

    return current_app.config["SETTINGS"]
