"""Forum rules and queries: who may read, post, edit and moderate, and what every page shows.

Every public function takes the signed-in Account (or None) and checks the rules itself, so a
view, the CLI or a test that forgets a decorator still cannot post or moderate for someone.
Functions flush; the request commits. Page queries are a fixed number per view, whatever the
number of posts or residents: authors and their resident numbers come in the same query as the
posts (a join from the author's address to the holdings table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, contains_eager, defer

from app.audit.service import record
from app.auth.models import ADMIN, MODERATOR, Account
from app.cards.models import IssuedCard
from app.chain.models import Holding
from app.extensions import db
from app.timeutil import utcnow
from community.forums import search
from community.forums.markdown import clean_text, plain_text, render_post
from community.forums.models import (
    PUBLIC,
    REPORT_DISMISSED,
    REPORT_OUTCOMES,
    REPORT_POST_HIDDEN,
    VISIBILITIES,
    ForumCategory,
    ForumPost,
    ForumReader,
    ForumReadMarker,
    ForumReport,
    ForumThread,
)
from community.gating.errors import AccessDenied, NotSignedIn
from community.gating.service import Residency, residency_of

#: Posts on one thread page and threads on one category page.
POSTS_PER_PAGE = 50
THREADS_PER_PAGE = 30
#: Pinned threads shown above the list; pins beyond this many are not shown (moderators unpin).
MAX_PINNED = 20
SEARCH_RESULTS = 20
#: Characters of a post's text shown around the first match in search results.
EXCERPT_WIDTH = 160
REPORT_QUEUE_SIZE = 100
TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 500
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


# -- errors ------------------------------------------------------------------------------------


class ForumError(Exception):
    """A forum request that cannot be done; the message says why and what to do instead."""

    status = 409

    def __init__(self, message: object, field: str | None = None) -> None:
        # The message stays lazy: it is put into words in the language of the request showing it.
        super().__init__(message)
        self.field = field


class ForumNotFound(ForumError):
    status = 404


class InvalidForumInput(ForumError):
    """What was typed is not acceptable; `field` names the form field at fault."""

    status = 422


# -- who is asking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The signed-in account (if any) and its card, as the rules see them."""

    account: Account | None
    residency: Residency | None

    @property
    def is_signed_in(self) -> bool:
        return self.account is not None

    @property
    def is_resident(self) -> bool:
        return self.residency is not None

    @property
    def is_moderator(self) -> bool:
        return self.account is not None and self.account.has_role(MODERATOR)

    @property
    def is_admin(self) -> bool:
        return self.account is not None and self.account.has_role(ADMIN)

    @property
    def reads_everything(self) -> bool:
        """Residents read every category; moderators do too, to moderate them."""
        return self.is_resident or self.is_moderator

    def can_read(self, category: ForumCategory) -> bool:
        return category.visibility == PUBLIC or self.reads_everything


def viewer_of(account: Account | None) -> Viewer:
    """Look up the account's card (one indexed query, never the chain)."""
    return Viewer(account, residency_of(account.address) if account is not None else None)


def _require_reader(viewer: Viewer, category: ForumCategory) -> None:
    if viewer.can_read(category):
        return
    if not viewer.is_signed_in:
        raise NotSignedIn(_l("This forum is for digital residents. Sign in with the wallet that holds your resident card."))
    raise AccessDenied(_l("This forum is for digital residents. The wallet you signed in with holds no resident card."))


def _require_resident(viewer: Viewer) -> Account:
    if viewer.account is None:
        raise NotSignedIn(_l("Sign in with the wallet that holds your resident card to post."))
    if viewer.residency is None:
        raise AccessDenied(_l("Only digital residents can post. The wallet you signed in with holds no resident card."))
    return viewer.account


def _require_signed_in(viewer: Viewer) -> Account:
    if viewer.account is None:
        raise NotSignedIn(_l("Sign in with your wallet first."))
    return viewer.account


def _require_role(viewer: Viewer, role: str) -> Account:
    account = _require_signed_in(viewer)
    if not account.has_role(role):
        raise AccessDenied(_l("This needs the %(role)s role. Ask an admin of the town office to grant it.", role=role))
    return account


# -- what pages show ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryEntry:
    category: ForumCategory
    readable: bool


@dataclass(frozen=True)
class ForumIndex:
    viewer: Viewer
    categories: list[CategoryEntry]


@dataclass(frozen=True)
class ThreadRow:
    thread: ForumThread
    #: The starter's display name, or None; pages name people with person_name(), never by address.
    author: str | None
    resident_number: int | None
    #: Id of the first post this viewer has not read, or None when all is read (or nobody signed in).
    first_unread_id: int | None
    category: ForumCategory | None = None


@dataclass(frozen=True)
class CategoryPage:
    viewer: Viewer
    category: ForumCategory
    pinned: list[ThreadRow]
    threads: list[ThreadRow]
    #: Cursor for the next (older) page: the last_post_id to continue below, or None.
    next_cursor: int | None
    can_post: bool


@dataclass(frozen=True)
class PostRow:
    post: ForumPost
    #: The author's display name, or None (the page shows their resident number instead).
    author: str | None
    author_address: str
    resident_number: int | None
    #: Small picture of the author's card (/ipfs/<cid>), or None: the page draws a badge instead.
    thumbnail_url: str | None
    can_edit: bool
    can_delete: bool
    can_report: bool
    is_first_unread: bool


@dataclass(frozen=True)
class ThreadPage:
    viewer: Viewer
    thread: ForumThread
    category: ForumCategory
    posts: list[PostRow]
    #: `before` cursor for the previous page and `from` cursor for the next page, or None.
    previous_cursor: int | None
    next_cursor: int | None
    can_reply: bool
    can_moderate: bool
    edit_window_minutes: int


@dataclass(frozen=True)
class SearchHit:
    thread: ForumThread
    category: ForumCategory
    post_id: int | None
    author: str | None
    resident_number: int | None
    #: The post's text as plain text around the first match, cut into (text, is_match) pieces
    #: so the template escapes each piece and marks the matches.
    excerpt: list[tuple[str, bool]]
    #: When the post (or the thread) was written.
    written_at: datetime | None = None


@dataclass(frozen=True)
class SearchResults:
    viewer: Viewer
    query: str
    threads: list[SearchHit]
    posts: list[SearchHit]
    #: The query had nothing searchable (only punctuation, say).
    unsearchable: bool = False


@dataclass(frozen=True)
class ReportEntry:
    report: ForumReport
    post: ForumPost
    thread: ForumThread
    #: Display names (or None) and resident numbers of who reported and who wrote the post.
    reporter: str | None
    author: str | None
    open_reports_on_post: int = 0
    reporter_number: int | None = None
    author_number: int | None = None


@dataclass(frozen=True)
class NewSincePage:
    viewer: Viewer
    threads: list[ThreadRow]
    next_cursor: int | None


# -- service input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewThread:
    category_slug: str
    title: str
    body: str


@dataclass(frozen=True)
class NewReply:
    thread_id: int
    body: str


@dataclass(frozen=True)
class PostEdit:
    post_id: int
    body: str


@dataclass(frozen=True)
class PostReport:
    post_id: int
    reason: str


@dataclass(frozen=True)
class ReportResolution:
    report_id: int
    #: REPORT_DISMISSED or REPORT_POST_HIDDEN.
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class CategoryInput:
    slug: str
    name_ja: str
    name_en: str
    description_ja: str = ""
    description_en: str = ""
    position: int = 0
    visibility: str = "residents"


@dataclass(frozen=True)
class ThreadCursor:
    """Which page of a thread to show: the page holding post `start`, the page before `before`,
    or the last page. Pages are fixed runs of POSTS_PER_PAGE counted from the first post, so a
    post stays on its page and a thread that fits one page has no pager."""

    start: int | None = None
    before: int | None = None
    last: bool = False


@dataclass(frozen=True)
class PostLocation:
    """Where a permalink leads: the thread, the post, and the first post of its page (None on
    the thread's first page, whose address needs no cursor)."""

    thread_id: int
    post_id: int
    page_start: int | None


@dataclass
class _Unread:
    """The viewer's read position: per-thread markers over the "mark all read" baseline."""

    baseline: int = 0
    markers: dict[int, int] = field(default_factory=dict)

    def read_up_to(self, thread_id: int) -> int:
        return max(self.baseline, self.markers.get(thread_id, 0))


# -- validation ---------------------------------------------------------------------------------


def _clean_line(text: str) -> str:
    """One line of plain text: no control or invisible characters, spaces collapsed."""
    return " ".join(clean_text(text).split())


def _valid_title(title: str) -> str:
    title = _clean_line(title)
    if not title:
        raise InvalidForumInput(_l("Write a title."), "title")
    if len(title) > TITLE_MAX:
        raise InvalidForumInput(_l("Keep the title under %(count)s characters.", count=TITLE_MAX), "title")
    return title


def _valid_body(body: str) -> str:
    body = clean_text(body).strip()
    if not body:
        raise InvalidForumInput(_l("Write something in the post."), "body")
    if len(body) > BODY_MAX:
        raise InvalidForumInput(_l("Keep the post under %(count)s characters.", count=BODY_MAX), "body")
    return body


def _valid_reason(reason: str, field_name: str = "reason") -> str:
    reason = _clean_line(reason)
    if not reason:
        raise InvalidForumInput(_l("Give a reason."), field_name)
    if len(reason) > REASON_MAX:
        raise InvalidForumInput(_l("Keep the reason under %(count)s characters.", count=REASON_MAX), field_name)
    return reason


# -- loading -------------------------------------------------------------------------------------


def _category_by_slug(slug: str) -> ForumCategory:
    category = db.session.scalar(sa.select(ForumCategory).where(ForumCategory.slug == slug))
    if category is None:
        raise ForumNotFound(_l("There is no such forum category."))
    return category


def _thread_with_category(thread_id: int) -> ForumThread:
    thread = db.session.scalar(
        sa.select(ForumThread).join(ForumThread.category).options(contains_eager(ForumThread.category)).where(ForumThread.id == thread_id)
    )
    if thread is None:
        raise ForumNotFound(_l("There is no such thread. It may have been moved or the address is mistyped."))
    return thread


def _post_with_thread(post_id: int) -> ForumPost:
    post = db.session.scalar(
        sa.select(ForumPost)
        .join(ForumPost.thread)
        .join(ForumThread.category)
        .options(contains_eager(ForumPost.thread).contains_eager(ForumThread.category))
        .where(ForumPost.id == post_id)
    )
    if post is None:
        raise ForumNotFound(_l("There is no such post."))
    return post


def _unread_state(viewer: Viewer, thread_ids: list[int]) -> _Unread:
    """Read the viewer's baseline and markers for these threads in one query."""
    if viewer.account is None:
        return _Unread()
    account_id = viewer.account.id
    baseline = sa.select(ForumReader.read_all_before).where(ForumReader.account_id == account_id).scalar_subquery()
    rows = db.session.execute(
        sa.select(sa.literal(0).label("thread_id"), sa.func.coalesce(baseline, 0))
        .union_all(
            sa.select(ForumReadMarker.thread_id, ForumReadMarker.last_read_post_id).where(
                ForumReadMarker.account_id == account_id, ForumReadMarker.thread_id.in_(thread_ids or [0])
            )
        )
    ).all()
    state = _Unread()
    for thread_id, value in rows:
        if thread_id == 0:
            state.baseline = value or 0
        else:
            state.markers[thread_id] = value
    return state


def _edit_window() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("FORUM_EDIT_WINDOW_MINUTES", 30)))


def _within_edit_window(post: ForumPost, now: datetime | None = None) -> bool:
    window = _edit_window()
    return window > timedelta(0) and (now or utcnow()) - post.created_at <= window


def _readable_categories_clause(viewer: Viewer) -> sa.ColumnElement[bool]:
    return sa.true() if viewer.reads_everything else ForumCategory.visibility == PUBLIC


def _thread_rows(statement: sa.Select[tuple[ForumThread, str | None, str, int | None]], viewer: Viewer, with_category: bool = False) -> list[ThreadRow]:
    rows = db.session.execute(statement).all()
    unread = _unread_state(viewer, [row[0].id for row in rows]) if viewer.is_signed_in else _Unread()
    result = []
    for thread, display_name, address, number in rows:
        read_up_to = unread.read_up_to(thread.id)
        first_unread = read_up_to + 1 if viewer.is_signed_in and thread.last_post_id > read_up_to else None
        result.append(ThreadRow(thread, display_name, number, first_unread, thread.category if with_category else None))
    return result


def _thread_listing(*conditions: sa.ColumnElement[bool]) -> sa.Select[tuple[ForumThread, str | None, str, int | None]]:
    """Threads with the starter's name and resident number, in one query."""
    return (
        sa.select(ForumThread, Account.display_name, Account.address, Holding.resident_number)
        .join(Account, Account.id == ForumThread.author_id)
        .outerjoin(Holding, Holding.holder == Account.address)
        .where(*conditions)
        .options(defer(ForumThread.search_grams))
    )


# -- reading -------------------------------------------------------------------------------------


def forum_index(account: Account | None) -> ForumIndex:
    """List the categories in order, saying which this viewer may open."""
    viewer = viewer_of(account)
    categories = db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position, ForumCategory.id)).all()
    return ForumIndex(viewer, [CategoryEntry(category, viewer.can_read(category)) for category in categories])


def category_page(account: Account | None, slug: str, before: int | None = None) -> CategoryPage:
    """Show a category's threads: pinned first, then by last activity, THREADS_PER_PAGE at a time."""
    viewer = viewer_of(account)
    category = _category_by_slug(slug)
    _require_reader(viewer, category)
    pinned: list[ThreadRow] = []
    if before is None:
        pinned = _thread_rows(
            _thread_listing(ForumThread.category_id == category.id, ForumThread.pinned.is_(True))
            .order_by(ForumThread.last_post_id.desc())
            .limit(MAX_PINNED),
            viewer,
        )
    conditions = [ForumThread.category_id == category.id, ForumThread.pinned.is_(False)]
    if before is not None:
        conditions.append(ForumThread.last_post_id < before)
    threads = _thread_rows(_thread_listing(*conditions).order_by(ForumThread.last_post_id.desc()).limit(THREADS_PER_PAGE + 1), viewer)
    next_cursor = threads[THREADS_PER_PAGE - 1].thread.last_post_id if len(threads) > THREADS_PER_PAGE else None
    return CategoryPage(viewer, category, pinned, threads[:THREADS_PER_PAGE], next_cursor, viewer.is_resident)


def thread_page(account: Account | None, thread_id: int, cursor: ThreadCursor = ThreadCursor()) -> ThreadPage:
    """Show up to POSTS_PER_PAGE posts of a thread (keyset on post id) and mark them read."""
    viewer = viewer_of(account)
    thread = _thread_with_category(thread_id)
    category = thread.category
    _require_reader(viewer, category)

    listing = (
        sa.select(ForumPost, Account.display_name, Account.address, Holding.resident_number, IssuedCard.thumbnail_cid)
        .join(Account, Account.id == ForumPost.author_id)
        .outerjoin(Holding, Holding.holder == Account.address)
        .outerjoin(IssuedCard, IssuedCard.resident_number == Holding.resident_number)
        .options(defer(ForumPost.body_source), defer(ForumPost.search_grams))
        .where(ForumPost.thread_id == thread.id)
    )
    before = None if cursor.last or cursor.start is not None else cursor.before
    if before is not None:
        rows = list(reversed(db.session.execute(listing.where(ForumPost.id < before).order_by(ForumPost.id.desc()).limit(POSTS_PER_PAGE + 1)).all()))
        has_previous = len(rows) > POSTS_PER_PAGE
        rows = rows[-POSTS_PER_PAGE:]
        has_next = bool(rows) and db.session.scalar(sa.select(sa.exists().where(ForumPost.thread_id == thread.id, ForumPost.id > rows[-1][0].id)))
    else:
        if cursor.last:
            start: int | sa.ScalarSelect[int] = _page_start(thread.id, _last_ordinal(thread.id))
        elif cursor.start is not None:
            start = _page_start(thread.id, _ordinal_of(thread.id, cursor.start))
        else:
            start = 0
        rows = db.session.execute(listing.where(ForumPost.id >= start).order_by(ForumPost.id).limit(POSTS_PER_PAGE + 1)).all()
        has_next = len(rows) > POSTS_PER_PAGE
        rows = rows[:POSTS_PER_PAGE]
        has_previous = bool(rows) and db.session.scalar(sa.select(sa.exists().where(ForumPost.thread_id == thread.id, ForumPost.id < rows[0][0].id)))

    unread = _unread_state(viewer, [thread.id])
    read_up_to = unread.read_up_to(thread.id)
    first_unread = next((row[0].id for row in rows if row[0].id > read_up_to), None) if viewer.is_signed_in else None
    now = utcnow()
    posts = [
        _post_row(viewer, thread, post, display_name, address, number, thumbnail_cid, now, post.id == first_unread)
        for post, display_name, address, number, thumbnail_cid in rows
    ]
    if viewer.account is not None and rows and rows[-1][0].id > read_up_to:
        _mark_read(viewer.account.id, thread.id, rows[-1][0].id)
    return ThreadPage(
        viewer=viewer,
        thread=thread,
        category=category,
        posts=posts,
        previous_cursor=rows[0][0].id if has_previous else None,
        next_cursor=rows[-1][0].id + 1 if has_next else None,
        can_reply=viewer.is_resident and not thread.locked,
        can_moderate=viewer.is_moderator,
        edit_window_minutes=int(_edit_window().total_seconds() // 60),
    )


def _post_row(
    viewer: Viewer, thread: ForumThread, post: ForumPost, display_name: str | None, address: str, number: int | None, thumbnail_cid: str | None, now: datetime, first_unread: bool
) -> PostRow:
    own = viewer.account is not None and post.author_id == viewer.account.id
    return PostRow(
        post=post,
        author=display_name,
        author_address=address,
        resident_number=number,
        thumbnail_url=f"/ipfs/{thumbnail_cid}" if thumbnail_cid and number is not None else None,
        can_edit=own and viewer.is_resident and post.is_visible and not thread.locked and _within_edit_window(post, now),
        can_delete=own and post.deleted_at is None,
        can_report=viewer.is_resident and not own and post.is_visible,
        is_first_unread=first_unread,
    )


def _mark_read(account_id: int, thread_id: int, post_id: int) -> None:
    """Move the account's marker forward to `post_id` (never back), in one statement."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ForumReadMarker).values(account_id=account_id, thread_id=thread_id, last_read_post_id=post_id, updated_at=utcnow())
    statement = statement.on_conflict_do_update(
        index_elements=[ForumReadMarker.account_id, ForumReadMarker.thread_id],
        set_={"last_read_post_id": statement.excluded.last_read_post_id, "updated_at": statement.excluded.updated_at},
        where=ForumReadMarker.last_read_post_id < statement.excluded.last_read_post_id,
    )
    db.session.execute(statement)


def _page_start(thread_id: int, ordinal: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """The first post id of the page that holds the thread's `ordinal`-th post (from 0)."""
    first_of_page = ordinal // POSTS_PER_PAGE * POSTS_PER_PAGE
    return sa.select(ForumPost.id).where(ForumPost.thread_id == thread_id).order_by(ForumPost.id).offset(first_of_page).limit(1).scalar_subquery()


def _ordinal_of(thread_id: int, post_id: int) -> sa.ScalarSelect[int]:
    """How many posts come before `post_id` (or before the first post after it; past the end: the last)."""
    in_thread = ForumPost.thread_id == thread_id
    anchor = sa.func.coalesce(
        sa.select(sa.func.min(ForumPost.id)).where(in_thread, ForumPost.id >= post_id).scalar_subquery(),
        sa.select(sa.func.max(ForumPost.id)).where(in_thread).scalar_subquery(),
    )
    return sa.select(sa.func.count()).select_from(ForumPost).where(in_thread, ForumPost.id < anchor).scalar_subquery()


def _last_ordinal(thread_id: int) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count() - 1).select_from(ForumPost).where(ForumPost.thread_id == thread_id).scalar_subquery()


def locate_post(account: Account | None, post_id: int) -> PostLocation:
    """Return where a permalink leads (thread, post, its page), if this viewer may read it."""
    viewer = viewer_of(account)
    post = _post_with_thread(post_id)
    _require_reader(viewer, post.thread.category)
    first = sa.select(sa.func.min(ForumPost.id)).where(ForumPost.thread_id == post.thread_id).scalar_subquery()
    start, first_id = db.session.execute(sa.select(_page_start(post.thread_id, _ordinal_of(post.thread_id, post.id)), first)).one()
    return PostLocation(post.thread_id, post.id, None if start == first_id else start)


def new_since_last_visit(account: Account | None, before: int | None = None) -> NewSincePage:
    """List threads with posts this account has not read, newest activity first."""
    viewer = viewer_of(account)
    signed_in = _require_signed_in(viewer)
    baseline = db.session.scalar(sa.select(ForumReader.read_all_before).where(ForumReader.account_id == signed_in.id)) or 0
    marker = aliased(ForumReadMarker)
    conditions = [
        ForumThread.last_post_id > baseline,
        ForumThread.last_post_id > sa.func.coalesce(marker.last_read_post_id, 0),
        _readable_categories_clause(viewer),
    ]
    if before is not None:
        conditions.append(ForumThread.last_post_id < before)
    statement = (
        _thread_listing(*conditions)
        .join(ForumThread.category)
        .outerjoin(marker, sa.and_(marker.thread_id == ForumThread.id, marker.account_id == signed_in.id))
        .options(contains_eager(ForumThread.category))
        .order_by(ForumThread.last_post_id.desc())
        .limit(THREADS_PER_PAGE + 1)
    )
    threads = _thread_rows(statement, viewer, with_category=True)
    next_cursor = threads[THREADS_PER_PAGE - 1].thread.last_post_id if len(threads) > THREADS_PER_PAGE else None
    return NewSincePage(viewer, threads[:THREADS_PER_PAGE], next_cursor)


def mark_all_read(account: Account | None) -> None:
    """Count everything posted so far as read for this account."""
    viewer = viewer_of(account)
    signed_in = _require_signed_in(viewer)
    newest = db.session.scalar(sa.select(sa.func.max(ForumPost.id))) or 0
    reader = db.session.get(ForumReader, signed_in.id)
    if reader is None:
        db.session.add(ForumReader(account_id=signed_in.id, read_all_before=newest, updated_at=utcnow()))
    else:
        reader.read_all_before = max(reader.read_all_before, newest)
        reader.updated_at = utcnow()
    db.session.flush()


def search_forums(account: Account | None, query: str) -> SearchResults:
    """Find threads by title and posts by text, in the categories this viewer may read."""
    viewer = viewer_of(account)
    query = _clean_line(query)[:200]
    terms = search.query_terms(query)
    dialect = db.session.get_bind().dialect.name
    title_match = search.match_all(dialect, "thread", terms)
    post_match = search.match_all(dialect, "post", terms)
    if title_match is None and post_match is None:
        return SearchResults(viewer, query, [], [], unsearchable=bool(query))
    readable = _readable_categories_clause(viewer)
    threads: list[SearchHit] = []
    posts: list[SearchHit] = []
    if title_match is not None:
        for row in _thread_rows(
            _thread_listing(title_match, readable).join(ForumThread.category).options(contains_eager(ForumThread.category)).order_by(ForumThread.last_post_id.desc()).limit(SEARCH_RESULTS),
            viewer,
            with_category=True,
        ):
            assert row.category is not None
            threads.append(SearchHit(row.thread, row.category, None, row.author, row.resident_number, search.marked_pieces(row.thread.title, terms), row.thread.created_at))
    if post_match is not None:
        statement = (
            sa.select(ForumPost, Account.display_name, Holding.resident_number)
            .join(ForumPost.thread)
            .join(ForumThread.category)
            .join(Account, Account.id == ForumPost.author_id)
            .outerjoin(Holding, Holding.holder == Account.address)
            .options(contains_eager(ForumPost.thread).contains_eager(ForumThread.category), defer(ForumPost.body_html), defer(ForumPost.search_grams))
            .where(post_match, readable, ForumPost.deleted_at.is_(None), ForumPost.hidden_at.is_(None))
            .order_by(ForumPost.id.desc())
            .limit(SEARCH_RESULTS)
        )
        for post, display_name, number in db.session.execute(statement).all():
            excerpt = search.marked_pieces(plain_text(post.body_source), terms, width=EXCERPT_WIDTH)
            posts.append(SearchHit(post.thread, post.thread.category, post.id, display_name, number, excerpt, post.created_at))
    return SearchResults(viewer, query, threads, posts)


# -- writing -------------------------------------------------------------------------------------


def thread_form(account: Account | None, slug: str) -> ForumCategory:
    """Return the category a resident is about to start a thread in."""
    viewer = viewer_of(account)
    _require_resident(viewer)
    return _category_by_slug(slug)


def start_thread(account: Account | None, new: NewThread) -> ForumThread:
    """Start a thread with its first post; residents only."""
    viewer = viewer_of(account)
    author = _require_resident(viewer)
    category = _category_by_slug(new.category_slug)
    title = _valid_title(new.title)
    body = _valid_body(new.body)
    now = utcnow()
    thread = ForumThread(category_id=category.id, author_id=author.id, title=title, created_at=now, last_post_at=now, search_grams=search.grams_of(title))
    db.session.add(thread)
    db.session.flush()
    _add_post(author, thread, category, body, now)
    category.thread_count = ForumCategory.thread_count + 1
    db.session.flush()
    return thread


def reply_form(account: Account | None, thread_id: int) -> ForumThread:
    """Return the thread a resident is replying to, if replies are open."""
    viewer = viewer_of(account)
    _require_resident(viewer)
    thread = _thread_with_category(thread_id)
    if thread.locked:
        raise ForumError(_l("This thread is locked: no new replies."))
    return thread


def reply(account: Account | None, new: NewReply) -> ForumPost:
    """Add a post to an open thread; residents only."""
    viewer = viewer_of(account)
    author = _require_resident(viewer)
    thread = _thread_with_category(new.thread_id)
    if thread.locked:
        raise ForumError(_l("This thread is locked: no new replies."))
    body = _valid_body(new.body)
    return _add_post(author, thread, thread.category, body, utcnow())


def _add_post(author: Account, thread: ForumThread, category: ForumCategory, body: str, now: datetime) -> ForumPost:
    post = ForumPost(thread_id=thread.id, author_id=author.id, body_source=body, body_html=str(render_post(body)), created_at=now, search_grams=search.grams_of(body))
    db.session.add(post)
    db.session.flush()
    # Counters move in SQL (col = col + 1) so concurrent replies do not lose each other.
    thread.post_count = ForumThread.post_count + 1
    thread.last_post_id = post.id
    thread.last_post_at = now
    category.post_count = ForumCategory.post_count + 1
    category.last_post_id = post.id
    category.last_post_at = now
    db.session.flush()
    _mark_read(author.id, thread.id, post.id)
    return post


def _own_post(viewer: Viewer, post_id: int) -> tuple[Account, ForumPost]:
    account = _require_signed_in(viewer)
    post = _post_with_thread(post_id)
    if post.author_id != account.id:
        raise AccessDenied(_l("Only the author can change or delete this post."))
    return account, post


def edit_form(account: Account | None, post_id: int) -> ForumPost:
    """Return the author's own post for editing, if the edit window is still open."""
    viewer = viewer_of(account)
    _require_resident(viewer)
    _account, post = _own_post(viewer, post_id)
    _check_editable(post)
    return post


def _check_editable(post: ForumPost) -> None:
    if not post.is_visible:
        raise ForumError(_l("This post was deleted or hidden and can no longer be edited."))
    if post.thread.locked:
        raise ForumError(_l("This thread is locked: posts in it can no longer be edited."))
    if not _within_edit_window(post):
        raise ForumError(_l("Posts can be edited for %(minutes)s minutes after posting; that time has passed.", minutes=int(_edit_window().total_seconds() // 60)))


def edit_post(account: Account | None, edit: PostEdit) -> ForumPost:
    """Replace the text of the author's own post within the edit window; it then shows "edited"."""
    viewer = viewer_of(account)
    _require_resident(viewer)
    _account, post = _own_post(viewer, edit.post_id)
    _check_editable(post)
    body = _valid_body(edit.body)
    if body != post.body_source:
        post.body_source = body
        post.body_html = str(render_post(body))
        post.search_grams = search.grams_of(body)
        post.edited_at = utcnow()
        db.session.flush()
    return post


def delete_post(account: Account | None, post_id: int) -> ForumPost:
    """Delete the author's own post: it stays in the thread as "deleted by the author"."""
    viewer = viewer_of(account)
    _account, post = _own_post(viewer, post_id)
    if post.deleted_at is None:
        post.deleted_at = utcnow()
        db.session.flush()
    return post


def report_form(account: Account | None, post_id: int) -> ForumPost:
    """Return a post a resident is about to report."""
    viewer = viewer_of(account)
    reporter = _require_resident(viewer)
    post = _post_with_thread(post_id)
    _check_reportable(reporter, post)
    return post


def _check_reportable(reporter: Account, post: ForumPost) -> None:
    if post.author_id == reporter.id:
        raise ForumError(_l("You cannot report your own post; edit or delete it instead."))
    if not post.is_visible:
        raise ForumError(_l("This post is already deleted or hidden."))


def report_post(account: Account | None, report: PostReport) -> ForumReport:
    """Send a post to the moderators' queue with a reason; once per resident and post."""
    viewer = viewer_of(account)
    reporter = _require_resident(viewer)
    post = _post_with_thread(report.post_id)
    _check_reportable(reporter, post)
    reason = _valid_reason(report.reason)
    already = db.session.scalar(sa.select(ForumReport.id).where(ForumReport.post_id == post.id, ForumReport.reporter_id == reporter.id))
    if already is not None:
        raise ForumError(_l("You have already reported this post. The moderators will look at it."))
    entry = ForumReport(post_id=post.id, reporter_id=reporter.id, reason=reason, created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


# -- moderation ----------------------------------------------------------------------------------


def _moderator(account: Account | None) -> Account:
    return _require_role(viewer_of(account), MODERATOR)


def hide_post(account: Account | None, post_id: int, reason: str) -> ForumPost:
    """Hide a post with a reason shown in its place; recorded in the audit log."""
    moderator = _moderator(account)
    post = _post_with_thread(post_id)
    reason = _valid_reason(reason)
    _hide(moderator, post, reason)
    return post


def _hide(moderator: Account, post: ForumPost, reason: str) -> None:
    post.hidden_at = utcnow()
    post.hidden_reason = reason
    post.hidden_by_id = moderator.id
    db.session.flush()
    record(moderator.address, "forum.post.hide", f"forum_post:{post.id}", thread_id=post.thread_id, reason=reason)


def unhide_post(account: Account | None, post_id: int) -> ForumPost:
    """Show a hidden post again; recorded in the audit log."""
    moderator = _moderator(account)
    post = _post_with_thread(post_id)
    previous_reason = post.hidden_reason
    post.hidden_at = None
    post.hidden_reason = None
    post.hidden_by_id = None
    db.session.flush()
    record(moderator.address, "forum.post.unhide", f"forum_post:{post.id}", thread_id=post.thread_id, previous_reason=previous_reason)
    return post


def set_thread_flag(account: Account | None, thread_id: int, flag: str, value: bool) -> ForumThread:
    """Lock/unlock or pin/unpin a thread (`flag` is "locked" or "pinned"); audited."""
    moderator = _moderator(account)
    if flag not in {"locked", "pinned"}:
        raise ValueError(f"unknown thread flag {flag!r}")
    thread = _thread_with_category(thread_id)
    setattr(thread, flag, value)
    db.session.flush()
    action = {("locked", True): "lock", ("locked", False): "unlock", ("pinned", True): "pin", ("pinned", False): "unpin"}[(flag, value)]
    record(moderator.address, f"forum.thread.{action}", f"forum_thread:{thread.id}", category=thread.category.slug)
    return thread


def move_form(account: Account | None, thread_id: int) -> tuple[ForumThread, list[ForumCategory]]:
    """Return a thread and the categories it could move to."""
    _moderator(account)
    thread = _thread_with_category(thread_id)
    categories = db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position, ForumCategory.id)).all()
    return thread, list(categories)


def move_thread(account: Account | None, thread_id: int, category_id: int) -> ForumThread:
    """Move a thread (and its counts) to another category; audited."""
    moderator = _moderator(account)
    thread = _thread_with_category(thread_id)
    source = thread.category
    target = db.session.get(ForumCategory, category_id)
    if target is None:
        raise InvalidForumInput(_l("Choose a category."), "category_id")
    if target.id == source.id:
        return thread
    thread.category_id = target.id
    source.thread_count = ForumCategory.thread_count - 1
    source.post_count = ForumCategory.post_count - thread.post_count
    target.thread_count = ForumCategory.thread_count + 1
    target.post_count = ForumCategory.post_count + thread.post_count
    if (target.last_post_id or 0) < thread.last_post_id:
        target.last_post_id, target.last_post_at = thread.last_post_id, thread.last_post_at
    db.session.flush()
    newest = db.session.execute(
        sa.select(ForumThread.last_post_id, ForumThread.last_post_at).where(ForumThread.category_id == source.id).order_by(ForumThread.last_post_id.desc()).limit(1)
    ).first()
    source.last_post_id, source.last_post_at = (newest[0], newest[1]) if newest else (None, None)
    db.session.flush()
    record(moderator.address, "forum.thread.move", f"forum_thread:{thread.id}", from_category=source.slug, to_category=target.slug)
    return thread


def report_queue(account: Account | None) -> list[ReportEntry]:
    """Open reports, oldest first, with the post, its thread and who reported it."""
    _moderator(account)
    reporter = aliased(Account)
    author = aliased(Account)
    reporter_card = aliased(Holding)
    author_card = aliased(Holding)
    open_on_post = (
        sa.select(sa.func.count(ForumReport.id)).where(ForumReport.post_id == ForumPost.id, ForumReport.resolved_at.is_(None)).correlate(ForumPost).scalar_subquery()
    )
    report_alias = aliased(ForumReport)
    rows = db.session.execute(
        sa.select(
            report_alias, ForumPost, ForumThread, reporter.display_name, reporter_card.resident_number, author.display_name, author_card.resident_number, open_on_post
        )
        .join(ForumPost, ForumPost.id == report_alias.post_id)
        .join(ForumThread, ForumThread.id == ForumPost.thread_id)
        .join(reporter, reporter.id == report_alias.reporter_id)
        .join(author, author.id == ForumPost.author_id)
        .outerjoin(reporter_card, reporter_card.holder == reporter.address)
        .outerjoin(author_card, author_card.holder == author.address)
        .where(report_alias.resolved_at.is_(None))
        .order_by(report_alias.id)
        .limit(REPORT_QUEUE_SIZE)
    ).all()
    return [
        ReportEntry(report, post, thread, reporter_name, author_name, count, reporter_number, author_number)
        for report, post, thread, reporter_name, reporter_number, author_name, author_number, count in rows
    ]


def resolve_report(account: Account | None, resolution: ReportResolution) -> ForumReport:
    """Close a report (and the other open reports on the same post): dismiss, or hide the post."""
    moderator = _moderator(account)
    if resolution.outcome not in REPORT_OUTCOMES:
        raise InvalidForumInput(_l("Choose what to do with the report."), "outcome")
    report = db.session.get(ForumReport, resolution.report_id)
    if report is None:
        raise ForumNotFound(_l("There is no such report."))
    if report.resolved_at is not None:
        raise ForumError(_l("This report was already resolved."))
    note = _clean_line(resolution.note)[:REASON_MAX]
    post = _post_with_thread(report.post_id)
    if resolution.outcome == REPORT_POST_HIDDEN:
        if post.hidden_at is None:
            _hide(moderator, post, note or report.reason)
    elif resolution.outcome != REPORT_DISMISSED:  # pragma: no cover - guarded above
        raise AssertionError(resolution.outcome)
    now = utcnow()
    open_reports = db.session.scalars(sa.select(ForumReport).where(ForumReport.post_id == post.id, ForumReport.resolved_at.is_(None))).all()
    for entry in open_reports:
        entry.resolved_at = now
        entry.resolved_by_id = moderator.id
        entry.outcome = resolution.outcome
        entry.resolution_note = note or None
    db.session.flush()
    record(moderator.address, "forum.report.resolve", f"forum_report:{report.id}", post_id=post.id, outcome=resolution.outcome, note=note, reports_closed=len(open_reports))
    return report


# -- categories (admins) -------------------------------------------------------------------------


def admin_categories(account: Account | None) -> list[ForumCategory]:
    """All categories in order, for the admins' page."""
    _require_role(viewer_of(account), ADMIN)
    return list(db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position, ForumCategory.id)).all())


def category_for_edit(account: Account | None, category_id: int) -> ForumCategory:
    _require_role(viewer_of(account), ADMIN)
    category = db.session.get(ForumCategory, category_id)
    if category is None:
        raise ForumNotFound(_l("There is no such forum category."))
    return category


def _valid_category(data: CategoryInput, category_id: int | None) -> CategoryInput:
    slug = data.slug.strip().lower()
    if not SLUG.match(slug):
        raise InvalidForumInput(_l("Use lowercase letters, digits and hyphens for the address name (up to 64)."), "slug")
    taken = db.session.scalar(sa.select(ForumCategory.id).where(ForumCategory.slug == slug))
    if taken is not None and taken != category_id:
        raise InvalidForumInput(_l("Another category already uses this address name."), "slug")
    name_ja, name_en = _clean_line(data.name_ja), _clean_line(data.name_en)
    if not name_ja:
        raise InvalidForumInput(_l("Write the name in Japanese."), "name_ja")
    if not name_en:
        raise InvalidForumInput(_l("Write the name in English."), "name_en")
    if len(name_ja) > 120 or len(name_en) > 120:
        raise InvalidForumInput(_l("Keep names under 120 characters."), "name_ja" if len(name_ja) > 120 else "name_en")
    if data.visibility not in VISIBILITIES:
        raise InvalidForumInput(_l("Choose who can read the category."), "visibility")
    return CategoryInput(slug, name_ja, name_en, clean_text(data.description_ja).strip()[:2000], clean_text(data.description_en).strip()[:2000], data.position, data.visibility)


def create_category(account: Account | None, data: CategoryInput) -> ForumCategory:
    """Create a category; admins only, audited."""
    admin = _require_role(viewer_of(account), ADMIN)
    data = _valid_category(data, None)
    category = ForumCategory(
        slug=data.slug, name_ja=data.name_ja, name_en=data.name_en, description_ja=data.description_ja, description_en=data.description_en,
        position=data.position, visibility=data.visibility, created_at=utcnow(),
    )
    db.session.add(category)
    db.session.flush()
    record(admin.address, "forum.category.create", f"forum_category:{category.id}", slug=category.slug, visibility=category.visibility)
    return category


def update_category(account: Account | None, category_id: int, data: CategoryInput) -> ForumCategory:
    """Change a category's names, description, order or visibility; admins only, audited."""
    admin = _require_role(viewer_of(account), ADMIN)
    category = db.session.get(ForumCategory, category_id)
    if category is None:
        raise ForumNotFound(_l("There is no such forum category."))
    data = _valid_category(data, category.id)
    changes = {}
    for name in ("slug", "name_ja", "name_en", "description_ja", "description_en", "position", "visibility"):
        if getattr(category, name) != getattr(data, name):
            changes[name] = getattr(data, name)
            setattr(category, name, getattr(data, name))
    db.session.flush()
    record(admin.address, "forum.category.update", f"forum_category:{category.id}", changes=changes)
    return category
