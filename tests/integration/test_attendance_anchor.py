"""Attendance anchored on a real anvil chain: one transaction per event, a crash-safe re-run, and
proofs checked against the on-chain root by `residents verify-attendance`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from eth_account import Account
from flask import Flask

from app.chain.anchors import record_key
from app.chain.anvil import AnvilProcess
from app.chain.client import connect
from app.extensions import db
from community.exchange import attendance, service
from community.exchange.anchoring import ChainAnchor
from community.exchange.merkle import verify_proof
from minting.errors import ContractRejected
from tests.integration.town_keys import TownKeys, deploy_card, town_keys
from tests.unit.conftest_exchange import ENDS, STARTS, T0, attached, draft

pytestmark = pytest.mark.chain

DURING = STARTS + timedelta(minutes=10)


SITE = "residents.example.jp"


@pytest.fixture
def keys(anvil: AnvilProcess) -> TownKeys:
    return town_keys(connect(anvil.rpc_url, 31337))


@pytest.fixture
def chain_anchor(keys: TownKeys) -> ChainAnchor:
    """A fresh DigitalResident, anchored to with the anchor key (ORGANIZER_ROLE only)."""
    return ChainAnchor(deploy_card(keys), keys.anchor, 31337, SITE)


def key_of(event: service.ExchangeEvent) -> bytes:
    assert event.anchor_key is not None
    return bytes.fromhex(event.anchor_key.removeprefix("0x"))


@pytest.fixture
def attended_event(app: Flask, create_account, give_card) -> Iterator[tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    """An event that has ended, with three residents checked in by pass."""
    organizer_id = create_account(roles=("organizer",)).id
    residents = [create_account() for _ in range(3)]
    for resident in residents:
        give_card(resident.address)
    settings = service.CheckInSettings("test-secret-key", 31337, None)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        organizer = db.session.get(type(residents[0]), organizer_id)
        event = service.create_event(organizer, draft(capacity=3), now=T0)
        for resident in residents:
            service.register(attached(resident), event.id, now=T0)
            token = service.issue_pass(attached(resident), event.id, settings, now=T0).token
            service.check_in_with_pass(organizer, event.id, token, settings, now=DURING)
        db.session.commit()
        yield event.id, [resident.address for resident in residents]


def _close(app: Flask, event_id: int, anchor: ChainAnchor) -> attendance.CloseOutcome:
    organizer = db.session.scalar(db.select(service.Account).join(service.Account.staff_roles))  # type: ignore[attr-defined]
    return attendance.close_event(organizer, event_id, anchor, now=ENDS + timedelta(minutes=1))


def test_closing_anchors_the_root_once_and_proofs_verify_against_the_chain(app: Flask, runner, chain_anchor: ChainAnchor, attended_event, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event_id, addresses = attended_event
    w3 = chain_anchor.signer.w3
    outcome = _close(app, event_id, chain_anchor)
    db.session.commit()
    assert outcome.transaction is not None
    expected_key = record_key("attendance", SITE, outcome.event.anchor_uid, chain_id=31337, contract_address=chain_anchor.contract_address)
    assert key_of(outcome.event) == expected_key
    on_chain = chain_anchor.registry.attendance_root(expected_key)
    assert on_chain is not None and on_chain.attendee_count == 3
    assert "0x" + on_chain.merkle_root.hex() == outcome.event.attendance_root
    receipt = w3.eth.get_transaction_receipt(outcome.transaction)
    assert receipt["status"] == 1 and receipt["to"] == chain_anchor.registry.address

    block = w3.eth.block_number
    assert _close(app, event_id, chain_anchor).already_closed
    assert w3.eth.block_number == block, "closing again sends nothing"

    proofs = []
    for address in addresses:
        signed_in = db.session.scalar(db.select(service.Account).filter_by(address=address))  # type: ignore[attr-defined]
        document = attendance.attendance_proof(signed_in, event_id)
        # (a) in Python against the root read from the chain
        assert verify_proof(on_chain.merkle_root, bytes.fromhex(document["leaf"][2:]), [bytes.fromhex(p[2:]) for p in document["proof"]])
        proofs.append(document)

    # (b) with the documented command, for an attendee: OK, exit 0
    good = tmp_path / "proof.json"
    good.write_text(json.dumps(proofs[0]))
    result = runner.invoke(args=["verify-attendance", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:") and addresses[0] in result.output

    # ... and a tampered proof: NOT OK with the reason, exit 1
    stranger = {**proofs[0], "address": Account.create().address}
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(stranger))
    result = runner.invoke(args=["verify-attendance", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("NOT OK:") and "does not belong" in result.output

    forged_root = {**proofs[1], "proof": proofs[1]["proof"][:-1], "root": "0x" + "ab" * 32}
    bad.write_text(json.dumps(forged_root))
    result = runner.invoke(args=["verify-attendance", str(bad)])
    assert result.exit_code == 1 and "root anchored on chain is" in result.output


def test_a_rerun_after_a_crash_records_the_on_chain_root_without_a_second_transaction(app: Flask, chain_anchor: ChainAnchor, attended_event) -> None:  # type: ignore[no-untyped-def]
    event_id, _ = attended_event
    w3 = chain_anchor.signer.w3
    first = _close(app, event_id, chain_anchor)
    assert first.transaction is not None
    db.session.rollback()  # the process died after the transaction was mined, before the commit
    assert db.session.get(service.ExchangeEvent, event_id).status == "scheduled"

    block = w3.eth.block_number
    again = _close(app, event_id, chain_anchor)
    db.session.commit()
    assert again.recovered and again.transaction is None
    assert w3.eth.block_number == block, "no second transaction"
    assert again.event.status == "closed" and again.event.attendance_root == first.event.attendance_root


def test_the_cli_closes_an_event_and_is_safe_to_rerun(app: Flask, runner, chain_anchor: ChainAnchor, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    from app.timeutil import utcnow

    organizer_id = create_account(roles=("organizer",)).id
    resident = create_account()
    give_card(resident.address)
    starts = utcnow() - timedelta(hours=3)
    settings = service.CheckInSettings("test-secret-key", 31337, None)
    with app.test_request_context():
        organizer = db.session.get(service.Account, organizer_id)  # type: ignore[attr-defined]
        event = service.create_event(organizer, draft(starts_at=starts, ends_at=starts + timedelta(hours=2), registration_deadline=starts), now=starts - timedelta(days=1))
        service.register(attached(resident), event.id, now=starts - timedelta(days=1))
        token = service.issue_pass(attached(resident), event.id, settings, now=starts).token
        service.check_in_with_pass(organizer, event.id, token, settings, now=starts + timedelta(minutes=5))
        upcoming = service.create_event(organizer, draft(), now=utcnow())
        db.session.commit()
        event_id, upcoming_id = event.id, upcoming.id
    app.extensions["exchange_anchor_factory"] = lambda _app: chain_anchor
    try:
        result = runner.invoke(args=["exchange", "close", str(event_id)])
        assert result.exit_code == 0, result.output
        assert f"Event {event_id} closed (1 attendee(s), root 0x" in result.output and "transaction 0x" in result.output
        with app.app_context():
            assert chain_anchor.registry.attendance_root(key_of(db.session.get(service.ExchangeEvent, event_id))) is not None
        result = runner.invoke(args=["exchange", "close", str(event_id)])
        assert result.exit_code == 0 and "already closed" in result.output
        result = runner.invoke(args=["exchange", "close", str(upcoming_id)])
        assert result.exit_code == 1 and "can be closed after it ends" in result.output
    finally:
        app.extensions.pop("exchange_anchor_factory")


def test_junk_anchored_in_advance_cannot_block_an_event(app: Flask, chain_anchor: ChainAnchor, attended_event) -> None:  # type: ignore[no-untyped-def]
    """The anchor key could once pre-anchor the next sequential ids; keys now hold a random id
    drawn when the event is created, so nothing written beforehand can take an event's key."""
    event_id, _ = attended_event
    junk = bytes.fromhex("ab" * 32)
    for guess in (event_id.to_bytes(32, "big"), record_key("attendance", SITE, uuid.uuid4(), chain_id=31337, contract_address=chain_anchor.contract_address)):
        chain_anchor.anchor(guess, junk, 1)
    outcome = _close(app, event_id, chain_anchor)
    db.session.commit()
    assert outcome.transaction is not None
    anchored = chain_anchor.registry.attendance_root(key_of(outcome.event))
    assert anchored is not None and "0x" + anchored.merkle_root.hex() == outcome.event.attendance_root


def test_two_sites_sharing_the_contract_do_not_collide(app: Flask, keys: TownKeys, chain_anchor: ChainAnchor, attended_event) -> None:  # type: ignore[no-untyped-def]
    event_id, _ = attended_event
    event = db.session.get(service.ExchangeEvent, event_id)
    here = record_key("attendance", SITE, event.anchor_uid, chain_id=31337, contract_address=chain_anchor.contract_address)
    # Another site on the same contract, even one whose database reused the same event id and uid.
    other_site = record_key("attendance", "another-town.example", event.anchor_uid, chain_id=31337, contract_address=chain_anchor.contract_address)
    chain_anchor.anchor(other_site, bytes.fromhex("cd" * 32), 7)
    assert here != other_site
    outcome = _close(app, event_id, chain_anchor)
    db.session.commit()
    assert outcome.transaction is not None and key_of(outcome.event) == here


def test_an_admin_voids_a_wrong_anchor_and_the_event_is_anchored_again(app: Flask, runner, keys: TownKeys, chain_anchor: ChainAnchor, attended_event, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from app.audit.models import AuditEntry

    event_id, addresses = attended_event
    first = _close(app, event_id, chain_anchor)
    db.session.commit()
    old_key, old_uid = key_of(first.event), first.event.anchor_uid
    app.extensions["exchange_anchor_factory"] = lambda _app: chain_anchor
    config = app.config["SETTINGS"]
    config.RESIDENT_CONTRACT_ADDRESS = chain_anchor.contract_address
    try:
        result = runner.invoke(args=["exchange", "void-anchor", str(event_id), "--reason", "two check-ins were recorded twice", "--yes"])
        assert result.exit_code == 0, result.output
        assert f"Run `residents exchange close {event_id}` to anchor it again under a new key." in result.output
        assert chain_anchor.registry.attendance_root(old_key) is None, "a voided anchor reads as never anchored"
        event = db.session.get(service.ExchangeEvent, event_id)
        db.session.refresh(event)
        assert event.status == "closed" and event.attendance_root is None and event.anchor_uid != old_uid

        result = runner.invoke(args=["exchange", "close", str(event_id)])
        assert result.exit_code == 0, result.output
        db.session.refresh(event)
        new_key = key_of(event)
        assert new_key != old_key
        assert chain_anchor.registry.attendance_root(new_key) is not None

        # A proof of the new anchor verifies; the voided key cannot be written again.
        signed_in = db.session.scalar(db.select(service.Account).filter_by(address=addresses[0]))  # type: ignore[attr-defined]
        proof = tmp_path / "proof.json"
        proof.write_text(json.dumps(attendance.attendance_proof(signed_in, event_id)))
        result = runner.invoke(args=["verify-attendance", str(proof)])
        assert result.exit_code == 0, result.output
        with pytest.raises(ContractRejected, match="AnchorKeyVoided"):
            chain_anchor.anchor(old_key, bytes.fromhex("ab" * 32), 1)
    finally:
        app.extensions.pop("exchange_anchor_factory")
        config.RESIDENT_CONTRACT_ADDRESS = None
    actions = [entry.action for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["exchange.close", "exchange.anchor_void", "exchange.reanchor"]
