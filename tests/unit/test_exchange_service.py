"""Exchange events, one rule at a time: scheduling, the waitlist, both check-in paths, closing
and anchoring (with an in-memory contract; tests/integration covers anvil), proofs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from eth_account import Account as EthAccount
from flask import Flask

from app.audit.models import AuditEntry
from app.chain.models import Holding
from app.extensions import db
from community.exchange import attendance, checkin, service
from community.exchange.merkle import AttendanceTree, verify_proof
from community.exchange.models import REGISTERED, WAITLISTED, WITHDRAWN, CheckIn, ExchangeEvent, Registration
from community.gating.errors import AccessDenied, NotSignedIn
from tests.unit.conftest_exchange import CONTRACT, ENDS, SETTINGS, STARTS, T0, FakeAnchor, attached, draft, sign_typed

DURING = STARTS + timedelta(minutes=30)


@pytest.fixture
def ctx(app: Flask):  # type: ignore[no-untyped-def]
    """A request context in English, so refusals (lazy translations) can be read."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app


@pytest.fixture
def organizer(ctx: Flask, create_account):  # type: ignore[no-untyped-def]
    return attached(create_account(roles=("organizer",)))


@pytest.fixture
def make_resident(ctx: Flask, create_account, give_card):  # type: ignore[no-untyped-def]
    """Factory: a resident with a card, registered for each event given (the door admits only them)."""

    def make(*registered_for: ExchangeEvent, key: str | None = None):  # type: ignore[no-untyped-def]
        db.session.commit()  # the factories write from their own app context and session
        wallet = EthAccount.from_key(key) if key else EthAccount.create()
        account = create_account(wallet.address)
        give_card(wallet.address)
        resident = attached(account)
        resident.key = wallet.key.to_0x_hex()  # type: ignore[attr-defined]
        for event in registered_for:
            assert service.register(resident, event.id, now=T0).status == REGISTERED
        return resident

    return make


@pytest.fixture
def event(organizer) -> ExchangeEvent:  # type: ignore[no-untyped-def]
    return service.create_event(organizer, draft(), now=T0)


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# -- scheduling --------------------------------------------------------------------------------


def test_an_organizer_schedules_an_event_in_utc_and_it_is_audited(organizer, event: ExchangeEvent) -> None:  # type: ignore[no-untyped-def]
    assert event.starts_at == STARTS and event.starts_at.tzinfo is not None
    assert event.capacity == 2 and event.latitude == Decimal("38.4239")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "exchange.create"))
    assert entry is not None and entry.actor == organizer.address and entry.target == f"exchange_event:{event.id}"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"starts_at": T0 - timedelta(hours=1)}, "starts_at", "in the past"),
        ({"ends_at": STARTS - timedelta(minutes=1)}, "ends_at", "end must be after the start"),
        ({"ends_at": STARTS}, "ends_at", "end must be after the start"),
        ({"capacity": 0}, "capacity", "at least 1"),
        ({"capacity": -3}, "capacity", "at least 1"),
        ({"registration_deadline": T0 - timedelta(minutes=1)}, "registration_deadline", "in the past"),
        ({"registration_deadline": STARTS + timedelta(minutes=1)}, "registration_deadline", "before the event starts"),
        ({"latitude": Decimal("90.5")}, "latitude", "between -90 and 90"),
        ({"longitude": Decimal("-181")}, "longitude", "between -180 and 180"),
        ({"longitude": None}, "latitude", "both latitude and longitude"),
        ({"title_en": "  "}, "title_en", "title"),
    ],
)
def test_bad_event_details_are_refused_and_nothing_is_recorded(organizer, changes, field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(service.InvalidEvent) as caught:
        service.create_event(organizer, draft(**changes), now=T0)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert _count(ExchangeEvent) == 0 and _count(AuditEntry) == 0


def test_only_organizers_schedule(ctx: Flask, create_account) -> None:  # type: ignore[no-untyped-def]
    moderator = attached(create_account(roles=("moderator",)))
    with pytest.raises(NotSignedIn):
        service.create_event(None, draft(), now=T0)
    with pytest.raises(AccessDenied):
        service.create_event(moderator, draft(), now=T0)
    assert _count(ExchangeEvent) == 0


def test_cancelled_events_refuse_registration_and_check_in(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    service.cancel_event(organizer, event.id, now=T0)
    resident = make_resident()
    with pytest.raises(service.RegistrationRefused, match="cancelled"):
        service.register(resident, event.id, now=T0)
    with pytest.raises(service.CheckInRefused, match="cancelled"):
        service.current_kiosk_code(organizer, event.id, SETTINGS, now=DURING)


# -- registration and the waitlist ---------------------------------------------------------------


def test_a_full_event_puts_residents_on_a_waitlist_promoted_in_order(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    first, second, third, fourth = (make_resident() for _ in range(4))
    statuses = [service.register(r, event.id, now=T0 + timedelta(minutes=i)).status for i, r in enumerate((first, second, third, fourth))]
    assert statuses == [REGISTERED, REGISTERED, WAITLISTED, WAITLISTED]
    assert service.waitlist_position(service.registration_of(fourth, event.id)) == 2  # type: ignore[arg-type]

    assert service.register(first, event.id, now=T0).status == REGISTERED, "registering twice changes nothing"
    service.withdraw(second, event.id, now=T0 + timedelta(hours=1))
    assert service.registration_of(second, event.id).status == WITHDRAWN  # type: ignore[union-attr]
    assert service.registration_of(third, event.id).status == REGISTERED, "the first in line moves up"  # type: ignore[union-attr]
    assert service.registration_of(fourth, event.id).status == WAITLISTED  # type: ignore[union-attr]
    assert service.waitlist_position(service.registration_of(fourth, event.id)) == 1  # type: ignore[arg-type]

    # Rejoining goes to the back of the line.
    assert service.register(second, event.id, now=T0 + timedelta(hours=2)).status == WAITLISTED
    service.update_event(organizer, event.id, draft(capacity=4), now=T0 + timedelta(hours=3))
    registered = db.session.scalars(sa.select(Registration.account_id).filter_by(event_id=event.id, status=REGISTERED)).all()
    assert set(registered) == {first.id, third.id, fourth.id, second.id}


def test_capacity_cannot_drop_below_the_registered(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        service.register(make_resident(), event.id, now=T0)
    with pytest.raises(service.InvalidEvent, match="already hold a place"):
        service.update_event(organizer, event.id, draft(capacity=1), now=T0)


def test_registration_after_the_deadline_is_refused(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident()
    with pytest.raises(service.RegistrationRefused, match="Registration closed"):
        service.register(resident, event.id, now=event.registration_deadline + timedelta(seconds=1))
    assert _count(Registration) == 0


def test_a_visitor_without_a_card_cannot_register(ctx: Flask, event: ExchangeEvent, create_account) -> None:  # type: ignore[no-untyped-def]
    db.session.commit()
    with pytest.raises(AccessDenied):
        service.register(attached(create_account()), event.id, now=T0)
    assert _count(Registration) == 0


# -- kiosk codes and wallet check-in -------------------------------------------------------------


def test_kiosk_codes_rotate_and_only_the_current_and_previous_window_count() -> None:
    moment = DURING.timestamp()
    window = checkin.kiosk_window(moment)
    current = checkin.kiosk_code("k", 1, window)
    assert checkin.kiosk_code_is_fresh("k", 1, current, moment)
    assert checkin.kiosk_code_is_fresh("k", 1, current, moment + checkin.KIOSK_WINDOW_SECONDS)
    assert not checkin.kiosk_code_is_fresh("k", 1, current, moment + 2 * checkin.KIOSK_WINDOW_SECONDS)
    assert not checkin.kiosk_code_is_fresh("k", 2, current, moment), "a code belongs to one event"
    assert not checkin.kiosk_code_is_fresh("other-secret", 1, current, moment)
    assert checkin.kiosk_code("k", 1, window + 1) != current


def _kiosk_check_in(resident, event: ExchangeEvent, at: datetime, *, key: str | None = None, code_at: datetime | None = None, settings: service.CheckInSettings = SETTINGS):  # type: ignore[no-untyped-def]
    code = "0x" + checkin.kiosk_code(settings.secret_key, event.id, checkin.kiosk_window((code_at or at).timestamp())).hex()
    invitation = service.open_kiosk_check_in(resident, event.id, code, settings, now=code_at or at)
    signature = sign_typed(invitation.typed_data, key or resident.key)
    signed = service.KioskSignature(code, invitation.typed_data["message"]["issuedAt"], signature, invitation.opened_at)
    return service.check_in_with_signature(resident, event.id, signed, settings, now=at)


def test_a_resident_checks_in_by_signing_the_kiosk_code(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    outcome = _kiosk_check_in(resident, event, DURING)
    assert not outcome.already
    record = db.session.scalar(sa.select(CheckIn))
    assert record is not None and record.address == resident.address and record.method == "kiosk"
    assert record.evidence.startswith("0x") and len(record.evidence) == 132, "the signature is kept"
    typed = checkin.check_in_typed_data(checkin.CheckInMessage(event.id, resident.address, bytes.fromhex(record.kiosk_code[2:]), record.issued_at), 31337, CONTRACT)
    assert checkin.recover_check_in_signer(typed, record.evidence) == resident.address

    again = _kiosk_check_in(resident, event, DURING + timedelta(minutes=5))
    assert again.already and again.check_in.id == record.id
    assert _count(CheckIn) == 1


def test_the_typed_data_follows_the_agreed_domain(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    code = "0x" + checkin.kiosk_code(SETTINGS.secret_key, event.id, checkin.kiosk_window(DURING.timestamp())).hex()
    typed = service.open_kiosk_check_in(resident, event.id, code, SETTINGS, now=DURING).typed_data
    assert typed["domain"] == {"name": "Nishikawa Digital Residents", "version": "1", "chainId": 31337, "verifyingContract": CONTRACT}
    assert [f["name"] + " " + f["type"] for f in typed["types"]["CheckIn"]] == ["eventId uint256", "resident address", "kioskCode bytes32", "issuedAt uint64"]
    assert typed["message"]["resident"] == resident.address and typed["message"]["issuedAt"] == int(DURING.timestamp())


def test_a_signature_from_a_different_wallet_is_refused(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    with pytest.raises(service.CheckInRefused, match="different wallet"):
        _kiosk_check_in(resident, event, DURING, key=EthAccount.create().key.to_0x_hex())
    assert _count(CheckIn) == 0


def test_an_expired_kiosk_code_is_refused(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    stale = "0x" + checkin.kiosk_code(SETTINGS.secret_key, event.id, checkin.kiosk_window(DURING.timestamp()) - 2).hex()
    with pytest.raises(service.CheckInRefused, match="expired"):
        service.open_kiosk_check_in(resident, event.id, stale, SETTINGS, now=DURING)
    with pytest.raises(service.CheckInRefused, match="expired"):
        service.check_in_with_signature(resident, event.id, service.KioskSignature(stale, int(DURING.timestamp()), "0x00"), SETTINGS, now=DURING)
    with pytest.raises(service.CheckInRefused, match="expired"):
        service.open_kiosk_check_in(resident, event.id, "0xnot-a-code", SETTINGS, now=DURING)
    # A fresh code seen when the page opened, but signed after the grace period: refused too.
    with pytest.raises(service.CheckInRefused, match="expired"):
        _kiosk_check_in(resident, event, DURING + service.SIGNING_GRACE + timedelta(seconds=1), code_at=DURING)
    assert _count(CheckIn) == 0


def test_signing_within_the_grace_period_still_counts(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    assert not _kiosk_check_in(resident, event, DURING + timedelta(seconds=60), code_at=DURING).already


@pytest.mark.parametrize(("moment", "words"), [(STARTS - timedelta(hours=1, seconds=1), "has not opened yet"), (ENDS, "closed at")])
def test_check_in_outside_the_window_is_refused(event: ExchangeEvent, make_resident, organizer, moment: datetime, words: str) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    with pytest.raises(service.CheckInRefused, match=words):
        _kiosk_check_in(resident, event, moment)
    token = service.issue_pass(resident, event.id, SETTINGS, now=STARTS - timedelta(days=1)).token
    if moment < ENDS:
        with pytest.raises(service.CheckInRefused, match=words):
            service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=moment)
    assert _count(CheckIn) == 0


def test_check_in_opens_an_hour_before_the_start(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    assert not _kiosk_check_in(make_resident(event), event, STARTS - timedelta(hours=1)).already


# -- passes ------------------------------------------------------------------------------------


def test_staff_check_a_resident_in_with_a_pass(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    issued = service.issue_pass(resident, event.id, SETTINGS, now=T0)
    assert issued.expires_at == ENDS
    outcome = service.check_in_with_pass(organizer, event.id, issued.token, SETTINGS, now=DURING)
    assert not outcome.already and outcome.check_in.method == "pass" and outcome.check_in.scanned_by_id == organizer.id
    assert outcome.check_in.evidence == issued.token
    assert service.check_in_with_pass(organizer, event.id, issued.token, SETTINGS, now=DURING).already
    assert _count(CheckIn) == 1


def test_a_forged_pass_is_refused(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    genuine = service.issue_pass(resident, event.id, SETTINGS, now=T0).token
    forged = checkin.sign_pass("someone-elses-key", checkin.Pass(1, resident.address, event.id, int(ENDS.timestamp())))
    tampered = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    for token in (forged, tampered, "", "garbage"):
        with pytest.raises(service.CheckInRefused, match="not genuine"):
            service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=DURING)
    assert _count(CheckIn) == 0


def test_an_expired_pass_is_refused(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    number = db.session.scalar(sa.select(Holding.resident_number).filter_by(holder=resident.address))
    expired = checkin.sign_pass(SETTINGS.secret_key, checkin.Pass(number, resident.address, event.id, int((DURING - timedelta(minutes=1)).timestamp())))
    with pytest.raises(service.CheckInRefused, match="expired"):
        service.check_in_with_pass(organizer, event.id, expired, SETTINGS, now=DURING)
    assert _count(CheckIn) == 0


def test_a_pass_whose_card_left_the_wallet_is_void(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    token = service.issue_pass(resident, event.id, SETTINGS, now=T0).token
    db.session.execute(sa.delete(Holding).where(Holding.holder == resident.address))
    with pytest.raises(service.CheckInRefused, match="no longer held"):
        service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=DURING)
    assert _count(CheckIn) == 0


def test_a_pass_for_another_event_is_refused(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    other = service.create_event(organizer, draft(title_en="Another"), now=T0)
    token = service.issue_pass(make_resident(other), other.id, SETTINGS, now=T0).token
    with pytest.raises(service.CheckInRefused, match="another event"):
        service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=DURING)


def test_only_staff_scan_passes(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    token = service.issue_pass(resident, event.id, SETTINGS, now=T0).token
    with pytest.raises(AccessDenied):
        service.check_in_with_pass(resident, event.id, token, SETTINGS, now=DURING)


# -- closing, anchoring, proofs ------------------------------------------------------------------


def _attend(event: ExchangeEvent, make_resident, organizer, count: int):  # type: ignore[no-untyped-def]
    service.update_event(organizer, event.id, draft(capacity=max(count, 2)), now=T0)
    residents = [make_resident(event) for _ in range(count)]
    for resident in residents:
        service.check_in_with_pass(organizer, event.id, service.issue_pass(resident, event.id, SETTINGS, now=T0).token, SETTINGS, now=DURING)
    return residents


def test_closing_anchors_one_root_and_every_attendee_can_prove_it(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    residents = _attend(event, make_resident, organizer, 5)
    with pytest.raises(service.InvalidEvent, match="after it ends"):
        attendance.close_event(organizer, event.id, FakeAnchor(), now=DURING)
    anchor = FakeAnchor()
    outcome = attendance.close_event(organizer, event.id, anchor, now=ENDS)
    key = anchor.key_of(event)
    assert anchor.sent == [key] and outcome.transaction is not None
    assert event.status == "closed" and event.attendee_count == 5 and event.anchor_key == "0x" + key.hex()
    root = anchor.roots[key].merkle_root
    assert event.attendance_root == "0x" + root.hex() and anchor.roots[key].attendee_count == 5

    for resident in residents:
        document = attendance.attendance_proof(resident, event.id)
        assert document["root"] == event.attendance_root and document["contract"] == CONTRACT and document["chainId"] == 31337
        assert verify_proof(root, bytes.fromhex(document["leaf"][2:]), [bytes.fromhex(p[2:]) for p in document["proof"]])
        assert document["eventKey"] == event.anchor_key and document["leafEncoding"] == ["bytes32", "address"]
        check = attendance.verify_attendance_proof(document, lambda contract, event_key: anchor.roots.get(event_key), 31337)
        assert check.ok, check.reasons

    late = make_resident()
    with pytest.raises(service.CheckInRefused, match="closed"):
        service.check_in_with_pass(organizer, event.id, service.issue_pass(late, event.id, SETTINGS, now=T0).token, SETTINGS, now=DURING)
    with pytest.raises(AccessDenied):
        attendance.attendance_proof(make_resident(), event.id)

    again = attendance.close_event(organizer, event.id, anchor, now=ENDS + timedelta(hours=1))
    assert again.already_closed and anchor.sent == [key], "closing twice sends nothing"


def test_a_tampered_proof_does_not_verify(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    residents = _attend(event, make_resident, organizer, 3)
    anchor = FakeAnchor()
    attendance.close_event(organizer, event.id, anchor, now=ENDS)
    document = attendance.attendance_proof(residents[0], event.id)
    read = lambda contract, event_key: anchor.roots.get(event_key)  # noqa: E731
    stranger = EthAccount.create().address
    cases = [
        {**document, "address": stranger},
        {**document, "proof": [("0x" + "00" * 32)] + document["proof"][1:]},
        {**document, "eventKey": "0x" + "ab" * 32},
        {**document, "chainId": 1},
    ]
    for tampered in cases:
        check = attendance.verify_attendance_proof(tampered, read, 31337)
        assert not check.ok and check.reasons


def test_a_rerun_after_a_crash_finds_the_root_on_chain_and_sends_nothing(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    residents = _attend(event, make_resident, organizer, 2)
    anchor = FakeAnchor()
    tree = AttendanceTree.build(anchor.key_of(event), [r.address for r in residents])
    # The transaction was mined, then the process died before the database recorded it.
    anchor.roots[anchor.key_of(event)] = service.OnChainAnchor(tree.root, 2)
    outcome = attendance.close_event(organizer, event.id, anchor, now=ENDS)
    assert outcome.recovered and outcome.transaction is None and anchor.sent == []
    assert event.status == "closed" and event.attendance_root == "0x" + tree.root.hex()


def test_a_different_root_on_chain_stops_the_close(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    _attend(event, make_resident, organizer, 2)
    anchor = FakeAnchor()
    anchor.roots[anchor.key_of(event)] = service.OnChainAnchor(b"\x01" * 32, 7)
    with pytest.raises(service.AnchorFailed, match="different attendance root"):
        attendance.close_event(organizer, event.id, anchor, now=ENDS)
    assert anchor.sent == []


def test_an_event_nobody_attended_closes_without_a_transaction(organizer, event: ExchangeEvent) -> None:  # type: ignore[no-untyped-def]
    anchor = FakeAnchor()
    outcome = attendance.close_event(organizer, event.id, anchor, now=ENDS)
    assert outcome.transaction is None and anchor.sent == [] and event.status == "closed" and event.attendee_count == 0


def test_attendance_history_lists_the_residents_events(organizer, make_resident) -> None:  # type: ignore[no-untyped-def]
    first = service.create_event(organizer, draft(), now=T0)
    second = service.create_event(organizer, draft(starts_at=STARTS + timedelta(days=1), ends_at=ENDS + timedelta(days=1)), now=T0)
    resident = make_resident(first, second)
    for event, moment in ((first, DURING), (second, DURING + timedelta(days=1))):
        service.check_in_with_pass(organizer, event.id, service.issue_pass(resident, event.id, SETTINGS, now=T0).token, SETTINGS, now=moment)
    history = attendance.attendance_history(resident)
    assert [c.event_id for c in history] == [second.id, first.id]
    assert attendance.attendance_history(make_resident()) == []


def test_the_signed_pass_round_trips() -> None:
    issued = checkin.Pass(12, EthAccount.create().address, 3, int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()))
    assert checkin.read_pass("k", checkin.sign_pass("k", issued)) == issued
    assert checkin.read_pass("k2", checkin.sign_pass("k", issued)) is None


def test_event_draft_is_frozen() -> None:
    with pytest.raises(Exception):
        draft().capacity = 5  # type: ignore[misc]
    assert replace(draft(), capacity=9).capacity == 9


# -- the rule at the door --------------------------------------------------------------------------


def _pass_check_in(organizer, event: ExchangeEvent, resident, at: datetime = DURING):  # type: ignore[no-untyped-def]
    return service.check_in_with_pass(organizer, event.id, service.issue_pass(resident, event.id, SETTINGS, now=T0).token, SETTINGS, now=at)


def test_a_resident_who_never_registered_gets_no_pass_and_no_kiosk_check_in(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    stranger = make_resident()
    with pytest.raises(service.CheckInRefused, match="Only residents who registered") as refused:
        service.issue_pass(stranger, event.id, SETTINGS, now=T0)
    assert refused.value.status == 403
    with pytest.raises(service.CheckInRefused, match="Only residents who registered"):
        _kiosk_check_in(stranger, event, DURING)
    assert _count(CheckIn) == 0


def test_a_pass_issued_before_withdrawing_no_longer_opens_the_door(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    resident = make_resident(event)
    token = service.issue_pass(resident, event.id, SETTINGS, now=T0).token
    service.withdraw(resident, event.id, now=T0 + timedelta(hours=1))
    with pytest.raises(service.CheckInRefused, match="Only residents who registered"):
        service.check_in_with_pass(organizer, event.id, token, SETTINGS, now=DURING)
    assert _count(CheckIn) == 0


def test_the_waitlist_waits_at_the_door_too(organizer, event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    make_resident(event), make_resident(event)  # the two places
    waiting = make_resident()
    assert service.register(waiting, event.id, now=T0).status == WAITLISTED
    with pytest.raises(service.CheckInRefused, match="waitlist"):
        service.issue_pass(waiting, event.id, SETTINGS, now=T0)


def test_walk_ins_come_in_only_when_allowed_and_while_places_are_free(organizer, make_resident) -> None:  # type: ignore[no-untyped-def]
    event = service.create_event(organizer, draft(capacity=3, walk_ins=True), now=T0)
    registered = make_resident(event)
    first, second, third = make_resident(), make_resident(), make_resident()
    assert not _pass_check_in(organizer, event, registered).check_in.walk_in
    assert _pass_check_in(organizer, event, first).check_in.walk_in
    # Two places are taken (one by a registration, one by a walk-in); the last one goes to a walk-in by kiosk.
    assert _kiosk_check_in(second, event, DURING).check_in.walk_in
    with pytest.raises(service.CheckInRefused, match="The event is full") as full:
        _pass_check_in(organizer, event, third)
    assert full.value.status == 409
    assert _count(CheckIn) == 3
    assert _pass_check_in(organizer, event, first).already, "someone already in is not turned away"


def test_walk_ins_never_take_the_places_of_registered_residents_still_on_their_way(organizer, make_resident) -> None:  # type: ignore[no-untyped-def]
    event = service.create_event(organizer, draft(capacity=2, walk_ins=True), now=T0)
    on_the_way = [make_resident(event), make_resident(event)]
    with pytest.raises(service.CheckInRefused, match="The event is full"):
        _pass_check_in(organizer, event, make_resident())
    for resident in on_the_way:
        assert not _pass_check_in(organizer, event, resident).already


def test_the_walk_in_choice_is_saved_and_can_change(organizer, event: ExchangeEvent) -> None:  # type: ignore[no-untyped-def]
    assert event.walk_ins is False
    service.update_event(organizer, event.id, draft(walk_ins=True), now=T0)
    assert db.session.get(ExchangeEvent, event.id).walk_ins is True  # type: ignore[union-attr]


# -- smart-contract wallets at the kiosk -------------------------------------------------------------


def test_a_smart_contract_wallet_checks_in_through_erc1271(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    owner = EthAccount.create()
    resident = make_resident(event)
    asked: list[tuple[str, bytes, bytes]] = []

    def wallet_says(address: str, digest: bytes, signature: bytes) -> bool:
        asked.append((address, digest, signature))
        # The wallet contract's rule: its owner's key signed the digest.
        from eth_keys import keys

        return len(signature) == 65 and keys.Signature(signature[:64] + bytes([signature[64] - 27])).recover_public_key_from_msg_hash(digest).to_checksum_address() == owner.address

    settings = replace(SETTINGS, contract_wallets=wallet_says)
    code = "0x" + checkin.kiosk_code(settings.secret_key, event.id, checkin.kiosk_window(DURING.timestamp())).hex()
    invitation = service.open_kiosk_check_in(resident, event.id, code, settings, now=DURING)
    signature = sign_typed(invitation.typed_data, owner.key.to_0x_hex())
    signed = service.KioskSignature(code, invitation.typed_data["message"]["issuedAt"], signature, invitation.opened_at)
    outcome = service.check_in_with_signature(resident, event.id, signed, settings, now=DURING)
    assert outcome.check_in.address == resident.address and not outcome.already
    assert asked[0][0] == resident.address and asked[0][1] == checkin.check_in_digest(invitation.typed_data)


def test_a_chain_outage_during_the_wallet_check_is_a_clear_503(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    from app.auth.service import ContractWalletUnavailable

    def node_away(address: str, digest: bytes, signature: bytes) -> bool:
        raise ContractWalletUnavailable("no node")

    resident = make_resident(event)
    settings = replace(SETTINGS, contract_wallets=node_away)
    with pytest.raises(service.CheckInRefused, match="could not reach the blockchain") as refused:
        _kiosk_check_in(resident, event, DURING, key=EthAccount.create().key.to_0x_hex(), settings=settings)
    assert refused.value.status == 503


def test_a_high_s_check_in_signature_does_not_recover(event: ExchangeEvent, make_resident) -> None:  # type: ignore[no-untyped-def]
    from app.auth.siwe import SECP256K1_N

    resident = make_resident(event)
    code = "0x" + checkin.kiosk_code(SETTINGS.secret_key, event.id, checkin.kiosk_window(DURING.timestamp())).hex()
    typed = service.open_kiosk_check_in(resident, event.id, code, SETTINGS, now=DURING).typed_data
    raw = bytes.fromhex(sign_typed(typed, resident.key)[2:])
    twin = raw[:32] + (SECP256K1_N - int.from_bytes(raw[32:64], "big")).to_bytes(32, "big") + bytes([55 - raw[64]])
    assert checkin.recover_check_in_signer(typed, raw) == resident.address
    assert checkin.recover_check_in_signer(typed, twin) is None
