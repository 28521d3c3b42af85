"""Exchange events: scheduling, registration with a waitlist, and check-in (the rule at the door
included). Attendance records, closing and anchoring are in community/exchange/attendance.py.

Every function takes the acting account and checks its authority itself; it flushes, and the
request (or CLI command) commits. `now` is a parameter so tests can walk an event through time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.audit.service import record as audit
from app.auth.models import ORGANIZER, Account
from app.auth.siwe import Erc1271Check
from app.chain.errors import ChainError
from app.chain.models import Holding
from app.extensions import db
from app.formatting import format_moment
from app.timeutil import utcnow
from community.exchange import checkin
from community.exchange.models import (
    CANCELLED,
    KIOSK,
    PASS,
    REGISTERED,
    SCHEDULED,
    WAITLISTED,
    WITHDRAWN,
    CheckIn,
    ExchangeEvent,
    Registration,
)
from community.gating.service import require_resident, require_role


#: Check-in opens this long before the start and closes at the end.
CHECK_IN_OPENS_BEFORE = timedelta(hours=1)
#: Time a resident has to sign after opening the check-in page with a fresh kiosk code
#: (wallet apps are slow to open on a phone with a poor connection).
SIGNING_GRACE = timedelta(seconds=120)
#: Clock difference tolerated between the phone and the server for issuedAt.
CLOCK_SKEW = timedelta(seconds=30)
#: The most places an exchange event offers (the form and the service both hold to it).
MAX_CAPACITY = 100_000
#: issuedAt is a Unix time in seconds; anything past this (the year 2106) is not a real moment.
MAX_ISSUED_AT = 2**32 - 1


# ---------------------------------------------------------------------------------------------
# Errors


class ExchangeError(Exception):
    """A refused exchange-event action; the message (in the user's language) says why and what to do."""

    status = 400

    def __init__(self, message: Any, field: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return str(self.message)


class EventNotFound(ExchangeError):
    status = 404


class InvalidEvent(ExchangeError):
    """The event's details break a rule; `field` names the form field."""


class RegistrationRefused(ExchangeError):
    pass


class CheckInRefused(ExchangeError):
    status = 422


class AnchorFailed(ExchangeError):
    status = 502


def jst(moment: datetime) -> str:
    """Format a UTC moment for a message, in the site's one format (app.formatting)."""
    return format_moment(moment)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


# ---------------------------------------------------------------------------------------------
# Scheduling


@dataclass(frozen=True)
class EventDraft:
    """What an organizer enters for an event; times are aware datetimes (the form converts JST)."""

    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    starts_at: datetime
    ends_at: datetime
    registration_deadline: datetime
    place_name: str
    place_address: str
    latitude: Decimal | None
    longitude: Decimal | None
    capacity: int
    #: Residents who did not register may check in at the door while places are free.
    walk_ins: bool = False


def _validate(draft: EventDraft, now: datetime) -> None:
    """Raise InvalidEvent for the first rule the draft breaks."""
    if not draft.title_ja.strip() or not draft.title_en.strip():
        raise InvalidEvent(_l("Enter the title in Japanese and in English."), "title_ja" if not draft.title_ja.strip() else "title_en")
    if not draft.place_name.strip() or not draft.place_address.strip():
        raise InvalidEvent(_l("Enter the name and the address of the place."), "place_name" if not draft.place_name.strip() else "place_address")
    if draft.starts_at <= now:
        raise InvalidEvent(_l("The start time %(time)s is in the past. Choose a time in the future.", time=jst(draft.starts_at)), "starts_at")
    if draft.ends_at <= draft.starts_at:
        raise InvalidEvent(_l("The end must be after the start."), "ends_at")
    if draft.registration_deadline <= now:
        raise InvalidEvent(_l("The registration deadline %(time)s is in the past.", time=jst(draft.registration_deadline)), "registration_deadline")
    if draft.registration_deadline > draft.starts_at:
        raise InvalidEvent(_l("Registration must close before the event starts."), "registration_deadline")
    if draft.capacity < 1:
        raise InvalidEvent(_l("The capacity must be at least 1 person."), "capacity")
    if draft.capacity > MAX_CAPACITY:
        raise InvalidEvent(_l("The capacity can be at most %(count)s people.", count=MAX_CAPACITY), "capacity")
    if (draft.latitude is None) != (draft.longitude is None):
        raise InvalidEvent(_l("Enter both latitude and longitude, or neither."), "latitude")
    if any(value is not None and not value.is_finite() for value in (draft.latitude, draft.longitude)):
        raise InvalidEvent(_l("Enter latitude and longitude as numbers of degrees, such as 38.4239."), "latitude")
    if draft.latitude is not None and not Decimal(-90) <= draft.latitude <= Decimal(90):
        raise InvalidEvent(_l("Latitude must be between -90 and 90 degrees."), "latitude")
    if draft.longitude is not None and not Decimal(-180) <= draft.longitude <= Decimal(180):
        raise InvalidEvent(_l("Longitude must be between -180 and 180 degrees."), "longitude")


def _apply(event: ExchangeEvent, draft: EventDraft) -> None:
    event.title_ja = draft.title_ja.strip()
    event.title_en = draft.title_en.strip()
    event.description_ja = draft.description_ja.strip()
    event.description_en = draft.description_en.strip()
    event.starts_at = draft.starts_at.astimezone(UTC)
    event.ends_at = draft.ends_at.astimezone(UTC)
    event.registration_deadline = draft.registration_deadline.astimezone(UTC)
    event.place_name = draft.place_name.strip()
    event.place_address = draft.place_address.strip()
    event.latitude = draft.latitude
    event.longitude = draft.longitude
    event.capacity = draft.capacity
    event.walk_ins = draft.walk_ins


def get_event(event_id: int) -> ExchangeEvent:
    event = db.session.get(ExchangeEvent, event_id)
    if event is None:
        raise EventNotFound(_l("There is no exchange event number %(number)s.", number=event_id))
    return event


def list_events(now: datetime | None = None) -> tuple[list[ExchangeEvent], list[ExchangeEvent]]:
    """Return (upcoming and running events soonest first, past and cancelled events newest first)."""
    moment = _now(now)
    events = list(db.session.scalars(sa.select(ExchangeEvent).order_by(ExchangeEvent.starts_at, ExchangeEvent.id)))
    upcoming = [event for event in events if event.status == SCHEDULED and event.ends_at > moment]
    past = [event for event in reversed(events) if event not in upcoming]
    return upcoming, past


def create_event(organizer: Account | None, draft: EventDraft, now: datetime | None = None) -> ExchangeEvent:
    """Schedule a new exchange event."""
    organizer = require_role(organizer, ORGANIZER)
    moment = _now(now)
    _validate(draft, moment)
    event = ExchangeEvent(status=SCHEDULED, roster_version=0, created_by_id=organizer.id, created_at=moment, updated_at=moment)
    _apply(event, draft)
    db.session.add(event)
    db.session.flush()
    audit(organizer.address, "exchange.create", f"exchange_event:{event.id}", title=event.title_ja, starts_at=event.starts_at.isoformat())
    return event


def update_event(organizer: Account | None, event_id: int, draft: EventDraft, now: datetime | None = None) -> ExchangeEvent:
    """Change an event that has not started; a larger capacity promotes people from the waitlist."""
    organizer = require_role(organizer, ORGANIZER)
    moment = _now(now)
    event = _lock_event(event_id)
    if event.status != SCHEDULED:
        raise InvalidEvent(_l("A cancelled or closed event cannot be changed."))
    if event.starts_at <= moment:
        raise InvalidEvent(_l("This event has already started and can no longer be changed."))
    _validate(draft, moment)
    registered = _count(event.id, REGISTERED)
    if draft.capacity < registered:
        raise InvalidEvent(
            _l("%(count)s residents already hold a place; the capacity cannot be lower than that.", count=registered), "capacity"
        )
    _apply(event, draft)
    event.updated_at = moment
    promoted = _promote_waitlist(event, moment)
    audit(organizer.address, "exchange.update", f"exchange_event:{event.id}", capacity=event.capacity, promoted=[r.account_id for r in promoted])
    return event


def cancel_event(organizer: Account | None, event_id: int, now: datetime | None = None) -> ExchangeEvent:
    """Cancel a scheduled event; registrations stay on record."""
    organizer = require_role(organizer, ORGANIZER)
    event = _lock_event(event_id)
    if event.status != SCHEDULED:
        raise InvalidEvent(_l("Only a scheduled event can be cancelled."))
    event.status = CANCELLED
    event.updated_at = _now(now)
    audit(organizer.address, "exchange.cancel", f"exchange_event:{event.id}")
    return event


# ---------------------------------------------------------------------------------------------
# Registration and the waitlist
#
# Race safety: every change to an event's roster first runs one UPDATE on the event's row
# (`roster_version + 1`). On PostgreSQL that row lock makes a second registration for the same
# event wait until the first commits, and READ COMMITTED then lets it count the first's row; on
# SQLite the UPDATE takes the database write lock before anything is counted (pysqlite begins
# the transaction at the first write, so no stale snapshot was read before it). So "count the
# places, then insert" can never hand out the last place twice, and promotions happen in
# queued_at order exactly once.


def _lock_event(event_id: int, *, only_status: str | None = None) -> ExchangeEvent:
    statement = sa.update(ExchangeEvent).where(ExchangeEvent.id == event_id)
    if only_status is not None:
        statement = statement.where(ExchangeEvent.status == only_status)
    result = db.session.execute(statement.values(roster_version=ExchangeEvent.roster_version + 1).execution_options(synchronize_session=False))
    event = db.session.get(ExchangeEvent, event_id, populate_existing=True)
    if event is None:
        raise EventNotFound(_l("There is no exchange event number %(number)s.", number=event_id))
    if only_status is not None and result.rowcount == 0:  # type: ignore[attr-defined]
        raise CheckInRefused(_refusal_for_status(event))
    return event


def _refusal_for_status(event: ExchangeEvent) -> Any:
    if event.status == CANCELLED:
        return _l("This event was cancelled.")
    return _l("This event is closed; its attendance list is final.")


def _count(event_id: int, status: str) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Registration).filter_by(event_id=event_id, status=status)) or 0)


def _promote_waitlist(event: ExchangeEvent, moment: datetime) -> list[Registration]:
    """Give free places to the waitlist, first come first served; return who moved up."""
    free = event.capacity - _count(event.id, REGISTERED)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        sa.select(Registration).filter_by(event_id=event.id, status=WAITLISTED).order_by(Registration.queued_at, Registration.id).limit(free)
    ).all()
    for registration in waiting:
        registration.status = REGISTERED
        registration.updated_at = moment
    db.session.flush()
    return list(waiting)


def registration_of(account: Account | None, event_id: int) -> Registration | None:
    if account is None:
        return None
    return db.session.scalar(sa.select(Registration).filter_by(event_id=event_id, account_id=account.id))


def waitlist_position(registration: Registration) -> int:
    """Return 1 for the first in line."""
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == WAITLISTED,
            sa.or_(Registration.queued_at < registration.queued_at, sa.and_(Registration.queued_at == registration.queued_at, Registration.id < registration.id)),
        )
    )
    return int(ahead or 0) + 1


def register(account: Account | None, event_id: int, now: datetime | None = None) -> Registration:
    """Take a place at the event, or a place on the waitlist when it is full."""
    require_resident(account)
    assert account is not None
    moment = _now(now)
    event = get_event(event_id)
    if event.status != SCHEDULED:
        raise RegistrationRefused(_refusal_for_status(event))
    if moment > event.registration_deadline:
        raise RegistrationRefused(_l("Registration closed at %(time)s.", time=jst(event.registration_deadline)))
    event = _lock_event(event_id)
    registration = registration_of(account, event_id)
    if registration is not None and registration.status in (REGISTERED, WAITLISTED):
        return registration
    status = REGISTERED if _count(event_id, REGISTERED) < event.capacity else WAITLISTED
    if registration is None:
        registration = Registration(event_id=event_id, account_id=account.id, status=status, queued_at=moment, updated_at=moment)
        db.session.add(registration)
    else:
        registration.status, registration.queued_at, registration.updated_at = status, moment, moment
    db.session.flush()
    return registration


def withdraw(account: Account | None, event_id: int, now: datetime | None = None) -> Registration:
    """Give up a place (or a place in line); the first on the waitlist moves up."""
    require_resident(account)
    assert account is not None
    moment = _now(now)
    event = _lock_event(event_id)
    if event.status != SCHEDULED or moment >= event.starts_at:
        raise RegistrationRefused(_l("Registrations can be changed only before the event starts."))
    registration = registration_of(account, event_id)
    if registration is None or registration.status == WITHDRAWN:
        raise RegistrationRefused(_l("You are not registered for this event."))
    registration.status, registration.updated_at = WITHDRAWN, moment
    db.session.flush()
    _promote_waitlist(event, moment)
    return registration


# ---------------------------------------------------------------------------------------------
# Check-in


@dataclass(frozen=True)
class CheckInSettings:
    """What check-in signs with: the app's secret, and the EIP-712 domain's chain and contract."""

    secret_key: str
    chain_id: int
    #: The DigitalResident address, or None when no contract is configured or deployed.
    contract_address: str | None
    #: Asks a smart-contract wallet on the chain whether it signed (ERC-1271), as sign-in does;
    #: None checks wallet keys (EOAs) only.
    contract_wallets: Erc1271Check | None = None

    @classmethod
    def from_app(cls, app: Flask) -> CheckInSettings:
        from app.auth.service import contract_wallet_check
        from app.chain.service import resident_contract_address

        config = app.config["SETTINGS"]
        try:
            contract: str | None = resident_contract_address(config)
        except ChainError:
            contract = None
        return cls(app.config["SECRET_KEY"], config.CHAIN_ID, contract, contract_wallet_check(config))


@dataclass(frozen=True)
class CheckInOutcome:
    check_in: CheckIn
    #: True when the resident had already checked in; nothing new was recorded.
    already: bool


def check_in_window(event: ExchangeEvent) -> tuple[datetime, datetime]:
    return event.starts_at - CHECK_IN_OPENS_BEFORE, event.ends_at


def _require_open(event: ExchangeEvent, moment: datetime) -> None:
    if event.status != SCHEDULED:
        raise CheckInRefused(_refusal_for_status(event))
    opens, closes = check_in_window(event)
    if moment < opens:
        raise CheckInRefused(_l("Check-in has not opened yet. It opens at %(time)s.", time=jst(opens)))
    if moment >= closes:
        raise CheckInRefused(_l("Check-in closed at %(time)s, when the event ended.", time=jst(closes)))


def current_kiosk_code(organizer: Account | None, event_id: int, settings: CheckInSettings, now: datetime | None = None) -> str:
    """Return the code the kiosk shows now (0x hex), for staff only and only while check-in is open."""
    require_role(organizer, ORGANIZER)
    moment = _now(now)
    event = get_event(event_id)
    _require_open(event, moment)
    window = checkin.kiosk_window(moment.timestamp())
    return "0x" + checkin.kiosk_code(settings.secret_key, event_id, window).hex()


@dataclass(frozen=True)
class KioskInvitation:
    """A fresh kiosk code seen by a resident: what to sign, and when the server saw the code."""

    typed_data: dict[str, Any]
    opened_at: datetime


def open_kiosk_check_in(account: Account | None, event_id: int, code_text: str, settings: CheckInSettings, now: datetime | None = None) -> KioskInvitation:
    """Check a scanned kiosk code and return the EIP-712 message for the resident to sign."""
    require_resident(account)
    assert account is not None
    moment = _now(now)
    event = get_event(event_id)
    _require_open(event, moment)
    code = _fresh_code(settings, event_id, code_text, moment, moment)
    if _check_in_of(event_id, account.address) is None:
        _admit(event, account.address)
    message = checkin.CheckInMessage(event_id, account.address, code, int(moment.timestamp()))
    return KioskInvitation(checkin.check_in_typed_data(message, settings.chain_id, _contract(settings)), moment)


@dataclass(frozen=True)
class KioskSignature:
    """What the resident's phone sends back: the code it scanned, the message's issuedAt and the signature."""

    kiosk_code: str
    issued_at: int
    signature: str
    #: When the server saw the code fresh (from the signed session); None means now.
    opened_at: datetime | None = None


def check_in_with_signature(account: Account | None, event_id: int, signed: KioskSignature, settings: CheckInSettings, now: datetime | None = None) -> CheckInOutcome:
    """Verify a wallet-signed kiosk check-in and record it."""
    residency = require_resident(account)
    assert account is not None
    moment = _now(now)
    opened_at = signed.opened_at or moment
    event = get_event(event_id)
    _require_open(event, moment)
    if moment - opened_at > SIGNING_GRACE:
        raise CheckInRefused(_l("The kiosk code has expired. Scan the code on the kiosk screen again."))
    code = _fresh_code(settings, event_id, signed.kiosk_code, opened_at, moment)
    issued = datetime.fromtimestamp(signed.issued_at, UTC) if 0 <= signed.issued_at <= MAX_ISSUED_AT else None
    if issued is None or issued < opened_at - CLOCK_SKEW or issued > moment + CLOCK_SKEW:
        raise CheckInRefused(_l("The signed check-in is out of date. Scan the code on the kiosk screen again."))
    message = checkin.CheckInMessage(event_id, account.address, code, signed.issued_at)
    _require_signed_by(account.address, checkin.check_in_typed_data(message, settings.chain_id, _contract(settings)), signed.signature, settings)
    return _record_check_in(
        event_id, account.address, residency.resident_number, KIOSK, signed.signature, moment, kiosk_code="0x" + code.hex(), issued_at=signed.issued_at
    )


def _require_signed_by(address: str, typed_data: dict[str, Any], signature: str, settings: CheckInSettings) -> None:
    """Accept the check-in when `address` signed it: its key (EOA), or, for a smart-contract
    wallet, the wallet's own ERC-1271 answer on the chain, exactly as sign-in checks it."""
    raw = checkin.signature_bytes(signature)
    if raw is None:
        raise CheckInRefused(_l("The wallet's signature could not be read. Try signing again."))
    signer = checkin.recover_check_in_signer(typed_data, raw)
    if signer == address:
        return
    if settings.contract_wallets is not None:
        from app.auth.service import ContractWalletUnavailable

        try:
            if settings.contract_wallets(address, checkin.check_in_digest(typed_data), raw):
                return
        except ContractWalletUnavailable:
            raise CheckInRefused(
                _l("We could not reach the blockchain to check your smart-contract wallet. Try again in a minute, or ask the staff to scan your pass."),
                status=503,
            ) from None
    if signer is None:
        raise CheckInRefused(_l("The wallet's signature could not be read. Try signing again."))
    raise CheckInRefused(
        _l("The check-in was signed by a different wallet (%(signer)s). Sign with the wallet you signed in with (%(address)s).", signer=signer, address=address)
    )


def _contract(settings: CheckInSettings) -> str:
    if settings.contract_address is None:
        raise CheckInRefused(_l("Wallet check-in is not set up yet (no resident contract is deployed). Ask the staff to scan your pass instead."))
    return settings.contract_address


def _fresh_code(settings: CheckInSettings, event_id: int, code_text: str, seen_at: datetime, moment: datetime) -> bytes:
    code = checkin.parse_kiosk_code(code_text or "")
    if code is None or not checkin.kiosk_code_is_fresh(settings.secret_key, event_id, code, seen_at.timestamp()):
        raise CheckInRefused(_l("The kiosk code has expired. Scan the code on the kiosk screen again."))
    return code


@dataclass(frozen=True)
class ResidentPass:
    token: str
    expires_at: datetime
    resident_number: int


def issue_pass(account: Account | None, event_id: int, settings: CheckInSettings, now: datetime | None = None) -> ResidentPass:
    """Return the resident's signed pass for the event, valid until the event ends."""
    residency = require_resident(account)
    assert account is not None
    moment = _now(now)
    event = get_event(event_id)
    if event.status != SCHEDULED or moment >= event.ends_at:
        raise CheckInRefused(_refusal_for_status(event) if event.status != SCHEDULED else _l("This event is over."))
    if _check_in_of(event_id, account.address) is None:
        _admit(event, account.address, count_places=False)
    expires = int(event.ends_at.timestamp())
    token = checkin.sign_pass(settings.secret_key, checkin.Pass(residency.resident_number, account.address, event_id, expires))
    return ResidentPass(token, event.ends_at, residency.resident_number)


def check_in_with_pass(staff: Account | None, event_id: int, token: str, settings: CheckInSettings, now: datetime | None = None) -> CheckInOutcome:
    """Verify a scanned pass (signature, expiry, event, card still held) and record the check-in."""
    staff = require_role(staff, ORGANIZER)
    moment = _now(now)
    event = get_event(event_id)
    presented = checkin.read_pass(settings.secret_key, token or "")
    if presented is None:
        raise CheckInRefused(_l("This pass is not genuine: its signature does not match. Ask the resident to open the pass again on the site."))
    if moment.timestamp() >= presented.expires_at:
        raise CheckInRefused(_l("This pass expired at %(time)s.", time=jst(datetime.fromtimestamp(presented.expires_at, UTC))))
    if presented.event_id != event_id:
        raise CheckInRefused(_l("This pass is for another event (number %(number)s).", number=presented.event_id))
    _require_open(event, moment)
    holding = db.session.scalar(sa.select(Holding).filter_by(resident_number=presented.resident_number, holder=presented.address))
    if holding is None:
        raise CheckInRefused(
            _l("Resident card No. %(number)s is no longer held by the wallet on this pass, so the pass is void.", number=presented.resident_number)
        )
    return _record_check_in(event_id, presented.address, presented.resident_number, PASS, token.strip(), moment, scanned_by_id=staff.id)


def _record_check_in(event_id: int, address: str, resident_number: int, method: str, evidence: str, moment: datetime, **extra: Any) -> CheckInOutcome:
    """Record one check-in; a second one for the same wallet records nothing and says so."""
    # Locks the event row only while it is still scheduled, so a check-in cannot slip in
    # beside a concurrent close (see the race-safety note above).
    event = _lock_event(event_id, only_status=SCHEDULED)
    existing = _check_in_of(event_id, address)
    if existing is not None:
        return CheckInOutcome(existing, already=True)
    walk_in = _admit(event, address)
    check_in = CheckIn(event_id=event_id, address=address, resident_number=resident_number, method=method, evidence=evidence, checked_in_at=moment, walk_in=walk_in, **extra)
    try:
        with db.session.begin_nested():
            db.session.add(check_in)
    except IntegrityError:
        existing = _check_in_of(event_id, address)
        assert existing is not None
        return CheckInOutcome(existing, already=True)
    return CheckInOutcome(check_in, already=False)


def _check_in_of(event_id: int, address: str) -> CheckIn | None:
    return db.session.scalar(sa.select(CheckIn).filter_by(event_id=event_id, address=address))


def _admit(event: ExchangeEvent, address: str, *, count_places: bool = True) -> bool:
    """The rule at the door: a registered resident comes in; anyone else only as a walk-in, when
    the event admits walk-ins and a place is free (places held by registered residents who have
    not arrived yet stay theirs). Return True for a walk-in; raise CheckInRefused otherwise.

    Called under the event's row lock when recording, so two walk-ins cannot take the last place.
    """
    registration = db.session.scalar(
        sa.select(Registration).join(Account, Account.id == Registration.account_id).where(Registration.event_id == event.id, Account.address == address)
    )
    if registration is not None and registration.status == REGISTERED:
        return False
    if not event.walk_ins:
        if registration is not None and registration.status == WAITLISTED:
            raise CheckInRefused(_l("You are on the waitlist and no place has freed up for you, so you cannot check in. Ask the staff at the door."), status=403)
        raise CheckInRefused(_l("Only residents who registered can check in at this event. Register on the event page while registration is open."), status=403)
    if count_places:
        walk_ins = int(db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn).filter_by(event_id=event.id, walk_in=True)) or 0)
        if _count(event.id, REGISTERED) + walk_ins >= event.capacity:
            raise CheckInRefused(_l("The event is full: every place is held by a registered resident or taken by a walk-in."), status=409)
    return True


@dataclass(frozen=True)
class OnChainAnchor:
    """An attendance root as the contract holds it (read by community/exchange/anchoring.py)."""

    merkle_root: bytes
    attendee_count: int
