"""The path from Python to a real anvil chain: deploy once, mint, read back, clear errors."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from eth_account import Account
from flask import Flask
from flask.testing import FlaskCliRunner

from app.audit.models import AuditEntry
from app.chain.anvil import AnvilProcess, free_port
from app.chain.client import ResidentRegistry, connect
from app.chain.errors import ChainIdMismatch, ChainUnreachable, ContractMissing
from app.chain.models import Deployment
from app.chain.passkey_accounts import open_passkey_accounts
from app.chain.service import open_registry
from app.config import Config
from app.extensions import db
from minting.keys import DEV_KEYS, KeyRole, load_signing_account
from minting.minter import CardAdmin, Minter
from minting.service import ContractSettings, deploy_resident_contract

pytestmark = pytest.mark.chain


def test_deploy_records_the_contract_once(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["deploy"])
    assert first.exit_code == 0, first.output
    assert "Deployed DigitalResident on chain 31337" in first.output

    assert "Deployed the passkey account factory on chain 31337" in first.output

    minter = Account.from_key(DEV_KEYS[KeyRole.MINTER][1]).address
    with app.app_context():
        deployment = db.session.scalars(sa.select(Deployment).filter_by(contract_name="DigitalResident")).one()
        assert deployment.chain_id == 31337
        assert deployment.soulbound is True
        w3 = connect(anvil.rpc_url, 31337)
        block = w3.eth.block_number
        assert deployment.block_number <= block
        factory = db.session.scalars(sa.select(Deployment).filter_by(contract_name="ResidentAccountFactory")).one()
        assert deployment.block_number < factory.block_number <= block
        # The factory is paid by the minting key: it is no admin power.
        assert w3.eth.get_transaction(factory.transaction_hash)["from"] == minter
        assert w3.eth.get_transaction(deployment.transaction_hash)["from"] == Account.from_key(DEV_KEYS[KeyRole.ADMIN][1]).address
        assert open_passkey_accounts(app.config["SETTINGS"]).check()
        audits = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(a.action, a.target) for a in audits] == [("contract.deploy", deployment.address), ("passkey_factory.deploy", factory.address)]
        address = deployment.address

    again = runner.invoke(args=["deploy"])
    assert again.exit_code == 0, again.output
    assert f"already deployed on chain 31337 at {address}" in again.output
    assert "The passkey account factory is already deployed on chain 31337; nothing changed." in again.output
    assert connect(anvil.rpc_url, 31337).eth.block_number == block, "a second deploy sent a transaction"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Deployment)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2


def test_deploy_finishes_a_deploy_that_stopped_before_the_factory(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    """A contract deployed before the factory existed (or a deploy cut short) gets only the factory."""
    config: Config = app.config["SETTINGS"]
    with app.app_context():
        w3 = connect(anvil.rpc_url, 31337)
        admin = CardAdmin(w3, load_signing_account(KeyRole.ADMIN, config))
        minter, organizer = (load_signing_account(role, config).address for role in (KeyRole.MINTER, KeyRole.ANCHOR))
        card = deploy_resident_contract(admin, 31337, ContractSettings(), "test", minter=minter, organizer=organizer).deployment.address
        db.session.commit()
    missing = runner.invoke(args=["check"])
    assert missing.exit_code == 1, missing.output
    assert "missing  passkey account factory: No passkey account factory is recorded for chain 31337. Run `residents deploy` to deploy it." in missing.output

    result = runner.invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    assert f"already deployed on chain 31337 at {card}" in result.output
    assert "Deployed the passkey account factory on chain 31337" in result.output
    checked = runner.invoke(args=["check"])
    assert checked.exit_code == 0, checked.output
    assert "ok       passkey account factory 0x" in checked.output


def test_a_minted_card_is_read_back_from_the_chain(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["deploy", "--transferable"]).exit_code == 0
    config: Config = app.config["SETTINGS"]
    resident = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    with app.app_context():
        registry = open_registry(config)
        before = registry.last_resident_number()
        minter = Minter(registry.w3, load_signing_account(KeyRole.MINTER, config))
        receipt = minter.mint(registry.address, resident, hashlib.sha256(b'{"name":"test"}').digest())
        assert receipt.gas_used > 0
        assert registry.last_resident_number() == before + 1
        assert registry.owner_of(before + 1) == resident
        assert registry.owner_of(before + 1000) is None


def test_a_stale_recorded_deployment_is_replaced_and_said(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address="0x" + "12" * 20, block_number=1, transaction_hash="0x" + "00" * 32, soulbound=True))
        db.session.commit()
    result = runner.invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    assert "had no code on this chain any more" in result.output
    with app.app_context():
        deployment = db.session.scalars(sa.select(Deployment).filter_by(contract_name="DigitalResident")).one()
        assert deployment.address != "0x" + "12" * 20
        assert ResidentRegistry(connect(anvil.rpc_url, 31337), deployment.address).ensure_deployed()


def test_check_reports_each_setting_and_each_key(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["deploy"]).exit_code == 0
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "ok       database" in result.output
    assert f"ok       chain 31337 answers at {anvil.rpc_url}" in result.output
    for role, index, chain_role in ((KeyRole.ADMIN, 0, "DEFAULT_ADMIN_ROLE"), (KeyRole.MINTER, 8, "MINTER_ROLE"), (KeyRole.ANCHOR, 9, "ORGANIZER_ROLE")):
        address = Account.from_key(DEV_KEYS[role][1]).address
        assert f"ok       {role.value} key {address} (anvil development key #{index}) holds {chain_role}" in result.output
    assert "ok       passkey account factory 0x" in result.output


def test_check_names_a_missing_role_and_a_role_too_many(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["deploy"]).exit_code == 0
    anchor = Account.from_key(DEV_KEYS[KeyRole.ANCHOR][1]).address
    assert runner.invoke(args=["chain-roles", "revoke", "organizer", anchor, "--yes"]).exit_code == 0
    assert runner.invoke(args=["chain-roles", "grant", "minter", anchor, "--yes"]).exit_code == 0
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1, result.output
    assert f"missing  anchor key {anchor} (anvil development key #9) lacks ORGANIZER_ROLE: grant it with `residents chain-roles grant organizer {anchor}`" in result.output
    assert f"warning  anchor key {anchor} (anvil development key #9) also holds MINTER_ROLE, beyond its own role: the web process loads this key" in result.output
    assert "missing  nobody holds ORGANIZER_ROLE on the contract: grant it to the anchor key" in result.output


def test_wrong_chain_settings_name_the_setting(anvil: AnvilProcess) -> None:
    with pytest.raises(ChainIdMismatch, match=r"^Setting CHAIN_ID: expected chain 1, but the node .* reports chain 31337"):
        connect(anvil.rpc_url, 1)
    with pytest.raises(ChainUnreachable, match=r"^Setting CHAIN_RPC_URL: no chain node answers"):
        connect(f"http://127.0.0.1:{free_port()}", 31337, timeout=2)
    with pytest.raises(ContractMissing, match=r"^Setting RESIDENT_CONTRACT_ADDRESS: there is no contract code"):
        ResidentRegistry(connect(anvil.rpc_url, 31337), "0x" + "ab" * 20).ensure_deployed()


def test_cli_errors_are_one_line_without_traceback(anvil: AnvilProcess, app: Flask, runner: FlaskCliRunner) -> None:
    app.config["SETTINGS"].CHAIN_ID = 5
    try:
        result = runner.invoke(args=["deploy"])
    finally:
        app.config["SETTINGS"].CHAIN_ID = 31337
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: Setting CHAIN_ID: expected chain 5, but the node at")
