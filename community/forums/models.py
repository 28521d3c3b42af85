"""Forum tables: categories, threads, posts, read markers and reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.auth.models import Account
from app.extensions import db
from app.timeutil import UtcDateTime, utcnow

#: Category visibility: only card holders (and staff) read it, or everyone reads it.
RESIDENTS_ONLY = "residents"
PUBLIC = "public"
VISIBILITIES = (RESIDENTS_ONLY, PUBLIC)

#: How a moderator closed a report.
REPORT_DISMISSED = "dismissed"
REPORT_POST_HIDDEN = "hidden"
REPORT_OUTCOMES = (REPORT_DISMISSED, REPORT_POST_HIDDEN)


class ForumCategory(db.Model):
    """A board of threads, created by admins; posting in it is always for residents only."""

    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short URL name, e.g. "town-notices".
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    description_ja: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    #: Place on the forum index, smallest first.
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: RESIDENTS_ONLY (default) or PUBLIC (readable by everyone, e.g. town notices).
    visibility: Mapped[str] = mapped_column(sa.String(16), default=RESIDENTS_ONLY)
    #: Counters kept by the service so the index never counts rows.
    thread_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    post_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Id of the newest post in the category; ids only grow, so it orders by activity.
    last_post_id: Mapped[int | None] = mapped_column(sa.Integer)
    last_post_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def is_public(self) -> bool:
        return self.visibility == PUBLIC

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_ja


class ForumThread(db.Model):
    """A conversation: a title and its posts, the first post written by the starter."""

    __tablename__ = "forum_threads"
    __table_args__ = (
        # The category page: pinned first, then by last activity (keyset on last_post_id).
        sa.Index("ix_forum_threads_category_listing", "category_id", "pinned", "last_post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_categories.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Newest post of the thread; "last activity" (ids only grow, so it sorts like time).
    last_post_id: Mapped[int] = mapped_column(sa.Integer, default=0, index=True)
    last_post_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    post_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    pinned: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Space-separated 1- and 2-character grams of the title, for short Japanese queries.
    search_grams: Mapped[str] = deferred(mapped_column(sa.Text, default="", nullable=False))

    category: Mapped[ForumCategory] = relationship(lazy="raise")
    author: Mapped[Account] = relationship(lazy="raise")


class ForumPost(db.Model):
    """One message in a thread: Markdown as written and the sanitized HTML shown."""

    __tablename__ = "forum_posts"
    __table_args__ = (
        # Thread pages are keyset pages over this index; no page view reads past its 51 rows.
        sa.Index("ix_forum_posts_thread_id_id", "thread_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    #: Markdown exactly as the author wrote it (kept for editing and for moderators).
    body_source: Mapped[str] = mapped_column(sa.Text)
    #: Sanitized HTML rendered once when written; page views never render Markdown.
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Set when the author changed the text (the post then shows "edited").
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Set when the author deleted it: shown as "deleted by author", text kept for moderators.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Set while a moderator hides the post; the reason is shown in its place.
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    #: Space-separated 1- and 2-character grams of the text, for short Japanese queries.
    search_grams: Mapped[str] = deferred(mapped_column(sa.Text, default="", nullable=False))

    thread: Mapped[ForumThread] = relationship(lazy="raise")

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class ForumReadMarker(db.Model):
    """How far an account has read a thread: the last post id it has seen."""

    __tablename__ = "forum_read_markers"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    last_read_post_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ForumReader(db.Model):
    """Per-account forum state: everything up to `read_all_before` counts as read."""

    __tablename__ = "forum_readers"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    #: "Mark all as read" sets this to the newest post id at that moment.
    read_all_before: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ForumReport(db.Model):
    """A resident's report of a post to the moderators, open until a moderator resolves it."""

    __tablename__ = "forum_reports"
    __table_args__ = (sa.UniqueConstraint("post_id", "reporter_id", name="uq_forum_reports_post_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Null while open; the queue lists open reports (indexed, oldest first).
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    #: One of REPORT_OUTCOMES once resolved.
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    resolution_note: Mapped[str | None] = mapped_column(sa.String(500))

    post: Mapped[ForumPost] = relationship(lazy="raise")
