"""What the town office sees: dashboard figures and the health of the chain and IPFS (the audit
log is app/staff/audit.py).

The figures of other features (forums, meetups, exchange events, mint jobs) are read from their
tables through `db.metadata`, not by importing their packages: `app/` does not depend on
`community/` or `minting/`, and a feature whose table is not there yet (model not registered,
migration not run) shows as "not available" instead of breaking the page. The status strings
below are copied from those features' models; the tests seed with the models' own constants, so
a rename there fails here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.auth.models import ORGANIZER, Account
from app.chain.models import Holding, IndexerCheckpoint
from app.config import Config
from app.extensions import db
from app.security import redact, redacted_url
from app.timeutil import TOKYO
from community.gating.service import require_role

#: Who may open the staff pages: organizers (the mayor's office); admins hold every role.
STAFF_ROLE = ORGANIZER
#: Each health check gives up after this long, so a dead node never makes the dashboard slow.
HEALTH_TIMEOUT_SECONDS = 1.0
#: "Active" means posted, answered an RSVP, registered or checked in within this window.
ACTIVE_WINDOW = timedelta(days=30)
#: Months shown in the "residents issued per month" chart, the current month last.
CHART_MONTHS = 12
#: Rows per list on the dashboard.
LIST_LIMIT = 10

# Status strings of the other features (see the module docstring).
MEETUP_GOING, MEETUP_WAITLISTED = "going", "waitlisted"  # community/meetups/models.py
EVENT_SCHEDULED, EVENT_CANCELLED = "scheduled", "cancelled"  # community/exchange/models.py
REGISTRATION_REGISTERED, REGISTRATION_WAITLISTED, REGISTRATION_WITHDRAWN = "registered", "waitlisted", "withdrawn"
MINT_CONFIRMED, MINT_FAILED = "confirmed", "failed"  # minting/models.py Step

#: Audit actions the features record, with a label for people; an action not listed here is
#: shown as written (so a new feature's actions appear before they get a label).
ACTION_LABELS = {
    "contract.deploy": _l("Contract deployed"),
    "passkey_factory.deploy": _l("Passkey account factory deployed"),
    "passkey_account.deploy": _l("Passkey resident's account deployed"),
    "role.grant": _l("Staff role granted"),
    "role.revoke": _l("Staff role revoked"),
    "card.mint": _l("Cards minted"),
    "card.revoke": _l("Card revoked"),
    "card.recover": _l("Card recovered to a new wallet"),
    "card.update": _l("Card updated"),
    "forum.post.hide": _l("Post hidden"),
    "forum.post.unhide": _l("Post shown again"),
    "forum.thread.lock": _l("Thread locked"),
    "forum.thread.unlock": _l("Thread unlocked"),
    "forum.thread.pin": _l("Thread pinned"),
    "forum.thread.unpin": _l("Thread unpinned"),
    "forum.thread.move": _l("Thread moved"),
    "forum.report.resolve": _l("Report resolved"),
    "forum.category.create": _l("Forum category created"),
    "forum.category.update": _l("Forum category changed"),
    "meetup.create": _l("Meetup scheduled"),
    "meetup.edit": _l("Meetup changed"),
    "meetup.cancel": _l("Meetup cancelled"),
    "meetup.export_rsvps": _l("Meetup RSVPs exported"),
    "exchange.create": _l("Exchange event created"),
    "exchange.update": _l("Exchange event changed"),
    "exchange.cancel": _l("Exchange event cancelled"),
    "exchange.anchor": _l("Attendance anchored on the chain"),
    "exchange.reanchor": _l("Attendance anchored again under a new key"),
    "exchange.anchor_void": _l("Attendance anchor voided"),
    "anchor.void": _l("Anchor voided on the chain"),
    "chain_role.grant": _l("Contract role granted"),
    "chain_role.revoke": _l("Contract role revoked"),
    "chain_role.admin_transfer_begin": _l("Admin role offered to a new key"),
    "chain_role.admin_transfer_accept": _l("Admin role accepted by a new key"),
    "chain_role.admin_transfer_cancel": _l("Admin role offer withdrawn"),
    "audit.export": _l("Audit log exported"),
}


def require_staff(account: Account | None) -> Account:
    """Return the account if it may see the staff pages, else raise AccessDenied or NotSignedIn."""
    return require_role(account, STAFF_ROLE)


# -- feature tables ---------------------------------------------------------------------------


class FeatureTables:
    """The tables of other features that exist both in the models and in the database."""

    def __init__(self) -> None:
        present = set(sa.inspect(db.session.connection()).get_table_names())
        self._tables = {name: table for name, table in db.metadata.tables.items() if name in present}

    def get(self, *names: str) -> tuple[sa.Table, ...] | None:
        """Return the tables named, or None when any of them is missing."""
        if not all(name in self._tables for name in names):
            return None
        return tuple(self._tables[name] for name in names)


# -- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentsIssued:
    total: int
    this_month: int
    #: (first day of the month in Asia/Tokyo, cards issued), oldest first, the current month last.
    per_month: Sequence[tuple[date, int]]


@dataclass(frozen=True)
class Bilingual:
    """A title written in both languages by the town office."""

    ja: str
    en: str

    def __call__(self, locale: str) -> str:
        return (self.en if locale == "en" else self.ja) or self.ja or self.en


@dataclass(frozen=True)
class UpcomingMeetup:
    id: int
    title: Bilingual
    starts_at: datetime
    capacity: int
    going: int
    waitlisted: int


@dataclass(frozen=True)
class UpcomingEvent:
    id: int
    title: Bilingual
    starts_at: datetime
    place_name: str
    capacity: int
    registered: int
    waitlisted: int


@dataclass(frozen=True)
class EventAttendance:
    id: int
    title: Bilingual
    starts_at: datetime
    registered: int
    checked_in: int


@dataclass(frozen=True)
class MintJobStatus:
    id: int
    kind: str
    source: str
    created_at: datetime
    finished_at: datetime | None
    #: Residents of the job per state ("pending", "confirmed", "failed", …).
    states: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def confirmed(self) -> int:
        return self.states.get(MINT_CONFIRMED, 0)

    @property
    def failed(self) -> int:
        return self.states.get(MINT_FAILED, 0)

    @property
    def open(self) -> int:
        return self.total - self.confirmed - self.failed


@dataclass(frozen=True)
class MintFailure:
    job_id: int
    line: int
    address: str
    error: str
    updated_at: datetime


@dataclass(frozen=True)
class IndexerStatus:
    indexed_block: int
    #: The node's head as the indexer last saw it, and when.
    head_block: int | None
    head_seen_at: datetime | None
    #: Blocks the holdings are behind the chain (measured now, or at the indexer's last poll).
    lag: int | None
    #: True when `lag` comes from the chain just now, False when from the indexer's last poll.
    lag_is_live: bool
    following: bool
    #: A follow loop claims to run but has not polled for several of its intervals.
    heartbeat_late: bool


@dataclass(frozen=True)
class ChainHealth:
    #: Scheme and host of CHAIN_RPC_URL only: providers put API keys in the path.
    rpc_url: str
    expected_chain_id: int
    reachable: bool
    chain_id: int | None = None
    latest_block: int | None = None
    #: Why the node is unreachable (a lazily translated message or the HTTP client's words).
    reason: object | None = None

    @property
    def chain_id_matches(self) -> bool:
        return self.chain_id == self.expected_chain_id

    @property
    def healthy(self) -> bool:
        return self.reachable and self.chain_id_matches and self.latest_block is not None


@dataclass(frozen=True)
class IpfsHealth:
    #: "local" (block store in the instance folder) or "kubo" (a daemon's RPC API).
    backend: str
    #: The folder, or the scheme and host of the API URL, checked.
    location: str
    reachable: bool
    #: The daemon's version, or a note about the folder.
    detail: object | None = None
    #: Why it is unreachable (a lazily translated message or the HTTP client's words).
    reason: object | None = None


@dataclass(frozen=True)
class Dashboard:
    residents_issued: ResidentsIssued
    #: None while a feature's tables are not installed; the page says so.
    active_residents: int | None
    upcoming_meetups: Sequence[UpcomingMeetup] | None
    upcoming_events: Sequence[UpcomingEvent] | None
    recent_attendance: Sequence[EventAttendance] | None
    mint_jobs: Sequence[MintJobStatus] | None
    mint_failures: Sequence[MintFailure] | None
    indexer: IndexerStatus | None
    chain: ChainHealth
    ipfs: IpfsHealth
    generated_at: datetime
    missing_features: Sequence[str] = field(default_factory=tuple)


def month_start(moment: datetime) -> date:
    """Return the first day of `moment`'s month in Asia/Tokyo."""
    return moment.astimezone(TOKYO).date().replace(day=1)


def _tokyo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TOKYO).astimezone(UTC)


def _months_back(first: date, count: int) -> list[date]:
    months = [first]
    for _ in range(count - 1):
        previous = months[-1] - timedelta(days=1)
        months.append(previous.replace(day=1))
    return list(reversed(months))


def residents_issued(now: datetime) -> ResidentsIssued:
    """Count the cards held now, those issued this month (Asia/Tokyo), and per month for the chart."""
    months = _months_back(month_start(now), CHART_MONTHS)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Holding)) or 0
    # Bucketed here, not in SQL: month arithmetic in Asia/Tokyo differs between SQLite and
    # PostgreSQL, and a year of mints is a few thousand timestamps at most.
    minted = db.session.scalars(sa.select(Holding.minted_at).where(Holding.minted_at >= _tokyo_midnight(months[0])))
    per_month = Counter(month_start(moment) for moment in minted)
    return ResidentsIssued(total, per_month[months[-1]], [(month, per_month[month]) for month in months])


def active_residents(tables: FeatureTables, now: datetime) -> int | None:
    """Count card holders who posted, answered an RSVP, registered or checked in within 30 days."""
    since = now - ACTIVE_WINDOW
    accounts = Account.__table__
    sources: list[sa.Select[Any]] = []
    if found := tables.get("forum_posts"):
        (posts,) = found
        sources.append(sa.select(accounts.c.address).join(posts, posts.c.author_id == accounts.c.id).where(posts.c.created_at >= since))
    if found := tables.get("meetup_rsvps"):
        (rsvps,) = found
        sources.append(
            sa.select(accounts.c.address)
            .join(rsvps, rsvps.c.account_id == accounts.c.id)
            .where(rsvps.c.responded_at >= since, rsvps.c.status.in_([MEETUP_GOING, MEETUP_WAITLISTED]))
        )
    if found := tables.get("exchange_registrations"):
        (registrations,) = found
        sources.append(
            sa.select(accounts.c.address)
            .join(registrations, registrations.c.account_id == accounts.c.id)
            .where(registrations.c.queued_at >= since, registrations.c.status != REGISTRATION_WITHDRAWN)
        )
    if found := tables.get("exchange_check_ins"):
        (check_ins,) = found
        sources.append(sa.select(check_ins.c.address.label("address")).where(check_ins.c.checked_in_at >= since))
    if not sources:
        return None
    active = sa.union(*sources).subquery()
    # Only people holding a card today count as residents.
    query = sa.select(sa.func.count()).select_from(active).where(active.c.address.in_(sa.select(Holding.holder)))
    return db.session.scalar(query) or 0


def _count_where(table: sa.Table, *conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(table).where(*conditions).scalar_subquery()


def upcoming_meetups(tables: FeatureTables, now: datetime) -> list[UpcomingMeetup] | None:
    """List the next metaverse meetups that are not cancelled, with their RSVPs."""
    found = tables.get("meetups", "meetup_rsvps")
    if found is None:
        return None
    meetups, rsvps = found
    going = _count_where(rsvps, rsvps.c.meetup_id == meetups.c.id, rsvps.c.status == MEETUP_GOING)
    waitlisted = _count_where(rsvps, rsvps.c.meetup_id == meetups.c.id, rsvps.c.status == MEETUP_WAITLISTED)
    rows = db.session.execute(
        sa.select(meetups.c.id, meetups.c.title_ja, meetups.c.title_en, meetups.c.starts_at, meetups.c.capacity, going, waitlisted)
        .where(meetups.c.starts_at >= now, meetups.c.cancelled_at.is_(None))
        .order_by(meetups.c.starts_at, meetups.c.id)
        .limit(LIST_LIMIT)
    )
    return [UpcomingMeetup(row[0], Bilingual(row[1], row[2]), row[3], row[4], row[5], row[6]) for row in rows]


def upcoming_events(tables: FeatureTables, now: datetime) -> list[UpcomingEvent] | None:
    """List the next real-world exchange events still scheduled, with their registrations."""
    found = tables.get("exchange_events", "exchange_registrations")
    if found is None:
        return None
    events, registrations = found
    registered = _count_where(registrations, registrations.c.event_id == events.c.id, registrations.c.status == REGISTRATION_REGISTERED)
    waitlisted = _count_where(registrations, registrations.c.event_id == events.c.id, registrations.c.status == REGISTRATION_WAITLISTED)
    rows = db.session.execute(
        sa.select(events.c.id, events.c.title_ja, events.c.title_en, events.c.starts_at, events.c.place_name, events.c.capacity, registered, waitlisted)
        .where(events.c.starts_at >= now, events.c.status == EVENT_SCHEDULED)
        .order_by(events.c.starts_at, events.c.id)
        .limit(LIST_LIMIT)
    )
    return [UpcomingEvent(row[0], Bilingual(row[1], row[2]), row[3], row[4], row[5], row[6], row[7]) for row in rows]


def recent_attendance(tables: FeatureTables, now: datetime) -> list[EventAttendance] | None:
    """List the latest exchange events that have started, with registrations and check-ins, oldest first."""
    found = tables.get("exchange_events", "exchange_registrations", "exchange_check_ins")
    if found is None:
        return None
    events, registrations, check_ins = found
    registered = _count_where(registrations, registrations.c.event_id == events.c.id, registrations.c.status == REGISTRATION_REGISTERED)
    checked_in = _count_where(check_ins, check_ins.c.event_id == events.c.id)
    rows = db.session.execute(
        sa.select(events.c.id, events.c.title_ja, events.c.title_en, events.c.starts_at, registered, checked_in)
        .where(events.c.starts_at <= now, events.c.status != EVENT_CANCELLED)
        .order_by(events.c.starts_at.desc(), events.c.id.desc())
        .limit(LIST_LIMIT)
    )
    attended = [EventAttendance(row[0], Bilingual(row[1], row[2]), row[3], row[4], row[5]) for row in rows]
    return list(reversed(attended))


def mint_jobs(tables: FeatureTables) -> list[MintJobStatus] | None:
    """List the latest mint jobs with how many of their residents are in each state."""
    found = tables.get("mint_jobs", "mint_job_residents")
    if found is None:
        return None
    jobs, residents = found
    rows = db.session.execute(
        sa.select(jobs.c.id, jobs.c.kind, jobs.c.source, jobs.c.created_at, jobs.c.finished_at).order_by(jobs.c.id.desc()).limit(LIST_LIMIT)
    ).all()
    states: dict[int, dict[str, int]] = {row.id: {} for row in rows}
    if states:
        counts = db.session.execute(
            sa.select(residents.c.job_id, residents.c.state, sa.func.count())
            .where(residents.c.job_id.in_(list(states)))
            .group_by(residents.c.job_id, residents.c.state)
        )
        for job_id, state, count in counts:
            states[job_id][state] = count
    return [MintJobStatus(row.id, row.kind, row.source, row.created_at, row.finished_at, states[row.id]) for row in rows]


def mint_failures(tables: FeatureTables) -> list[MintFailure] | None:
    """List the latest residents a mint job gave up on, with the pipeline's reason."""
    found = tables.get("mint_job_residents")
    if found is None:
        return None
    (residents,) = found
    rows = db.session.execute(
        sa.select(residents.c.job_id, residents.c.line, residents.c.address, residents.c.error, residents.c.updated_at)
        .where(residents.c.state == MINT_FAILED)
        .order_by(residents.c.updated_at.desc(), residents.c.id.desc())
        .limit(LIST_LIMIT)
    )
    return [MintFailure(row[0], row[1], row[2], row[3] or "", row[4]) for row in rows]


def indexer_status(chain_id: int, latest_block: int | None, now: datetime) -> IndexerStatus | None:
    """Say how far the holdings are behind the chain, from the indexer's checkpoint."""
    checkpoint = db.session.scalar(sa.select(IndexerCheckpoint).where(IndexerCheckpoint.chain_id == chain_id))
    if checkpoint is None:
        return None
    if latest_block is not None:
        lag, live = max(latest_block - checkpoint.block_number, 0), True
    elif checkpoint.head_block is not None:
        lag, live = max(checkpoint.head_block - checkpoint.block_number, 0), False
    else:
        lag, live = None, False
    late = False
    if checkpoint.following:
        # A few missed polls are normal under load; ten seconds of silence is not.
        allowance = timedelta(seconds=max(5 * checkpoint.poll_seconds, 10.0))
        late = checkpoint.head_seen_at is None or now - checkpoint.head_seen_at > allowance
    return IndexerStatus(checkpoint.block_number, checkpoint.head_block, checkpoint.head_seen_at, lag, live, checkpoint.following, late)


# -- health checks --------------------------------------------------------------------------------


class _NodeError(Exception):
    """The node did not give a usable JSON-RPC answer; the message says how."""


def _rpc(client: httpx.Client, rpc_url: str, method: str) -> int:
    try:
        response = client.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
    except httpx.TimeoutException:
        raise _NodeError(_l("no answer within %(seconds)s s", seconds=format(client.timeout.read or 0, "g"))) from None
    except httpx.HTTPError as exc:
        raise _NodeError(redact(f"{type(exc).__name__}: {exc}", [rpc_url])) from None
    try:
        return int(response.json()["result"], 16)
    except (ValueError, KeyError, TypeError):
        raise _NodeError(_l("%(url)s answered %(method)s with HTTP status %(status)s and no result", url=redacted_url(rpc_url), method=method, status=response.status_code)) from None


def check_chain(rpc_url: str, chain_id: int, timeout: float = HEALTH_TIMEOUT_SECONDS) -> ChainHealth:
    """Ask the node for its chain id and latest block, giving up after `timeout` per request.

    Two plain JSON-RPC calls over httpx rather than `app.chain.client.connect()`: web3's HTTP
    provider retries a timed-out request with back-off, so a hung node held the page for about
    seven seconds even with a one-second timeout.
    """
    shown = redacted_url(rpc_url)
    with httpx.Client(timeout=timeout) as client:
        try:
            actual = _rpc(client, rpc_url, "eth_chainId")
        except _NodeError as exc:
            return ChainHealth(shown, chain_id, False, reason=exc.args[0])
        try:
            latest = _rpc(client, rpc_url, "eth_blockNumber")
        except _NodeError as exc:
            return ChainHealth(shown, chain_id, False, chain_id=actual, reason=exc.args[0])
    return ChainHealth(shown, chain_id, True, chain_id=actual, latest_block=latest)


def check_kubo(api_url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> IpfsHealth:
    """Ask a Kubo-compatible daemon for its version (`POST /api/v0/version`)."""
    url = f"{api_url.rstrip('/')}/api/v0/version"
    shown = redacted_url(api_url)
    try:
        response = httpx.post(url, timeout=timeout)
    except httpx.TimeoutException:
        return IpfsHealth("kubo", shown, False, reason=_l("no answer within %(seconds)s s", seconds=format(timeout, "g")))
    except httpx.HTTPError as exc:
        return IpfsHealth("kubo", shown, False, reason=redact(f"{type(exc).__name__}: {exc}", [url, api_url]))
    if response.status_code != 200:
        return IpfsHealth("kubo", shown, False, reason=_l("%(url)s answered with HTTP status %(status)s", url=shown, status=response.status_code))
    try:
        version = str(response.json()["Version"])
    except (ValueError, KeyError, TypeError):
        return IpfsHealth("kubo", shown, False, reason=_l("%(url)s did not answer like an IPFS daemon", url=shown))
    return IpfsHealth("kubo", shown, True, detail=version)


def check_block_store(folder: Path) -> IpfsHealth:
    """Check that the local block store folder exists and can be written, or can be created."""
    location = str(folder)
    if folder.is_dir():
        if os.access(folder, os.W_OK | os.X_OK):
            return IpfsHealth("local", location, True)
        return IpfsHealth("local", location, False, reason=_l("%(folder)s cannot be written by the site", folder=location))
    if folder.exists():
        return IpfsHealth("local", location, False, reason=_l("%(folder)s is a file, not a folder", folder=location))
    # The store makes its folder at the first card it keeps; until then a writable parent is enough.
    if os.access(folder.parent, os.W_OK | os.X_OK):
        return IpfsHealth("local", location, True, detail=_l("The folder is made when the first card is stored."))
    return IpfsHealth("local", location, False, reason=_l("%(folder)s does not exist and %(parent)s cannot be written by the site", folder=location, parent=str(folder.parent)))


def check_ipfs(settings: Config, instance_path: str) -> IpfsHealth:
    """Check the configured IPFS backend: the Kubo daemon, or the local block store folder."""
    if settings.IPFS_BACKEND == "kubo":
        return check_kubo(settings.IPFS_API_URL or "")
    return check_block_store(Path(instance_path) / "ipfs")


def check_health(settings: Config, instance_path: str) -> tuple[ChainHealth, IpfsHealth]:
    """Run the chain and IPFS checks side by side, so the page waits for the slower one only."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="staff-health") as pool:
        chain = pool.submit(check_chain, settings.CHAIN_RPC_URL, settings.CHAIN_ID)
        ipfs = pool.submit(check_ipfs, settings, instance_path)
        return chain.result(), ipfs.result()


# -- the dashboard ---------------------------------------------------------------------------------


def dashboard(account: Account | None, settings: Config, instance_path: str, now: datetime) -> Dashboard:
    """Gather every figure of the staff dashboard, for an organizer or admin."""
    require_staff(account)
    chain, ipfs = check_health(settings, instance_path)
    tables = FeatureTables()
    figures = {
        "active_residents": active_residents(tables, now),
        "upcoming_meetups": upcoming_meetups(tables, now),
        "upcoming_events": upcoming_events(tables, now),
        "recent_attendance": recent_attendance(tables, now),
        "mint_jobs": mint_jobs(tables),
        "mint_failures": mint_failures(tables),
    }
    return Dashboard(
        residents_issued=residents_issued(now),
        indexer=indexer_status(settings.CHAIN_ID, chain.latest_block if chain.healthy else None, now),
        chain=chain,
        ipfs=ipfs,
        generated_at=now,
        missing_features=tuple(name for name, value in figures.items() if value is None),
        **figures,  # type: ignore[arg-type]
    )
