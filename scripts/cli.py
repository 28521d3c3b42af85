"""`residents`: the admin command line. Commands parse, confirm, call a service and report."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from app import create_app
from app.chain.anvil import AnvilProcess, port_answers, start_anvil
from app.config import LOCAL_CHAIN_ID, ConfigError
from app.extensions import db
from scripts.options import cli_actor, reports_errors, settings, yes_option


def _load_app() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_load_app, add_default_commands=False, load_dotenv=False, set_debug_flag=False)
def residents() -> None:
    """Nishikawa Digital Residents: run the site, the local chain, deploys and minting."""


# Flask's --app/--env-file/--debug options do not apply: the app is always create_app().
residents.params = [param for param in residents.params if param.name not in {"app", "env_file", "debug", "version"}]
residents.add_command(shell_command)
residents.add_command(routes_command)


def _stop_on_sigterm() -> None:
    """Make SIGTERM and SIGINT (Ctrl-C) unwind through `finally`, so the chain we started is stopped.

    SIGINT is set explicitly: a process started in the background by a shell inherits it ignored.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _local_port(rpc_url: str) -> int | None:
    """Return the port of a loopback RPC URL, where we may start anvil ourselves."""
    parts = urlsplit(rpc_url)
    if parts.hostname in {"127.0.0.1", "localhost"}:
        return parts.port or 8545
    return None


def _start_local_chain(app: Flask) -> AnvilProcess | None:
    """Start anvil with persisted state when the local chain is configured and nothing answers yet."""
    config = app.config["SETTINGS"]
    port = _local_port(config.CHAIN_RPC_URL)
    if config.CHAIN_ID != LOCAL_CHAIN_ID or port is None or port_answers(config.CHAIN_RPC_URL):
        return None
    instance = Path(app.instance_path)
    anvil = start_anvil(port, state_path=instance / "chain-state.json", log_path=instance / "anvil.log")
    click.echo(f"Local chain: anvil (pid {anvil.pid}) on {anvil.rpc_url}, state in {instance / 'chain-state.json'}")
    return anvil


@residents.command()
@with_appcontext
@reports_errors
def chain() -> None:
    """Run the local anvil chain in the foreground, its state kept in the instance folder."""
    config = settings()
    if config.CHAIN_ID != LOCAL_CHAIN_ID or _local_port(config.CHAIN_RPC_URL) is None:
        raise click.ClickException(f"Setting CHAIN_RPC_URL: `residents chain` runs the local chain only (chain id {LOCAL_CHAIN_ID} on 127.0.0.1); it is {config.CHAIN_RPC_URL} with chain id {config.CHAIN_ID}.")
    if port_answers(config.CHAIN_RPC_URL):
        raise click.ClickException(f"A chain already answers at {config.CHAIN_RPC_URL}; stop it first or use it as it is.")
    _stop_on_sigterm()
    anvil = _start_local_chain(current_app._get_current_object())  # type: ignore[attr-defined]
    assert anvil is not None
    click.echo("Ctrl-C stops the chain.")
    try:
        anvil.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        anvil.stop()


@residents.command()
@click.option("--soulbound/--transferable", default=None, help="Cards locked to their wallet (default: CARD_SOULBOUND).")
@click.option("--name", default="Nishikawa Digital Resident", show_default=True, help="ERC-721 collection name.")
@click.option("--symbol", default="NDR", show_default=True, help="ERC-721 symbol.")
@click.option("--contract-uri", default="", help="Collection metadata URI (ipfs://…), returned by contractURI().")
@yes_option
@with_appcontext
@reports_errors
def deploy(soulbound: bool | None, name: str, symbol: str, contract_uri: str, yes: bool) -> None:
    """Deploy the DigitalResident contract to the configured chain, once."""
    outcome = _deploy(soulbound, name, symbol, contract_uri, yes)
    record = outcome.deployment
    if not outcome.created:
        click.echo(f"DigitalResident is already deployed on chain {record.chain_id} at {record.address} (block {record.block_number}); nothing changed.")
        return
    if outcome.replaced_stale:
        click.echo("The recorded contract had no code on this chain any more (the local chain was reset); deployed a new one.")
    click.echo(f"Deployed DigitalResident on chain {record.chain_id} at {record.address} (block {record.block_number}, transaction {record.transaction_hash}).")


def _deploy(soulbound: bool | None, name: str, symbol: str, contract_uri: str, yes: bool):  # type: ignore[no-untyped-def]
    from app.chain.service import open_chain
    from minting.keys import load_minter_account
    from minting.minter import Minter
    from minting.service import ContractSettings, deploy_resident_contract

    config = settings()
    w3 = open_chain(config)
    minter = Minter(w3, load_minter_account(config, interactive=sys.stdin.isatty()))
    if config.CHAIN_ID != LOCAL_CHAIN_ID and not yes:
        click.confirm(f"Deploy DigitalResident to chain {config.CHAIN_ID} from {minter.address}?", abort=True)
    contract = ContractSettings(name, symbol, config.CARD_SOULBOUND if soulbound is None else soulbound, contract_uri)
    try:
        outcome = deploy_resident_contract(minter, config.CHAIN_ID, contract, cli_actor())
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return outcome


@residents.command()
@with_appcontext
@reports_errors
def check() -> None:
    """Check every setting the site needs: instance folder, database, chain, contract."""
    from app.preflight import run_preflight

    for line in run_preflight(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(f"ok  {line}")


@residents.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
@reports_errors
def serve(host: str, port: int) -> None:
    """Check the settings, then serve the site (development server; use gunicorn in production)."""
    from app.preflight import run_preflight

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_preflight(app)
    _serve(app, host, port)


@residents.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
@reports_errors
def dev(host: str, port: int) -> None:
    """Start the local chain if needed, migrate, deploy once, and serve the site."""
    from flask_migrate import upgrade

    from app.preflight import run_preflight

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _stop_on_sigterm()
    anvil = _start_local_chain(app)
    try:
        upgrade()
        outcome = _deploy(None, "Nishikawa Digital Resident", "NDR", "", yes=True)
        state = "deployed" if outcome.created else "found"
        click.echo(f"Contract: DigitalResident {state} at {outcome.deployment.address} on chain {outcome.deployment.chain_id}")
        run_preflight(app)
        _serve(app, host, port, chain_note=" and the chain it started" if anvil else "")
    finally:
        if anvil is not None:
            anvil.stop()
            click.echo("Stopped the local chain.")


def _serve(app: Flask, host: str, port: int, chain_note: str = "") -> None:
    from werkzeug.serving import run_simple

    click.echo(f"Serving Nishikawa Digital Residents on http://{host}:{port}/ (Ctrl-C stops the site{chain_note})")
    try:
        run_simple(host, port, app, use_reloader=False, threaded=True)
    except KeyboardInterrupt:
        pass


def main() -> None:
    residents(prog_name="residents")
