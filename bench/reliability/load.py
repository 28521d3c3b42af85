"""Mixed traffic against the production profile, and the count of what it wrote.

Residents are seeded directly in the database (accounts + holdings rows, as the indexer would
write them) and signed in by minting Flask session cookies with the site's secret key, the way
the tests do; each carries a CSRF token minted the same way. Each load thread owns its own
residents, so one resident's requests never race each other and "the last RSVP answer" is
well defined. Afterwards every post and RSVP the site acknowledged is looked up in the database.
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from eth_utils import keccak, to_checksum_address
from flask import Flask, session

from app.auth.models import ADMIN, ORGANIZER, Account, StaffRole
from app.chain.models import Holding
from app.extensions import db

#: Resident numbers of the seeded load residents: far above anything minted in the suite.
FIRST_NUMBER = 900_000
#: The forum posting limit is 10 a minute per account; the generator keeps each resident under it.
POSTS_PER_MINUTE = 8
POST_ANCHOR = re.compile(r"#post-(\d+)$")


@dataclass(frozen=True)
class LoadResident:
    account_id: int
    address: str
    cookie: str
    csrf: str


@dataclass(frozen=True)
class Stage:
    residents: list[LoadResident]
    thread_ids: list[int]
    meetup_ids: list[int]
    category_slug: str


def resident_address(index: int) -> str:
    return to_checksum_address(keccak(text=f"reliability resident {index}")[12:])


def session_cookie(app: Flask, account_id: int) -> tuple[str, str]:
    """Mint a signed-in session (with a CSRF token in it) the way Flask-Login and Flask-WTF would."""
    from flask_wtf.csrf import generate_csrf

    from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session
    from app.extensions import db

    with app.app_context():
        session_token = open_session(account_id, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    with app.test_request_context():  # its own app context, so a fresh `g`
        token = generate_csrf()
        contents = dict(session)
    contents.update({"_user_id": str(account_id), "_fresh": True, SESSION_TOKEN: session_token})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return serializer.dumps(contents), token


def seed(app: Flask, residents: int, threads: int = 8, meetups: int = 4) -> Stage:
    """Write the load's residents, an admin-organizer, a category, threads and meetups."""
    from community.forums import service as forums
    from community.forums.models import RESIDENTS_ONLY
    from community.meetups.service import MeetupDraft, create_meetup

    with app.app_context():
        accounts = []
        for index in range(residents):
            address = resident_address(index)
            account = db.session.scalar(sa.select(Account).where(Account.address == address))
            if account is None:
                account = Account(address=address, display_name=f"負荷 住民{index}")
                db.session.add(account)
                db.session.flush()
            if db.session.get(Holding, FIRST_NUMBER + index) is None:
                db.session.add(Holding(resident_number=FIRST_NUMBER + index, holder=address, locked=True, minted_block=1, minted_at=datetime.now(UTC), acquired_block=1))
            accounts.append(account)
        staff = accounts[0]
        if not staff.staff_roles:
            staff.staff_roles = [StaffRole(role=ADMIN, granted_by="reliability"), StaffRole(role=ORGANIZER, granted_by="reliability")]
        db.session.commit()

        slug = f"load-{int(time.time())}"
        forums.create_category(staff, forums.CategoryInput(slug, "負荷試験", "Load test", visibility=RESIDENTS_ONLY))
        thread_ids = [forums.start_thread(accounts[i % len(accounts)], forums.NewThread(slug, f"スレッド {i}", f"最初の投稿 {i}")).id for i in range(threads)]
        starts = datetime.now(UTC) + timedelta(days=7)
        meetup_ids = [
            create_meetup(staff, MeetupDraft(f"交流会 {i}", f"Meetup {i}", "町長と話そう", "Talk with the mayor", starts + timedelta(days=i), starts + timedelta(days=i, hours=1), "cluster", "https://cluster.mu/e/example", residents * 2)).id
            for i in range(meetups)
        ]
        db.session.commit()
        members = [(account.id, account.address) for account in accounts]
    # Outside the app context: Flask-WTF caches the token in `g`, which lives as long as the app
    # context, so inside it every resident would get the first one's token.
    people = [LoadResident(account_id, address, *session_cookie(app, account_id)) for account_id, address in members]
    return Stage(people, thread_ids, meetup_ids, slug)


# -- the generator ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one load run saw, request by request, and what the site acknowledged."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    #: marker -> post id from the redirect (None when the redirect had no anchor)
    posts: dict[str, int | None] = field(default_factory=dict)
    #: (account id, meetup id) -> the last answer the site acknowledged
    rsvps: dict[tuple[int, int], str] = field(default_factory=dict)
    #: (seconds since start, status or 0 for a connection error) for every request
    timeline: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str, status: int, seconds: float, started: float) -> None:
        with self.lock:
            self.by_action[action] += 1
            self.timeline.append((started, status))
            if status:
                self.statuses[status] += 1
                self.latencies.append(seconds)
            else:
                self.failures[action] += 1

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500 and status != 503)

    @property
    def unavailable(self) -> int:
        return self.statuses.get(503, 0)


class Visitor:
    """One load thread: its own residents, visited in turn, each within the posting limit."""

    def __init__(self, site_url: str, stage: Stage, residents: list[LoadResident], outcome: Outcome, seed_value: int, weights: dict[str, int]) -> None:
        self.site_url = site_url
        self.stage = stage
        self.residents = residents
        self.outcome = outcome
        self.random = random.Random(seed_value)
        self.weights = weights
        self.posted_at: dict[int, list[float]] = {resident.account_id: [] for resident in residents}
        self.http = httpx.Client(base_url=site_url, timeout=15, follow_redirects=False, headers={"Accept-Language": "ja"})
        self.begin = time.monotonic()

    def close(self) -> None:
        self.http.close()

    def _send(self, action: str, resident: LoadResident, method: str, url: str, data: dict[str, str] | None = None) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = self.http.request(method, url, data=data, headers={"Cookie": f"session={resident.cookie}"})
        except httpx.HTTPError:
            self.outcome.record(action, 0, time.monotonic() - started, started - self.begin)
            return None
        self.outcome.record(action, response.status_code, time.monotonic() - started, started - self.begin)
        return response

    def may_post(self, resident: LoadResident, now: float) -> bool:
        recent = [moment for moment in self.posted_at[resident.account_id] if now - moment < 61]
        self.posted_at[resident.account_id] = recent
        return len(recent) < POSTS_PER_MINUTE

    def step(self) -> None:
        resident = self.random.choice(self.residents)
        action = self.random.choices(list(self.weights), weights=list(self.weights.values()))[0]
        if action == "post" and not self.may_post(resident, time.monotonic()):
            action = "read_thread"
        thread = self.random.choice(self.stage.thread_ids)
        meetup = self.random.choice(self.stage.meetup_ids)
        if action == "browse_forums":
            self._send(action, resident, "GET", "/forums")
        elif action == "browse_category":
            self._send(action, resident, "GET", f"/forums/c/{self.stage.category_slug}")
        elif action == "read_thread":
            self._send(action, resident, "GET", f"/forums/t/{thread}")
        elif action == "my_page":
            self._send(action, resident, "GET", "/me")
        elif action == "meetups":
            self._send(action, resident, "GET", f"/meetups/{meetup}" if self.random.random() < 0.5 else "/meetups")
        elif action == "post":
            self.posted_at[resident.account_id].append(time.monotonic())
            marker = f"load-{resident.account_id}-{time.monotonic_ns()}-{self.random.randrange(1 << 30)}"
            response = self._send(action, resident, "POST", f"/forums/t/{thread}/reply", {"body": f"負荷試験の投稿です。 {marker}", "csrf_token": resident.csrf})
            if response is not None and response.status_code == 302:
                found = POST_ANCHOR.search(response.headers.get("location", ""))
                with self.outcome.lock:
                    self.outcome.posts[marker] = int(found.group(1)) if found else None
        elif action == "rsvp":
            answer = self.random.choice(["going", "going", "not_going"])
            response = self._send(action, resident, "POST", f"/meetups/{meetup}/rsvp", {"answer": answer, "csrf_token": resident.csrf})
            if response is not None and response.status_code == 303 and "/meetups/" in response.headers.get("location", ""):
                with self.outcome.lock:
                    self.outcome.rsvps[(resident.account_id, meetup)] = answer


MIXED_TRAFFIC = {"browse_forums": 20, "browse_category": 10, "read_thread": 25, "my_page": 15, "meetups": 10, "post": 10, "rsvp": 10}
WRITES_ONLY = {"post": 6, "rsvp": 4, "read_thread": 2}


def run_load(site_url: str, stage: Stage, seconds: float, concurrency: int, weights: dict[str, int] = MIXED_TRAFFIC, during: Callable[[], None] | None = None) -> tuple[Outcome, float]:
    """Run `concurrency` visitors for `seconds`; `during` runs in this thread meanwhile (a fault)."""
    outcome = Outcome()
    stop = threading.Event()
    shares = [stage.residents[index::concurrency] for index in range(concurrency)]
    visitors = [Visitor(site_url, stage, share, outcome, index, weights) for index, share in enumerate(shares) if share]

    def work(visitor: Visitor) -> None:
        while not stop.is_set():
            visitor.step()

    threads = [threading.Thread(target=work, args=(visitor,), daemon=True) for visitor in visitors]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        if during is not None:
            during()
        remaining = seconds - (time.monotonic() - started)
        if remaining > 0:
            stop.wait(remaining)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for visitor in visitors:
            visitor.close()
    return outcome, time.monotonic() - started


# -- what the database holds afterwards -----------------------------------------------------------------


def lost_and_doubled(app: Flask, outcome: Outcome) -> dict[str, int]:
    """Look up every acknowledged post (by its marker) and RSVP (by its last answer)."""
    from community.forums.models import ForumPost
    from community.meetups.models import Rsvp

    with app.app_context():
        lost_posts = doubled_posts = wrong_ids = 0
        for marker, post_id in outcome.posts.items():
            rows = db.session.execute(sa.select(ForumPost.id).where(ForumPost.body_source.contains(marker))).scalars().all()
            if not rows:
                lost_posts += 1
            elif len(rows) > 1:
                doubled_posts += 1
            elif post_id is not None and rows[0] != post_id:
                wrong_ids += 1
        lost_rsvps = wrong_rsvps = 0
        for (account_id, meetup_id), answer in outcome.rsvps.items():
            rows = db.session.scalars(sa.select(Rsvp).where(Rsvp.account_id == account_id, Rsvp.meetup_id == meetup_id)).all()
            if not rows:
                lost_rsvps += 1
            elif (rows[0].status == "not_going") != (answer == "not_going") or len(rows) > 1:
                wrong_rsvps += 1
        db.session.rollback()
    return {"lost_posts": lost_posts, "doubled_posts": doubled_posts, "posts_with_other_ids": wrong_ids, "lost_rsvps": lost_rsvps, "rsvps_not_as_answered": wrong_rsvps}


def forum_counters_consistent(app: Flask, slug: str) -> dict[str, int]:
    """Half-written rows show as counters that disagree with the rows they count."""
    from community.forums.models import ForumCategory, ForumPost, ForumThread

    with app.app_context():
        threads = db.session.scalars(sa.select(ForumThread).join(ForumCategory).where(ForumCategory.slug == slug)).all()
        bad_threads = 0
        for thread in threads:
            count, last = db.session.execute(sa.select(sa.func.count(ForumPost.id), sa.func.max(ForumPost.id)).where(ForumPost.thread_id == thread.id)).one()
            if count != thread.post_count or last != thread.last_post_id:
                bad_threads += 1
        category = db.session.scalar(sa.select(ForumCategory).where(ForumCategory.slug == slug))
        posts = db.session.scalar(sa.select(sa.func.count(ForumPost.id)).join(ForumThread).where(ForumThread.category_id == category.id)) if category else 0
        bad_category = int(category is not None and (category.post_count != posts or category.thread_count != len(threads)))
        orphans = db.session.scalar(sa.select(sa.func.count(ForumPost.id)).outerjoin(ForumThread, ForumPost.thread_id == ForumThread.id).where(ForumThread.id.is_(None)))
        db.session.rollback()
    return {"threads_with_wrong_counters": bad_threads, "categories_with_wrong_counters": bad_category, "posts_without_thread": int(orphans or 0)}


def summary(outcome: Outcome, seconds: float) -> dict[str, Any]:
    total = sum(outcome.statuses.values()) + sum(outcome.failures.values())
    return {
        "seconds": round(seconds, 1),
        "requests": total,
        "requests_per_second": round(total / seconds, 1) if seconds else 0.0,
        "p50_ms": round(outcome.percentile(0.50), 1),
        "p95_ms": round(outcome.percentile(0.95), 1),
        "p99_ms": round(outcome.percentile(0.99), 1),
        "mean_ms": round(statistics.fmean(outcome.latencies) * 1000, 1) if outcome.latencies else 0.0,
        "statuses": {str(status): count for status, count in sorted(outcome.statuses.items())},
        "connection_errors": dict(outcome.failures),
        "by_action": dict(outcome.by_action),
        "posts_acknowledged": len(outcome.posts),
        "rsvps_acknowledged": len(outcome.rsvps),
    }


@contextmanager
def cpu_busy() -> Iterator[dict[str, float]]:
    """Measure how busy the machine's cores were (from /proc/stat) while the block runs."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in open("/proc/stat").readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    result: dict[str, float] = {}
    total0, idle0 = sample()
    yield result
    total1, idle1 = sample()
    result["cpu_busy_percent"] = round(100 * (1 - (idle1 - idle0) / max(total1 - total0, 1)), 1)
