"""`residents chain-roles`: the roles on the contract, changed with the admin key and audited,
and the admin role moved in two delayed steps."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from eth_account import Account
from flask import Flask

from app.audit.models import AuditEntry
from app.chain.anvil import AnvilProcess
from app.chain.client import Role, connect
from app.chain.service import open_registry
from app.extensions import db
from minting.keys import DEV_KEYS, KeyRole

pytestmark = pytest.mark.chain

ADMIN, MINTER, ANCHOR = (Account.from_key(DEV_KEYS[role][1]).address for role in KeyRole)


@pytest.fixture
def deployed(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["deploy", "--admin-delay-hours", "1"])
    assert result.exit_code == 0, result.output


def audit_actions(app: Flask) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [(entry.action, entry.target, entry.details.get("role")) for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_list_shows_each_role_on_the_contract(runner, deployed) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["chain-roles", "list"])
    assert result.exit_code == 0, result.output
    assert f"admin      {ADMIN}  (transfer delay 1 h)" in result.output
    assert f"minter     {MINTER}" in result.output and f"organizer  {ANCHOR}" in result.output


def test_grant_and_revoke_are_sent_with_the_admin_key_and_audited(app: Flask, runner, deployed) -> None:  # type: ignore[no-untyped-def]
    organizer = Account.create().address
    result = runner.invoke(args=["chain-roles", "grant", "organizer", organizer, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Granted ORGANIZER_ROLE to {organizer} (transaction 0x" in result.output
    again = runner.invoke(args=["chain-roles", "grant", "organizer", organizer, "--yes"])
    assert again.exit_code == 0 and "already holds ORGANIZER_ROLE; nothing sent" in again.output
    assert f"organizer  {', '.join(sorted([ANCHOR, organizer]))}" in runner.invoke(args=["chain-roles", "list"]).output

    result = runner.invoke(args=["chain-roles", "revoke", "organizer", organizer, "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not open_registry(app.config["SETTINGS"]).has_role(Role.ORGANIZER, organizer)
    assert audit_actions(app)[-2:] == [("chain_role.grant", organizer, "ORGANIZER_ROLE"), ("chain_role.revoke", organizer, "ORGANIZER_ROLE")]

    refused = runner.invoke(args=["chain-roles", "revoke", "admin", ADMIN, "--yes"])
    assert refused.exit_code == 1 and "The admin role cannot be revoked: the contract always keeps one admin" in refused.output


def test_the_admin_role_moves_in_two_delayed_steps(app: Flask, runner, deployed, anvil: AnvilProcess) -> None:  # type: ignore[no-untyped-def]
    successor = Account.create()
    w3 = connect(anvil.rpc_url, 31337)
    w3.eth.send_transaction({"from": ADMIN, "to": successor.address, "value": 10**18})  # anvil signs for its dev accounts
    offered = runner.invoke(args=["chain-roles", "grant", "admin", successor.address, "--yes"])
    assert offered.exit_code == 0, offered.output
    assert f"Offered the admin role to {successor.address}" in offered.output and "accept-admin" in offered.output
    assert f"offered to {successor.address}" in runner.invoke(args=["chain-roles", "list"]).output

    settings = app.config["SETTINGS"]
    settings.environ[KeyRole.ADMIN.key_setting] = successor.key.hex()
    try:
        early = runner.invoke(args=["chain-roles", "accept-admin"])
        assert early.exit_code == 1 and "AccessControlEnforcedDefaultAdminDelay" in early.output
        w3.provider.make_request("evm_increaseTime", [3601])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        accepted = runner.invoke(args=["chain-roles", "accept-admin"])
        assert accepted.exit_code == 0, accepted.output
    finally:
        del settings.environ[KeyRole.ADMIN.key_setting]
    with app.app_context():
        state = open_registry(settings).admin_state()
    assert (state.admin, state.pending_admin) == (successor.address, None)
    assert [action for action, _, _ in audit_actions(app)][-2:] == ["chain_role.admin_transfer_begin", "chain_role.admin_transfer_accept"]
    # The old admin key can no longer change anything.
    stale = runner.invoke(args=["chain-roles", "grant", "minter", Account.create().address, "--yes"])
    assert stale.exit_code == 1 and f"AccessControlUnauthorizedAccount(account={ADMIN}, neededRole=DEFAULT_ADMIN_ROLE)" in stale.output
