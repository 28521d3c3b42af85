"""Attendance of exchange events: the records staff and residents see, closing an event and
anchoring its attendance list on-chain (one Merkle root), and the proofs attendees download.

Like the service, every function takes the acting account and checks its authority itself; it
flushes, and the request (or CLI command) commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from app.audit.service import record as audit
from app.auth.models import ORGANIZER, Account
from app.chain.anchors import new_record_uid, record_key
from app.chain.errors import ChainError
from app.extensions import db
from community.exchange.merkle import AttendanceTree, attendance_leaf, process_proof
from community.exchange.models import CANCELLED, CLOSED, CheckIn, ExchangeEvent
from community.exchange.service import AnchorFailed, ExchangeError, InvalidEvent, OnChainAnchor, _check_in_of, _lock_event, _now, get_event, jst
from community.gating.errors import AccessDenied, NotSignedIn
from community.gating.service import require_role


# ---------------------------------------------------------------------------------------------
# Attendance records


def attendance_of(organizer: Account | None, event_id: int) -> list[CheckIn]:
    """Return who checked in, in order, for staff."""
    require_role(organizer, ORGANIZER)
    get_event(event_id)
    return list(db.session.scalars(sa.select(CheckIn).filter_by(event_id=event_id).order_by(CheckIn.checked_in_at, CheckIn.id)))


def attendance_history(account: Account | None) -> list[CheckIn]:
    """Return the signed-in person's check-ins, newest event first."""
    if account is None:
        raise NotSignedIn(_l("Sign in to see your attendance history."))
    statement = (
        sa.select(CheckIn).join(ExchangeEvent, CheckIn.event_id == ExchangeEvent.id).where(CheckIn.address == account.address).order_by(ExchangeEvent.starts_at.desc())
    )
    return list(db.session.scalars(statement))


def attendance_counts() -> dict[int, int]:
    """Return event id -> number of residents who checked in."""
    rows = db.session.execute(sa.select(CheckIn.event_id, sa.func.count()).group_by(CheckIn.event_id))
    return {int(event_id): int(count) for event_id, count in rows}


# ---------------------------------------------------------------------------------------------
# Closing and anchoring


class AttendanceAnchor(Protocol):
    """Where attendance roots are anchored: the contract, read through app/chain, written with the anchor key."""

    chain_id: int
    contract_address: str
    #: This site's identifier in anchor keys (app.chain.anchors.site_id).
    site_id: str

    def anchored(self, event_key: bytes) -> OnChainAnchor | None: ...

    def anchor(self, event_key: bytes, merkle_root: bytes, attendee_count: int) -> str: ...


@dataclass(frozen=True)
class CloseOutcome:
    event: ExchangeEvent
    #: The anchoring transaction, None when nothing was sent (no attendees, already anchored, or already closed).
    transaction: str | None
    already_closed: bool = False
    #: True when the root was found on chain already (a re-run after a crash) and only recorded.
    recovered: bool = False


def close_event(organizer: Account | None, event_id: int, anchor: AttendanceAnchor, now: datetime | None = None) -> CloseOutcome:
    """Close an event that has ended and anchor its attendance root on-chain (one transaction)."""
    organizer = require_role(organizer, ORGANIZER)
    return _close(organizer.address, event_id, anchor, _now(now))


def close_event_from_cli(actor: str, event_id: int, anchor: AttendanceAnchor, now: datetime | None = None) -> CloseOutcome:
    """Close and anchor as `residents exchange close` (the CLI user is the actor)."""
    return _close(actor, event_id, anchor, _now(now))


def _require_closable(event: ExchangeEvent, moment: datetime) -> None:
    if event.status == CANCELLED:
        raise InvalidEvent(_l("This event was cancelled; there is no attendance to close."))
    if event.status != CLOSED and moment < event.ends_at:
        raise InvalidEvent(_l("The event can be closed after it ends at %(time)s.", time=jst(event.ends_at)))


def _awaiting_anchor(event: ExchangeEvent) -> bool:
    """Closed with attendees but no root recorded: its anchor was voided, anchor it again."""
    return event.status == CLOSED and bool(event.attendee_count) and event.attendance_root is None


def _close(actor: str, event_id: int, anchor: AttendanceAnchor, moment: datetime) -> CloseOutcome:
    event = get_event(event_id)
    if event.status == CLOSED and not _awaiting_anchor(event):
        return CloseOutcome(event, None, already_closed=True)
    _require_closable(event, moment)
    reanchor = _awaiting_anchor(event)
    # Check-in ends at `ends_at`, so from here on the attendance list cannot change: a re-run
    # after a crash rebuilds exactly the tree whose root it may find already on chain.
    event = _lock_event(event_id)
    attendees = [address for (address,) in db.session.execute(sa.select(CheckIn.address).filter_by(event_id=event_id))]
    transaction: str | None = None
    recovered = False
    if attendees:
        key = record_key("attendance", anchor.site_id, event.anchor_uid, chain_id=anchor.chain_id, contract_address=anchor.contract_address)
        tree = AttendanceTree.build(key, attendees)
        try:
            on_chain = anchor.anchored(key)
            if on_chain is None:
                transaction = anchor.anchor(key, tree.root, tree.attendee_count)
            elif on_chain.merkle_root == tree.root and on_chain.attendee_count == tree.attendee_count:
                recovered = True
            else:
                raise AnchorFailed(
                    _l(
                        "The chain already holds a different attendance root for event %(number)s (0x%(root)s, %(count)s attendees). Nothing was recorded; ask an admin to compare it with the check-ins.",
                        number=event_id,
                        root=on_chain.merkle_root.hex(),
                        count=on_chain.attendee_count,
                    )
                )
        except (ChainError, _mint_error()) as exc:
            raise AnchorFailed(_l("Anchoring the attendance on-chain failed: %(reason)s", reason=str(exc))) from None
        event.attendance_root = "0x" + tree.root.hex()
        event.anchor_key = "0x" + key.hex()
        event.anchor_transaction = transaction
        event.anchor_chain_id = anchor.chain_id
        event.anchor_contract = anchor.contract_address
        event.anchored_at = moment
    event.attendee_count = len(attendees)
    event.status = CLOSED
    event.closed_at = event.closed_at or moment
    db.session.flush()
    audit(
        actor,
        "exchange.reanchor" if reanchor else "exchange.close",
        f"exchange_event:{event_id}",
        attendees=len(attendees),
        root=event.attendance_root,
        anchor_key=event.anchor_key,
        transaction=transaction,
        recovered=recovered,
    )
    return CloseOutcome(event, transaction, recovered=recovered)


def forget_voided_anchor(actor: str, event_id: int, reason: str, void_transaction: str | None) -> ExchangeEvent:
    """Record that an admin voided the event's anchor: a new anchor id, no root, ready to anchor again.

    The chain side (voidAnchor, with the admin key) is done first by `residents exchange
    void-anchor`; `residents exchange close` then anchors the attendance under a new key.
    """
    event = _lock_event(event_id)
    if event.attendance_root is None or event.anchor_key is None:
        raise InvalidEvent(_l("The attendance of this event has not been anchored yet."))
    voided_key, voided_root = event.anchor_key, event.attendance_root
    event.anchor_uid = new_record_uid()
    event.attendance_root = event.anchor_key = event.anchor_transaction = None
    event.anchor_chain_id = event.anchor_contract = event.anchored_at = None
    db.session.flush()
    audit(actor, "exchange.anchor_void", f"exchange_event:{event_id}", anchor_key=voided_key, root=voided_root, reason=reason, transaction=void_transaction)
    return event


def _mint_error() -> type[Exception]:
    from minting.errors import MintError

    return MintError


def close_event_on_chain(organizer: Account | None, event_id: int, app: Flask, now: datetime | None = None) -> CloseOutcome:
    """Close and anchor with the configured chain and anchor key (what the organizer's button does)."""
    require_role(organizer, ORGANIZER)
    _require_closable(get_event(event_id), _now(now))
    factory: Callable[[Flask], AttendanceAnchor] = app.extensions.get("exchange_anchor_factory") or _default_anchor_factory()
    try:
        anchor = factory(app)
    except (ChainError, _mint_error()) as exc:
        raise AnchorFailed(_l("The chain is not reachable for anchoring: %(reason)s", reason=str(exc))) from None
    return close_event(organizer, event_id, anchor, now)


def _default_anchor_factory() -> Callable[[Flask], AttendanceAnchor]:
    from community.exchange.anchoring import build_chain_anchor

    return build_chain_anchor


# ---------------------------------------------------------------------------------------------
# Proofs


def attendance_proof(account: Account | None, event_id: int) -> dict[str, Any]:
    """Return the signed-in attendee's Merkle proof for an anchored event, as a JSON document."""
    if account is None:
        raise NotSignedIn(_l("Sign in with the wallet you checked in with."))
    event = get_event(event_id)
    if event.status != CLOSED or event.attendance_root is None or event.anchor_key is None:
        raise ExchangeError(_l("The attendance of this event has not been anchored yet."))
    if _check_in_of(event_id, account.address) is None:
        raise AccessDenied(_l("This wallet did not check in at this event."))
    addresses = [address for (address,) in db.session.execute(sa.select(CheckIn.address).filter_by(event_id=event_id))]
    tree = AttendanceTree.build(bytes.fromhex(event.anchor_key.removeprefix("0x")), addresses)
    if "0x" + tree.root.hex() != event.attendance_root:
        raise ExchangeError(_l("The attendance records no longer match the anchored root. Tell the town office."))
    return {
        "format": "openzeppelin-standard-merkle-tree/v1",
        "leafEncoding": ["bytes32", "address"],
        "eventId": event_id,
        "eventKey": event.anchor_key,
        "address": account.address,
        "leaf": "0x" + tree.leaf(account.address).hex(),
        "proof": ["0x" + node.hex() for node in tree.proof(account.address)],
        "root": event.attendance_root,
        "attendeeCount": event.attendee_count,
        "chainId": event.anchor_chain_id,
        "contract": event.anchor_contract,
        "anchorTransaction": event.anchor_transaction,
    }


@dataclass(frozen=True)
class ProofCheck:
    ok: bool
    reasons: tuple[str, ...]


def verify_attendance_proof(document: dict[str, Any], read_anchor: Callable[[str, bytes], OnChainAnchor | None], chain_id: int) -> ProofCheck:
    """Check a proof document against its own leaf and root and against the root anchored on chain."""
    from eth_utils import is_address

    reasons: list[str] = []
    try:
        event_id = int(document["eventId"])
        event_key = _hex32(document["eventKey"])
        address = str(document["address"])
        leaf = _hex32(document["leaf"])
        proof = [_hex32(node) for node in document["proof"]]
        root = _hex32(document["root"])
        contract = str(document["contract"])
        document_chain = int(document["chainId"])
    except (KeyError, TypeError, ValueError) as exc:
        return ProofCheck(False, (f"the file is not an attendance proof ({type(exc).__name__}: {exc}); download it again from the event page",))
    if not is_address(address) or not is_address(contract):
        return ProofCheck(False, ("the address or the contract in the file is not an Ethereum address",))
    if document_chain != chain_id:
        return ProofCheck(False, (f"the proof is for chain {document_chain} but CHAIN_ID is {chain_id}; point CHAIN_RPC_URL and CHAIN_ID at that chain",))
    if attendance_leaf(event_key, address) != leaf:
        reasons.append(f"the leaf does not belong to event {event_id} (key 0x{event_key.hex()}) and address {address}")
    computed = process_proof(leaf, proof)
    if computed != root:
        reasons.append(f"the proof leads to 0x{computed.hex()}, not to the root in the file 0x{root.hex()}")
    anchored = read_anchor(contract, event_key)
    if anchored is None:
        reasons.append(f"nothing is anchored for event {event_id} (key 0x{event_key.hex()}) at {contract} on chain {chain_id}; it was never anchored or an admin voided it")
    elif anchored.merkle_root != computed:
        reasons.append(f"the root anchored on chain is 0x{anchored.merkle_root.hex()}, but the proof leads to 0x{computed.hex()}")
    return ProofCheck(not reasons, tuple(reasons))


def _hex32(value: Any) -> bytes:
    raw = bytes.fromhex(str(value).removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes of hex, got {len(raw)}")
    return raw
