"""`residents`: the admin command line. Commands parse, confirm, call a service and report."""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
import threading
import time
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from app import create_app
from app.auth.models import STAFF_ROLES
from app.chain.anvil import AnvilProcess, port_answers, start_anvil
from app.config import LOCAL_CHAIN_ID, ConfigError
from app.extensions import db
from app.security import redacted_url
from scripts.options import cli_actor, dry_run_option, in_unit_of_work, reports_errors, settings, yes_option


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


def _hide_limiter_command() -> None:
    """Flask-Limiter plugs a `limiter` command into every Flask CLI (entry point flask.commands);
    it stays usable but is not one of the town's admin commands, so --help does not list it."""
    try:
        from flask_limiter.commands import cli as limiter_command
    except ImportError:
        return
    limiter_command.hidden = True


_hide_limiter_command()


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
        raise click.ClickException(f"Setting CHAIN_RPC_URL: `residents chain` runs the local chain only (chain id {LOCAL_CHAIN_ID} on 127.0.0.1); it is {redacted_url(config.CHAIN_RPC_URL)} with chain id {config.CHAIN_ID}.")
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
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
@reports_errors
def serve(host: str, port: int) -> None:
    """Check the settings, then serve the site (development server; use gunicorn in production)."""
    from app.preflight import run_preflight

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _site_url_follows(app, host, port)
    run_preflight(app)
    _serve(app, host, port)


@residents.command()
@click.option("--once", is_flag=True, help="Catch up with the chain, print a summary and exit.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, 3600), help="Seconds between polls of the node.")
@with_appcontext
@reports_errors
def indexer(once: bool, interval: float) -> None:
    """Follow the resident cards on the chain into the holdings table (Ctrl-C or SIGTERM stops it)."""
    from app.chain.indexer import follow

    config = settings()
    if once:
        _catch_up_once()
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stop.set())
    click.echo(f"Following the resident cards on chain {config.CHAIN_ID} at {redacted_url(config.CHAIN_RPC_URL)}, polling every {interval:g} s. Ctrl-C stops.")
    follow(config, stop, interval=interval, report=click.echo)
    click.echo("Indexer stopped.")


def _catch_up_once(attempts: int = 4) -> None:
    """Catch up with a progress bar; retry a node outage a few times, then say how far it got."""
    from app.chain.errors import ChainError
    from app.chain.indexer import Backoff, catch_up, indexer_progress, open_indexer

    config = settings()
    started = time.monotonic()
    totals = {"blocks": 0, "logs": 0}
    backoff = Backoff(1.0)
    for attempt in range(1, attempts + 1):
        try:
            runner = open_indexer(config, report=click.echo)
            pending = runner.pending_blocks()
            db.session.commit()
            with click.progressbar(length=max(pending, 1), label="Indexing blocks", show_pos=True, item_show_func=lambda note: note) as bar:

                def on_step(step) -> None:  # type: ignore[no-untyped-def]
                    totals["blocks"] += step.blocks
                    totals["logs"] += step.logs
                    rate = totals["logs"] / max(time.monotonic() - started, 1e-9)
                    bar.update(step.blocks, f"{totals['logs']:,} logs, {rate:,.0f} logs/s")

                summary = catch_up(runner, on_step)
            break
        except ChainError as exc:
            db.session.rollback()
            progress = indexer_progress(config.CHAIN_ID)
            kept = f"indexed up to block {progress.block_number}" if progress else "nothing indexed yet"
            if attempt == attempts:
                raise click.ClickException(f"{exc} ({kept}; rerun `residents indexer --once` to continue from there.)") from None
            pause = backoff.next()
            click.echo(f"{exc} ({kept}; retrying in {pause:.0f} s.)", err=True)
            time.sleep(pause)
    seconds = time.monotonic() - started
    click.echo(
        f"Indexed {totals['blocks']:,} blocks up to block {summary.last_block}: {totals['logs']:,} card events, "
        f"{summary.holdings:,} cards held, in {seconds:.1f} s ({totals['logs'] / max(seconds, 1e-9):,.0f} logs/s)."
    )


@residents.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
@reports_errors
def dev(host: str, port: int) -> None:
    """Start the local chain if needed, migrate, deploy once, and serve the site."""
    from flask_migrate import upgrade

    from app.chain.indexer import BackgroundIndexer
    from app.preflight import run_preflight
    from scripts.chain_cli import deploy_account_factory_once, deploy_once

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _site_url_follows(app, host, port)
    _stop_on_sigterm()
    anvil = _start_local_chain(app)
    background = None
    try:
        upgrade()
        if settings().CHAIN_ID == LOCAL_CHAIN_ID:
            # The local chain's development keys only: off 31337 the admin key stays out of any
            # process that serves pages, so deploy there with `residents deploy`.
            outcome = deploy_once(None, "Nishikawa Digital Resident", "NDR", "", yes=True)
            state = "deployed" if outcome.created else "found"
            click.echo(f"Contract: DigitalResident {state} at {outcome.deployment.address} on chain {outcome.deployment.chain_id}")
            factory = deploy_account_factory_once()
            if factory is not None:
                click.echo(f"Passkey account factory deployed at {factory.factory.address}")
        run_preflight(app)
        background = BackgroundIndexer(app, report=lambda line: click.echo(f"Indexer: {line}")).start()
        _serve(app, host, port, chain_note=" and the chain it started" if anvil else "")
    finally:
        if background is not None:
            background.stop()
        if anvil is not None:
            anvil.stop()
            click.echo("Stopped the local chain.")


def _site_url_follows(app: Flask, host: str, port: int) -> None:
    """Without SITE_URL in the environment, the site's URL (and so the sign-in domain) is where
    this command serves: `residents dev --port 5050` (or `make run PORT=5050`) just works."""
    if os.environ.get("SITE_URL"):
        return
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    url = f"http://{shown}:{port}"
    app.config["SITE_URL"] = url
    app.config["SETTINGS"].SITE_URL = url


def _serve(app: Flask, host: str, port: int, chain_note: str = "") -> None:
    from werkzeug.serving import run_simple

    click.echo(f"Serving Nishikawa Digital Residents on http://{host}:{port}/ (Ctrl-C stops the site{chain_note})")
    try:
        run_simple(host, port, app, use_reloader=False, threaded=True)
    except KeyboardInterrupt:
        pass


@residents.group()
def roles() -> None:
    """Grant, revoke and list staff roles (admin, organizer, moderator); every change is audited."""


def _change_role(change_role, address: str, role: str):  # type: ignore[no-untyped-def]
    from app.auth.service import RoleError

    try:
        return in_unit_of_work(lambda: change_role(cli_actor(), address, role))
    except RoleError as exc:
        raise click.ClickException(str(exc)) from None


@roles.command("grant")
@click.argument("address")
@click.argument("role", type=click.Choice(STAFF_ROLES))
@with_appcontext
@reports_errors
def roles_grant(address: str, role: str) -> None:
    """Give the wallet ADDRESS the staff role ROLE."""
    from app.auth.service import grant_role

    change = _change_role(grant_role, address, role)
    if change.changed:
        click.echo(f"Granted {change.role} to {change.address}.")
    else:
        click.echo(f"{change.address} already holds {change.role}; nothing changed.")


@roles.command("revoke")
@click.argument("address")
@click.argument("role", type=click.Choice(STAFF_ROLES))
@with_appcontext
@reports_errors
def roles_revoke(address: str, role: str) -> None:
    """Take the staff role ROLE away from the wallet ADDRESS."""
    from app.auth.service import revoke_role

    change = _change_role(revoke_role, address, role)
    if change.changed:
        click.echo(f"Revoked {change.role} from {change.address}.")
    else:
        click.echo(f"{change.address} does not hold {change.role}; nothing changed.")


@roles.command("list")
@with_appcontext
@reports_errors
def roles_list() -> None:
    """List every wallet that holds a staff role."""
    from app.auth.service import staff_members

    members = staff_members()
    if not members:
        click.echo("No staff roles are granted. Grant one with `residents roles grant ADDRESS ROLE`.")
        return
    for account in members:
        click.echo(f"{account.address}  {', '.join(sorted(account.roles))}")


# ---- minting -------------------------------------------------------------------------------


def _print_problems(problems) -> None:  # type: ignore[no-untyped-def]
    for problem in problems:
        click.echo(f"  {problem}", err=True)


class _MintProgress:
    """A progress bar with the rate in residents per second and the ETA (click's)."""

    def __init__(self, total: int) -> None:
        self.started = time.monotonic()
        self.done = 0
        self.bar = click.progressbar(length=total, label="Minting", show_eta=True, show_pos=True, item_show_func=lambda text: text)

    def __enter__(self) -> _MintProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bar.__exit__(*exc_info)  # type: ignore[arg-type]

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        self.bar.update(count, f"{rate:.1f} residents/s")


def _run_mint_job(job, batch_size: int, *, show_bar: bool) -> None:  # type: ignore[no-untyped-def]
    from minting.issuance import describe_store, open_tools, write_job_report
    from minting.models import OPEN_STEPS, Step
    from minting.pipeline import MintPipeline, fault_from_environment

    config = settings()
    tools = open_tools(config)
    open_count = sum(1 for row in job.residents if row.state in OPEN_STEPS)
    progress = _MintProgress(open_count) if show_bar and open_count else None
    pipeline = MintPipeline(tools, batch_size=batch_size, fault=fault_from_environment(), progress=progress.advance if progress else None, notice=lambda line: click.echo(line, err=True))
    try:
        if progress:
            with progress:
                report = pipeline.run(job)
        else:
            report = pipeline.run(job)
    finally:
        db.session.rollback()
        report_path = write_job_report(job, config)
    click.echo(
        f"Job {job.id} ({job.source}): {report.confirmed} minted ({report.minted_now} in this run), "
        f"{report.skipped} skipped (invalid lines), {report.failed} failed, {report.still_open} still open."
    )
    times = report.times
    click.echo(f"Time: render {times.render:.1f} s, IPFS {times.ipfs:.1f} s, chain {times.chain:.1f} s, database {times.database:.1f} s.")
    click.echo(f"Card images and metadata: {describe_store(config)}")
    click.echo(f"Report (one line per resident, with resident number, CIDs and transaction): {report_path}")
    failed = [row for row in job.residents if row.state == Step.FAILED]
    for row in failed[:20]:
        click.echo(f"  failed: line {row.line} {row.address}: {row.error}", err=True)
    if failed:
        raise click.ClickException(f"{len(failed)} resident(s) could not be minted; see above and {report_path}.")


def _contract(config):  # type: ignore[no-untyped-def]
    from app.chain.service import open_registry

    return open_registry(config)


@residents.command("mint")
@click.argument("address")
@click.option("--name", "display_name", required=True, help="Name printed on the card (Japanese, Latin or mixed).")
@click.option("--issued-on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Issue date YYYY-MM-DD (default: today in Japan).")
@click.option("--batch", default=None, help="Metadata batch label (default: the issue month, YYYY-MM).")
@dry_run_option
@with_appcontext
@reports_errors
def mint(address: str, display_name: str, issued_on: datetime | None, batch: str | None, dry_run: bool) -> None:
    """Mint one resident card to ADDRESS; rerun the same command to resume after a crash."""
    from minting.cards import default_template
    from minting.csv_import import check_resident
    from minting.issuance import SingleMintRequest, create_single_job, dry_run as render_dry_run, find_job, held_cards, single_job_key, today_in_town

    config = settings()
    registry = _contract(config)
    day = issued_on.date() if issued_on else None
    request = SingleMintRequest(address.strip(), display_name, config.CHAIN_ID, registry.address, day, batch)
    job = find_job(single_job_key(request))
    if job is None:
        template = default_template()
        checked = check_resident(address, display_name, template, held_cards(registry), issued_on=day, batch=batch)
        if checked.problems:
            _print_problems(checked.problems)
            raise click.ClickException("Nothing was minted. Fix the problem above and rerun.")
        if dry_run:
            label = batch or f"{day or today_in_town():%Y-%m}"
            card = render_dry_run(checked, template, config.SITE_URL, registry.last_resident_number() + 1, label, day)[0]
            click.echo(f"Dry run: card {card.resident_number} for {card.address} renders; image {card.image_cid}, token URI ipfs://{card.metadata_cid}. Nothing was stored or sent.")
            return
        job = in_unit_of_work(lambda: create_single_job(request, checked.rows[0]))
    elif dry_run:
        click.echo(f"Dry run: this mint is job {job.id}; rerun without --dry-run to resume it. Nothing was stored or sent.")
        return
    _run_mint_job(job, 1, show_bar=False)
    row = job.residents[0]
    if row.state == "confirmed":
        click.echo(f"Card {row.resident_number} belongs to {row.address}: token URI ipfs://{row.metadata_cid}, image {config.SITE_URL}/ipfs/{row.image_cid}")


@residents.command("mint-batch")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 500), help="Residents per mintBatch transaction.")
@click.option("--skip-invalid", is_flag=True, help="Mint the valid lines and leave out the invalid ones (reported).")
@click.option("--batch", "batch_label", default=None, help="Metadata batch label for lines without one (default: the file's name).")
@click.option("--issued-on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Issue date for lines without one (default: today in Japan).")
@dry_run_option
@with_appcontext
@reports_errors
def mint_batch(csv_file: Path, batch_size: int, skip_invalid: bool, batch_label: str | None, issued_on: datetime | None, dry_run: bool) -> None:
    """Mint a card to every resident listed in CSV_FILE (see the README for the columns).

    The whole file is checked first; rerunning the same file resumes its job.
    """
    from minting.cards import default_template
    from minting.issuance import CsvJobRequest, check_resident_csv, create_csv_job, default_batch_label, dry_run as render_dry_run, find_job, job_key

    config = settings()
    registry = _contract(config)
    data = csv_file.read_bytes()
    job = find_job(job_key("csv", config.CHAIN_ID, registry.address, data))
    if job is not None:
        if dry_run:
            click.echo(f"Dry run: {csv_file} is job {job.id}; rerun without --dry-run to resume it. Nothing was stored or sent.")
            return
        click.echo(f"Resuming job {job.id} for {csv_file} (same content as when it started).")
        _run_mint_job(job, batch_size, show_bar=True)
        return

    template = default_template()
    checked = check_resident_csv(data, template, registry)
    if checked.problems:
        click.echo(f"{len(checked.invalid_lines)} line(s) of {csv_file} cannot be minted:", err=True)
        _print_problems(checked.problems)
        if not skip_invalid:
            raise click.ClickException("Nothing was minted. Fix the lines above and rerun, or add --skip-invalid to mint the others.")
    label = batch_label or default_batch_label(str(csv_file))
    day = issued_on.date() if issued_on else None
    if dry_run:
        first = registry.last_resident_number() + 1
        with click.progressbar(length=len(checked.rows), label="Rendering", show_eta=True) as bar:
            cards = render_dry_run(checked, template, config.SITE_URL, first, label, day)
            bar.update(len(cards))
        click.echo(f"Dry run: {len(cards)} card(s) render (numbers {first}–{first + len(cards) - 1} if minted now), {len(checked.invalid_lines)} line(s) would be skipped. Nothing was stored or sent.")
        return
    if not checked.rows:
        raise click.ClickException(f"{csv_file} has no resident that can be minted.")
    request = CsvJobRequest(str(csv_file), data, config.CHAIN_ID, registry.address, label)
    job = in_unit_of_work(lambda: create_csv_job(request, checked, day))
    click.echo(f"Job {job.id}: {len(checked.rows)} resident(s) from {csv_file}.")
    _run_mint_job(job, batch_size, show_bar=True)


@residents.command("mint-status")
@click.argument("job_id", metavar="[JOB]", required=False, type=int)
@with_appcontext
@reports_errors
def mint_status(job_id: int | None) -> None:
    """List the mint jobs, or show where each resident of JOB is."""
    from minting.issuance import job_statuses
    from minting.models import OPEN_STEPS, Step

    statuses = job_statuses(job_id)
    if not statuses:
        click.echo("No mint jobs yet.")
        return
    for status in statuses:
        job, counts = status.job, status.counts
        total = sum(counts.values())
        state = f"finished {job.finished_at:%Y-%m-%d %H:%M} UTC" if job.finished_at else ("open" if status.open else "not finished")
        click.echo(
            f"job {job.id}  {job.kind:6}  {job.source}  started {job.created_at:%Y-%m-%d %H:%M} UTC  "
            f"{counts.get(Step.CONFIRMED, 0)}/{total} confirmed, {counts.get(Step.FAILED, 0)} failed, "
            f"{status.open} open, {len(job.skipped or ())} skipped  ({state})"
        )
    if job_id is None:
        return
    job = statuses[0].job
    click.echo("steps: " + ", ".join(f"{step} {statuses[0].counts.get(step, 0)}" for step in Step))
    for row in job.residents:
        if row.state in OPEN_STEPS or row.state == Step.FAILED or row.error:
            where = f" card {row.resident_number}" if row.resident_number else ""
            tx = f" tx {row.transaction_hash}" if row.transaction_hash else ""
            click.echo(f"  line {row.line} {row.address}: {row.state}{where}{tx}{': ' + row.error if row.error else ''}")
    for skipped in job.skipped or ():
        click.echo(f"  skipped line {skipped['line']}: {skipped['column']}: {skipped['message']}")


@residents.group()
def ipfs() -> None:
    """Store files on IPFS (the local block store, or the daemon set by IPFS_BACKEND)."""


@ipfs.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--only-hash", is_flag=True, help="Print the CID without storing the file (like Kubo's flag).")
@with_appcontext
@reports_errors
def ipfs_add(file: Path, only_hash: bool) -> None:
    """Store FILE and print its CID (the last line of output)."""
    from minting.ipfs import IpfsError
    from minting.issuance import add_file, describe_store, open_store

    config = settings()
    try:
        cid = add_file(None if only_hash else open_store(config), file)
    except IpfsError as exc:
        raise click.ClickException(str(exc)) from None
    if not only_hash:
        click.echo(f"Stored {file} in {describe_store(config)}.")
    click.echo(cid)


_REVOCATION_REASONS = {"unspecified": 0, "holder-request": 1, "issued-in-error": 2, "terms-breached": 3}


def _card_tools():  # type: ignore[no-untyped-def]
    from minting.issuance import open_tools

    return open_tools(settings())


def _admin_tools():  # type: ignore[no-untyped-def]
    from minting.issuance import open_admin_tools

    return open_admin_tools(settings())


@residents.command()
@click.argument("token", type=click.IntRange(1), metavar="TOKEN")
@click.option("--reason", type=click.Choice(list(_REVOCATION_REASONS)), required=True, help="Why the card is revoked (recorded on chain).")
@yes_option
@with_appcontext
@reports_errors
def revoke(token: int, reason: str, yes: bool) -> None:
    """Revoke (burn) resident card TOKEN; its number is never issued again."""
    from minting.issuance import revoke_card
    from minting.minter import RevocationReason

    tools = _admin_tools()
    holder = tools.registry.owner_of(token)
    if holder is None:
        raise click.ClickException(f"Card {token} does not exist: it was never issued, or it was already revoked.")
    if not yes:
        click.confirm(f"Revoke card {token} held by {holder} ({reason})? This cannot be undone.", abort=True)
    receipt = in_unit_of_work(lambda: revoke_card(tools, token, RevocationReason(_REVOCATION_REASONS[reason]), cli_actor()))
    click.echo(f"Revoked card {token} (transaction {receipt.transaction_hash}, block {receipt.block_number}).")


@residents.command()
@click.argument("token", type=click.IntRange(1), metavar="TOKEN")
@click.argument("new_address")
@yes_option
@with_appcontext
@reports_errors
def recover(token: int, new_address: str, yes: bool) -> None:
    """Move resident card TOKEN to NEW_ADDRESS (the holder lost their wallet)."""
    from minting.issuance import recover_card

    tools = _admin_tools()
    holder = tools.registry.owner_of(token)
    if holder is None:
        raise click.ClickException(f"Card {token} does not exist: it was never issued, or it was revoked.")
    if not yes:
        click.confirm(f"Move card {token} from {holder} to {new_address}?", abort=True)
    receipt = in_unit_of_work(lambda: recover_card(tools, token, new_address, cli_actor()))
    click.echo(f"Card {token} now belongs to {new_address} (transaction {receipt.transaction_hash}, block {receipt.block_number}).")


@residents.command("update-card")
@click.argument("token", type=click.IntRange(1), metavar="TOKEN")
@yes_option
@with_appcontext
@reports_errors
def update_card(token: int, yes: bool) -> None:
    """Re-render card TOKEN with the current template and update its metadata on chain."""
    from minting.issuance import prepare_card_update, update_card as apply_update

    tools = _card_tools()
    record, prepared = prepare_card_update(tools, token)
    if prepared.metadata_cid == record.metadata_cid:
        click.echo(f"Card {token} already shows the current template (token URI ipfs://{record.metadata_cid}); nothing to do.")
        return
    if not yes:
        click.confirm(f"Update card {token}'s metadata from ipfs://{record.metadata_cid} to ipfs://{prepared.metadata_cid}?", abort=True)
    outcome = in_unit_of_work(lambda: apply_update(tools, record, prepared, cli_actor()))
    sent = f" (transaction {outcome.receipt.transaction_hash})" if outcome.receipt else " (the chain already had it)"
    click.echo(f"Card {token} now points at ipfs://{prepared.metadata_cid}, image {prepared.image_cid}{sent}.")


@residents.group()
def reminders() -> None:
    """In-site reminders of metaverse meetups."""


@reminders.command("send")
@with_appcontext
def reminders_send() -> None:
    """Make the meetup reminders now due (a day and an hour before); safe to run from cron every few minutes."""
    from community.meetups.reminders import send_due_reminders

    made = in_unit_of_work(send_due_reminders)
    click.echo(f"Made {made} new meetup reminder(s).")


@residents.command("verify-attendance")
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@reports_errors
def verify_attendance(proof_file: Path) -> None:
    """Check an attendance proof (downloaded from an event page) against the root anchored on chain."""
    import json

    from app.chain.client import ResidentRegistry
    from app.chain.service import open_chain
    from community.exchange.attendance import verify_attendance_proof
    from community.exchange.service import OnChainAnchor

    config = settings()
    try:
        document = json.loads(proof_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{proof_file} is not a JSON proof file ({exc}).") from None
    w3 = open_chain(config)

    def read_anchor(contract: str, event_key: bytes) -> OnChainAnchor | None:
        found = ResidentRegistry(w3, contract).ensure_deployed().attendance_root(event_key)
        return None if found is None else OnChainAnchor(found.merkle_root, found.attendee_count)

    check = verify_attendance_proof(document if isinstance(document, dict) else {}, read_anchor, config.CHAIN_ID)
    if check.ok:
        click.echo(f"OK: {document['address']} attended exchange event {document['eventId']} (root {document['root']} anchored at {document['contract']} on chain {config.CHAIN_ID}).")
        return
    click.echo("NOT OK: " + "; ".join(check.reasons) + ".")
    sys.exit(1)


@residents.group()
def exchange() -> None:
    """Real-world exchange events."""


@exchange.command("close")
@click.argument("event_id", type=int)
@with_appcontext
@reports_errors
def exchange_close(event_id: int) -> None:
    """Close an exchange event that has ended and anchor its attendance root (safe to re-run)."""
    from community.exchange.attendance import close_event_from_cli
    from community.exchange.service import ExchangeError

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    factory = app.extensions.get("exchange_anchor_factory")
    if factory is None:
        from community.exchange.anchoring import build_chain_anchor as factory
    with app.test_request_context(headers={"Accept-Language": "en"}):  # refusals are translated messages
        try:
            outcome = in_unit_of_work(lambda: close_event_from_cli(cli_actor(), event_id, factory(app)))
        except ExchangeError as exc:
            raise click.ClickException(str(exc)) from None
        summary = f"{outcome.event.attendee_count} attendee(s), root {outcome.event.attendance_root or '(none)'}"
    if outcome.already_closed:
        click.echo(f"Event {event_id} was already closed ({summary}); nothing sent.")
    elif outcome.recovered:
        click.echo(f"Event {event_id} closed: the root was already on chain, recorded it without a new transaction ({summary}).")
    else:
        sent = f", transaction {outcome.transaction}" if outcome.transaction else ""
        click.echo(f"Event {event_id} closed ({summary}{sent}).")


def _register_chain_commands() -> None:
    from scripts.chain_cli import anchors, chain_roles, check, deploy, exchange_void_anchor

    for command in (deploy, check, chain_roles, anchors):
        residents.add_command(command)
    exchange.add_command(exchange_void_anchor)


_register_chain_commands()


def main() -> None:
    residents(prog_name="residents")
