"""Fixtures and helpers of the meetups tests: people in each role, meetups made by the service."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from app.auth.models import ADMIN, ORGANIZER, Account
from app.extensions import db
from app.timeutil import utcnow
from community.meetups.service import MeetupDraft, create_meetup
from tests.conftest import new_address

JOIN_URL = "https://cluster.mu/e/nishikawa-secret-room"
ROLES = ("anonymous", "visitor", "resident", "organizer", "admin")


def draft(starts_in: timedelta = timedelta(days=10), **changes: object) -> MeetupDraft:
    """A valid meetup: 90 minutes, starting `starts_in` from now, RSVPs until an hour before."""
    starts_at = (utcnow() + starts_in).replace(second=0, microsecond=0)
    values = MeetupDraft(
        title_ja="町長と話そう",
        title_en="Talk with the mayor",
        description_ja="西川町の今年を振り返ります。\n二行目。",
        description_en="Looking back on Nishikawa's year.\nSecond line.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        platform="cluster",
        join_url=JOIN_URL,
        capacity=30,
        rsvp_deadline=starts_at - timedelta(hours=1),
    )
    return replace(values, **changes)  # type: ignore[arg-type]


def attached(account: Account) -> Account:
    """Return the factory's (detached) account as a row of the current session."""
    found = db.session.get(Account, account.id)
    assert found is not None
    return found


def csrf_token(client: FlaskClient, path: str = "/meetups") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def organizer(create_account) -> Account:  # type: ignore[no-untyped-def]
    return create_account(roles=(ORGANIZER,), display_name="役場 担当")


_resident_numbers = iter(range(10_000, 1_000_000))


def _account(roles: tuple[str, ...] = (), display_name: str | None = None, card: bool = False) -> Account:
    """Add an account (and card) to the current session, so tests can mix them with uncommitted work."""
    from app.auth.models import StaffRole
    from app.chain.models import Holding

    account = Account(address=new_address(), display_name=display_name)
    account.staff_roles = [StaffRole(role=role, granted_by="test") for role in roles]
    db.session.add(account)
    if card:
        db.session.add(Holding(resident_number=next(_resident_numbers), holder=account.address, locked=True, minted_block=1, minted_at=utcnow(), acquired_block=1))
    db.session.flush()
    return account


def _committed(app: Flask, **kwargs: object) -> Account:
    with app.app_context():
        account = _account(**kwargs)  # type: ignore[arg-type]
        db.session.commit()
        db.session.refresh(account)
        db.session.expunge(account)
        return account


def _make(app: Flask, **kwargs: object) -> Account:
    # Inside a test's app context, join its session; otherwise commit in a context of our own.
    return _account(**kwargs) if has_app_context() else _committed(app, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def organizer(app: Flask) -> Account:
    return _committed(app, roles=(ORGANIZER,), display_name="役場 担当")


@pytest.fixture
def new_resident(app: Flask) -> Callable[..., Account]:
    """Factory: an account holding a card."""

    def make(display_name: str | None = None) -> Account:
        return _make(app, display_name=display_name, card=True)

    return make


@pytest.fixture
def make_meetup(app: Flask, organizer: Account) -> Callable[..., int]:
    """Factory: schedule a meetup through the service (committed); return its id."""

    def make(**changes: object) -> int:
        with app.app_context():
            meetup = create_meetup(attached(organizer), draft(**changes))  # type: ignore[arg-type]
            db.session.commit()
            return meetup.id

    return make


@pytest.fixture
def person(app: Flask) -> Callable[[str], Account | None]:
    """Factory: someone in one of ROLES (None for anonymous)."""

    def make(role: str) -> Account | None:
        if role == "anonymous":
            return None
        roles = {"organizer": (ORGANIZER,), "admin": (ADMIN,)}.get(role, ())
        return _make(app, roles=roles, card=role == "resident")

    return make


def tokyo_form(at: datetime) -> str:
    """Format a UTC time as an <input type=datetime-local> value in Japan time."""
    from app.timeutil import TOKYO

    return at.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")


def form_data(value: MeetupDraft, csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "title_ja": value.title_ja,
        "title_en": value.title_en,
        "description_ja": value.description_ja,
        "description_en": value.description_en,
        "starts_at": tokyo_form(value.starts_at),
        "ends_at": tokyo_form(value.ends_at),
        "rsvp_deadline": tokyo_form(value.rsvp_deadline) if value.rsvp_deadline else "",
        "platform": value.platform,
        "join_url": value.join_url,
        "capacity": str(value.capacity),
    }


__all__ = ["JOIN_URL", "ROLES", "attached", "csrf_token", "draft", "form_data", "make_meetup", "new_address", "new_resident", "organizer", "person", "service_context", "tokyo_form"]


@pytest.fixture
def service_context(app: Flask):  # type: ignore[no-untyped-def]
    """A request context in English, so the services' lazy messages can be read in assertions."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app
