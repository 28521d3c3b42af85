"""The `residents` commands for the contract and its keys: deploy, check, chain-roles, anchors,
and `exchange void-anchor`. Registered on the command line by scripts/cli.py."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.config import LOCAL_CHAIN_ID
from scripts.options import cli_actor, in_unit_of_work, reports_errors, settings, yes_option

_ROLE_CHOICE = click.Choice(["admin", "minter", "organizer"])


def _admin_tools():  # type: ignore[no-untyped-def]
    from minting.issuance import open_admin_tools

    return open_admin_tools(settings())


# ---- deploy and check ------------------------------------------------------------------------


@click.command()
@click.option("--soulbound/--transferable", default=None, help="Cards locked to their wallet (default: CARD_SOULBOUND).")
@click.option("--name", default="Nishikawa Digital Resident", show_default=True, help="ERC-721 collection name.")
@click.option("--symbol", default="NDR", show_default=True, help="ERC-721 symbol.")
@click.option("--contract-uri", default="", help="Collection metadata URI (ipfs://…), returned by contractURI().")
@click.option("--admin-delay-hours", type=click.IntRange(0, 24 * 365), default=None, help="Hours a transfer of the admin role waits before it can be accepted (default: 48, none on the local chain).")
@yes_option
@with_appcontext
@reports_errors
def deploy(soulbound: bool | None, name: str, symbol: str, contract_uri: str, admin_delay_hours: int | None, yes: bool) -> None:
    """Deploy the DigitalResident contract to the configured chain, once, with the admin key,
    then the passkey residents' account factory, once, paid by the minting key.

    The minting key receives MINTER_ROLE and the anchor key ORGANIZER_ROLE in the same
    transaction; the admin key keeps only the admin role. Rerun to finish a deploy that stopped
    between the two: what a chain already has is found and not sent again.
    """
    outcome = deploy_once(soulbound, name, symbol, contract_uri, yes, admin_delay_hours)
    record = outcome.deployment
    if not outcome.created:
        click.echo(f"DigitalResident is already deployed on chain {record.chain_id} at {record.address} (block {record.block_number}); nothing changed.")
    else:
        if outcome.replaced_stale:
            click.echo("The recorded contract had no code on this chain any more (the local chain was reset); deployed a new one.")
        click.echo(f"Deployed DigitalResident on chain {record.chain_id} at {record.address} (block {record.block_number}, transaction {record.transaction_hash}).")
    factory = deploy_account_factory_once()
    if factory is None:
        click.echo(f"The passkey account factory is already deployed on chain {record.chain_id}; nothing changed.")
    else:
        click.echo(
            f"Deployed the passkey account factory on chain {record.chain_id} at {factory.factory.address} "
            f"(implementation {factory.implementation.address}, paid by the minting key)."
        )


def deploy_once(soulbound: bool | None, name: str, symbol: str, contract_uri: str, yes: bool, admin_delay_hours: int | None = None):  # type: ignore[no-untyped-def]
    """Deploy unless already deployed; the minter and organizer are the configured keys' addresses."""
    from app.chain.sendlock import DatabaseSendLock
    from app.chain.service import open_chain
    from app.extensions import db
    from minting.keys import KeyRole, configured_key, load_signing_account
    from minting.minter import CardAdmin
    from minting.service import ContractSettings, deploy_resident_contract

    config = settings()
    w3 = open_chain(config)
    minter, organizer = configured_key(KeyRole.MINTER, config), configured_key(KeyRole.ANCHOR, config)
    admin = CardAdmin(w3, load_signing_account(KeyRole.ADMIN, config, interactive=_interactive()), send_lock=DatabaseSendLock(db.engine))
    if config.CHAIN_ID != LOCAL_CHAIN_ID and not yes:
        click.confirm(
            f"Deploy DigitalResident to chain {config.CHAIN_ID} with admin {admin.address}, minter {minter.address} and organizer (anchor key) {organizer.address}, "
            f"and the passkey account factory paid by the minter?",
            abort=True,
        )
    contract = ContractSettings(name, symbol, config.CARD_SOULBOUND if soulbound is None else soulbound, contract_uri, admin_delay_hours)
    return in_unit_of_work(
        lambda: deploy_resident_contract(admin, config.CHAIN_ID, contract, cli_actor(), minter=minter.address, organizer=organizer.address)
    )


def deploy_account_factory_once():  # type: ignore[no-untyped-def]
    """Deploy the passkey account implementation and factory unless this chain has them.

    Paid by the minting key, not the admin key: the factory gives its deployer no power (anyone
    may deploy it, and nothing on it can be changed), so it needs no admin signature, and the
    minting key already pays for every resident account cloned from it. The minting key is
    unlocked only when something is to be sent. Returns None when nothing was sent.
    """
    from app.chain.sendlock import DatabaseSendLock
    from app.chain.service import open_chain
    from app.extensions import db
    from minting.keys import KeyRole, load_signing_account
    from minting.minter import Minter
    from minting.passkey_accounts import account_factory_deployed, deploy_account_factory

    config = settings()
    w3 = open_chain(config)
    if account_factory_deployed(w3, config.CHAIN_ID):
        return None
    minter = Minter(w3, load_signing_account(KeyRole.MINTER, config, interactive=_interactive()), send_lock=DatabaseSendLock(db.engine))
    return in_unit_of_work(lambda: deploy_account_factory(minter, config.CHAIN_ID, cli_actor()))


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty()


@click.command()
@with_appcontext
@reports_errors
def check() -> None:
    """Check every setting the site needs (instance folder, database, chain, contract), which
    role each configured key holds on the contract, and the passkey account factory; exit 1 when
    something is missing."""
    from app.chain.errors import ChainError
    from app.chain.passkey_accounts import open_passkey_accounts
    from app.chain.service import open_registry
    from app.preflight import run_preflight
    from minting.chain_roles import check_keys

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for line in run_preflight(app):
        click.echo(f"ok       {line}")
    report = check_keys(settings(), open_registry(settings()))
    for status, line in report.lines():
        click.echo(f"{status:8} {line}")
    try:
        accounts = open_passkey_accounts(settings())
        implementation = accounts.check()
    except ChainError as exc:
        click.echo(f"{'missing':8} passkey account factory: {exc}")
        factory_ok = False
    else:
        click.echo(f"{'ok':8} passkey account factory {accounts.factory_address} (implementation {implementation}) puts accounts where this checkout expects")
        factory_ok = True
    if not report.ok:
        raise click.ClickException("Some roles are missing on the contract; see the lines marked `missing` above.")
    if not factory_ok:
        raise click.ClickException("The passkey account factory is missing or not the one this checkout expects; see the line marked `missing` above.")


# ---- chain-roles -------------------------------------------------------------------------------


@click.group("chain-roles")
def chain_roles() -> None:
    """The roles on the card contract (admin, minter, organizer); every change is signed with the
    admin key and audited."""


@chain_roles.command("list")
@with_appcontext
@reports_errors
def chain_roles_list() -> None:
    """Show who holds each role on the contract, and any pending transfer of the admin role."""
    from app.chain.service import open_registry
    from minting.chain_roles import list_roles

    listing = list_roles(open_registry(settings()))
    admin = listing.admin
    click.echo(f"admin      {admin.admin or '(none)'}  (transfer delay {admin.delay_seconds / 3600:g} h)")
    if admin.pending_admin:
        click.echo(f"           offered to {admin.pending_admin}, who may accept after {admin.accept_after:%Y-%m-%d %H:%M} UTC")
    for label, holders in (("minter", listing.minters), ("organizer", listing.organizers)):
        click.echo(f"{label:10} {', '.join(holders) if holders else '(none)'}")


@chain_roles.command("grant")
@click.argument("role", type=_ROLE_CHOICE)
@click.argument("address")
@yes_option
@with_appcontext
@reports_errors
def chain_roles_grant(role: str, address: str, yes: bool) -> None:
    """Give ROLE to ADDRESS. For admin this offers the role: ADDRESS accepts it after the delay."""
    from minting.chain_roles import grant_chain_role

    tools = _admin_tools()
    if not yes:
        what = f"Offer the admin role of {tools.registry.address} to {address}" if role == "admin" else f"Grant {role} on {tools.registry.address} to {address}"
        click.confirm(f"{what}?", abort=True)
    change = in_unit_of_work(lambda: grant_chain_role(tools.admin, tools.registry, role, address, cli_actor()))
    if change.receipt is None:
        click.echo(f"{address} already holds {change.role}; nothing sent.")
    elif role == "admin":
        click.echo(
            f"Offered the admin role to {address} (transaction {change.receipt.transaction_hash}). After "
            f"{change.accept_after:%Y-%m-%d %H:%M} UTC, run `residents chain-roles accept-admin` with RESIDENTS_ADMIN_KEY set to that key."
        )
    else:
        click.echo(f"Granted {change.role} to {address} (transaction {change.receipt.transaction_hash}).")


@chain_roles.command("revoke")
@click.argument("role", type=_ROLE_CHOICE)
@click.argument("address")
@yes_option
@with_appcontext
@reports_errors
def chain_roles_revoke(role: str, address: str, yes: bool) -> None:
    """Take ROLE (minter or organizer) away from ADDRESS."""
    from minting.chain_roles import revoke_chain_role

    tools = _admin_tools()
    if not yes:
        click.confirm(f"Revoke {role} on {tools.registry.address} from {address}?", abort=True)
    change = in_unit_of_work(lambda: revoke_chain_role(tools.admin, tools.registry, role, address, cli_actor()))
    if change.receipt is None:
        click.echo(f"{address} does not hold {change.role}; nothing sent.")
    else:
        click.echo(f"Revoked {change.role} from {address} (transaction {change.receipt.transaction_hash}).")


@chain_roles.command("accept-admin")
@with_appcontext
@reports_errors
def chain_roles_accept_admin() -> None:
    """Accept the admin role offered to the configured admin key (RESIDENTS_ADMIN_KEY of the new key)."""
    from minting.chain_roles import accept_admin_role

    tools = _admin_tools()
    receipt = in_unit_of_work(lambda: accept_admin_role(tools.admin, tools.registry, cli_actor()))
    click.echo(f"{tools.admin.address} is now the admin of {tools.registry.address} (transaction {receipt.transaction_hash}).")


@chain_roles.command("cancel-admin")
@with_appcontext
@reports_errors
def chain_roles_cancel_admin() -> None:
    """Withdraw a pending offer of the admin role (signed by the current admin key)."""
    from minting.chain_roles import cancel_admin_transfer

    tools = _admin_tools()
    receipt = in_unit_of_work(lambda: cancel_admin_transfer(tools.admin, tools.registry, cli_actor()))
    click.echo(f"The pending admin transfer is cancelled (transaction {receipt.transaction_hash}).")


# ---- anchors -----------------------------------------------------------------------------------


def _anchor_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise click.BadParameter(f"{text!r} is not an anchor key (0x and 64 hex digits).")
    return key


@click.group()
def anchors() -> None:
    """Records anchored on the card contract (attendance, lottery commitments, vote results)."""


@anchors.command("show")
@click.argument("key")
@with_appcontext
@reports_errors
def anchors_show(key: str) -> None:
    """Show what is anchored under KEY (0x and 64 hex digits)."""
    from app.chain.service import open_registry

    raw = _anchor_key(key)
    registry = open_registry(settings())
    found = [
        (label, record)
        for label, record in (("attendance", registry.attendance_root(raw)), ("draw", registry.draw_commitment(raw)), ("vote", registry.vote_result(raw)))
        if record is not None
    ]
    if not found:
        click.echo(f"Nothing is anchored under 0x{raw.hex()} on {registry.address} (never anchored, or voided).")
        return
    for label, record in found:
        click.echo(f"{label}: {record}")


@anchors.command("void")
@click.argument("key")
@click.option("--reason", required=True, help="Why the record is voided (written to the audit log).")
@yes_option
@with_appcontext
@reports_errors
def anchors_void(key: str, reason: str, yes: bool) -> None:
    """Void the record anchored under KEY with the admin key; it then reads as never anchored."""
    from app.audit import service as audit

    raw = _anchor_key(key)
    tools = _admin_tools()
    if not yes:
        click.confirm(f"Void the anchor 0x{raw.hex()} on {tools.registry.address}? This cannot be undone.", abort=True)

    def void() -> str:
        receipt = tools.admin.void_anchor(tools.registry.address, raw)
        audit.record(cli_actor(), "anchor.void", "0x" + raw.hex(), reason=reason, contract=tools.registry.address, transaction_hash=receipt.transaction_hash)
        return receipt.transaction_hash

    click.echo(f"Voided the anchor 0x{raw.hex()} (transaction {in_unit_of_work(void)}). Anchor the record again under a new key.")


@click.command("void-anchor")
@click.argument("event_id", type=int)
@click.option("--reason", required=True, help="Why the anchored attendance is wrong (written to the audit log).")
@yes_option
@with_appcontext
@reports_errors
def exchange_void_anchor(event_id: int, reason: str, yes: bool) -> None:
    """Void an exchange event's anchored attendance (admin key) so that `residents exchange close
    EVENT_ID` anchors it again under a new key."""
    from community.exchange.attendance import forget_voided_anchor
    from community.exchange.service import ExchangeError, get_event
    from minting.errors import ContractRejected

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.test_request_context(headers={"Accept-Language": "en"}):  # refusals are translated messages
        event = get_event(event_id)
        if event.anchor_key is None:
            raise click.ClickException(f"Event {event_id} has no anchored attendance to void.")
        key = bytes.fromhex(event.anchor_key.removeprefix("0x"))
        if event.anchor_chain_id != settings().CHAIN_ID:
            raise click.ClickException(f"Event {event_id} was anchored on chain {event.anchor_chain_id}; set CHAIN_ID and CHAIN_RPC_URL to that chain and rerun.")
        contract = event.anchor_contract or ""
        tools = _admin_tools()
        if not yes:
            click.confirm(f"Void the attendance anchor of event {event_id} ({event.anchor_key} on {contract}, root {event.attendance_root})?", abort=True)
        try:
            transaction: str | None = tools.admin.void_anchor(contract, key).transaction_hash
        except ContractRejected as exc:
            if exc.error_name != "AnchorKeyVoided":
                raise
            transaction = None  # voided before (a rerun after a crash): only the record is left to fix
        try:
            in_unit_of_work(lambda: forget_voided_anchor(cli_actor(), event_id, reason, transaction))
        except ExchangeError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Voided the attendance anchor of event {event_id}. Run `residents exchange close {event_id}` to anchor it again under a new key.")
