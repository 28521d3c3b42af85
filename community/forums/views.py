"""The members' forums: pages and actions. Each view parses input, calls one service function
(which checks who may do what) and turns domain errors into pages or form errors."""

from __future__ import annotations

from collections.abc import Callable
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.database import MAX_ROW_ID, row_id
from app.extensions import limiter
from app.inputs import InvalidInput, form_int
from app.security import rate_limit_key
from community.forums import service
from community.forums.forms import POSITION_MAX, POSITION_MIN, ActionForm, CategoryForm, MoveForm, PostForm, ReasonForm, ResolveForm, ThreadForm
from community.forums.service import (
    CategoryInput,
    ForumError,
    InvalidForumInput,
    NewReply,
    NewThread,
    PostEdit,
    PostReport,
    ReportResolution,
    ThreadCursor,
)
from community.gating.access import signed_in_account

bp = Blueprint("forums", __name__, url_prefix="/forums", template_folder="templates")

#: Defaults; a site can set FORUM_POST_RATE_LIMIT / FORUM_REPORT_RATE_LIMIT in its config.
POST_RATE_LIMIT = "10 per minute;200 per day"
REPORT_RATE_LIMIT = "5 per minute;50 per day"


# -- rate limits ---------------------------------------------------------------------------------


def _anonymous() -> bool:
    # Nobody signed in cannot post at all; the service refuses them without spending a count.
    return not current_user.is_authenticated


def _succeeded(response: Response) -> bool:
    return response.status_code < 400


def _limit(setting: str, default: str) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    # Shared: new threads, replies and edits draw on one allowance per account.
    return limiter.shared_limit(
        lambda: str(current_app.config.get(setting) or default),
        scope=setting.lower(),
        key_func=rate_limit_key,
        methods=["POST"],
        exempt_when=_anonymous,
        deduct_when=_succeeded,
    )


posting_limit = _limit("FORUM_POST_RATE_LIMIT", POST_RATE_LIMIT)
reporting_limit = _limit("FORUM_REPORT_RATE_LIMIT", REPORT_RATE_LIMIT)


@bp.errorhandler(ForumError)
def forum_error(error: ForumError) -> ResponseReturnValue:
    from app.errors import render_error

    return render_error(error.status, str(error))


def _form_error(form: FlaskForm, error: InvalidForumInput) -> None:
    field = form._fields.get(error.field or "")
    if field is not None:
        field.errors = [str(error)]
    else:
        flash(str(error), "error")


def _text(name: str) -> str:
    return request.form.get(name, "")


# -- reading -------------------------------------------------------------------------------------


@bp.get("")
def index() -> ResponseReturnValue:
    """List the forum categories."""
    return render_template("forums/index.html", page=service.forum_index(signed_in_account()))


@bp.get("/c/<slug>")
def category(slug: str) -> ResponseReturnValue:
    """Show a category's threads, pinned first, then by last activity."""
    page = service.category_page(signed_in_account(), slug, before=request.args.get("before", type=row_id))
    return render_template("forums/category.html", page=page)


@bp.get("/t/<int:thread_id>")
def thread(thread_id: int) -> ResponseReturnValue:
    """Show one page of a thread's posts and mark them read."""
    cursor = ThreadCursor(start=request.args.get("from", type=row_id), before=request.args.get("before", type=row_id), last=request.args.get("last") == "1")
    page = service.thread_page(signed_in_account(), thread_id, cursor)
    return render_template("forums/thread.html", page=page, hide_form=ReasonForm())


@bp.get("/p/<int:post_id>")
def post(post_id: int) -> ResponseReturnValue:
    """Send a post's permalink to the thread page that holds it, scrolled to the post."""
    found = service.locate_post(signed_in_account(), post_id)
    cursor = {} if found.page_start is None else {"from": found.page_start}
    return redirect(url_for("forums.thread", thread_id=found.thread_id, **cursor, _anchor=f"post-{found.post_id}"))


@bp.get("/new")
def new_since() -> ResponseReturnValue:
    """List threads with posts the signed-in person has not read yet."""
    page = service.new_since_last_visit(signed_in_account(), before=request.args.get("before", type=row_id))
    return render_template("forums/new_since.html", page=page, form=ActionForm())


@bp.post("/read-all")
def read_all() -> ResponseReturnValue:
    """Count everything posted so far as read."""
    service.mark_all_read(signed_in_account())
    flash(_l("Everything is marked as read."), "success")
    return redirect(url_for("forums.new_since"))


@bp.get("/search")
def search() -> ResponseReturnValue:
    """Search thread titles and posts (works for Japanese, two characters and up)."""
    query = request.args.get("q", "")
    results = service.search_forums(signed_in_account(), query) if query.strip() else None
    return render_template("forums/search.html", results=results, query=query)


# -- writing -------------------------------------------------------------------------------------


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@posting_limit
def new_thread(slug: str) -> ResponseReturnValue:
    """Start a thread (residents)."""
    form = ThreadForm()
    if request.method == "POST":
        try:
            created = service.start_thread(signed_in_account(), NewThread(slug, _text("title"), _text("body")))
        except InvalidForumInput as error:
            _form_error(form, error)
            category = service.thread_form(signed_in_account(), slug)
            return render_template("forums/thread_form.html", category=category, form=form), 422
        return redirect(url_for("forums.thread", thread_id=created.id))
    return render_template("forums/thread_form.html", category=service.thread_form(signed_in_account(), slug), form=form)


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@posting_limit
def reply(thread_id: int) -> ResponseReturnValue:
    """Reply to a thread (residents, while it is not locked)."""
    form = PostForm()
    if request.method == "POST":
        try:
            posted = service.reply(signed_in_account(), NewReply(thread_id, _text("body")))
        except InvalidForumInput as error:
            _form_error(form, error)
            return render_template("forums/reply_form.html", thread=service.reply_form(signed_in_account(), thread_id), form=form), 422
        return redirect(url_for("forums.post", post_id=posted.id))
    return render_template("forums/reply_form.html", thread=service.reply_form(signed_in_account(), thread_id), form=form)


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@posting_limit
def edit(post_id: int) -> ResponseReturnValue:
    """Edit one's own post within the edit window."""
    if request.method == "POST":
        form = PostForm()
        try:
            edited = service.edit_post(signed_in_account(), PostEdit(post_id, _text("body")))
        except InvalidForumInput as error:
            _form_error(form, error)
            return render_template("forums/edit_form.html", post=service.edit_form(signed_in_account(), post_id), form=form), 422
        return redirect(url_for("forums.post", post_id=edited.id))
    editing = service.edit_form(signed_in_account(), post_id)
    return render_template("forums/edit_form.html", post=editing, form=PostForm(body=editing.body_source))


@bp.post("/p/<int:post_id>/delete")
def delete(post_id: int) -> ResponseReturnValue:
    """Delete one's own post (it stays as "deleted by the author")."""
    deleted = service.delete_post(signed_in_account(), post_id)
    flash(_l("Your post was deleted."), "success")
    return redirect(url_for("forums.post", post_id=deleted.id))


@bp.route("/p/<int:post_id>/report", methods=["GET", "POST"])
@reporting_limit
def report(post_id: int) -> ResponseReturnValue:
    """Report a post to the moderators with a reason (residents)."""
    form = ReasonForm()
    if request.method == "POST":
        try:
            service.report_post(signed_in_account(), PostReport(post_id, _text("reason")))
        except InvalidForumInput as error:
            _form_error(form, error)
            return render_template("forums/report_form.html", post=service.report_form(signed_in_account(), post_id), form=form), 422
        flash(_l("Thank you. The moderators will look at the post."), "success")
        return redirect(url_for("forums.post", post_id=post_id))
    return render_template("forums/report_form.html", post=service.report_form(signed_in_account(), post_id), form=form)


# -- moderation ----------------------------------------------------------------------------------


@bp.post("/p/<int:post_id>/hide")
def hide(post_id: int) -> ResponseReturnValue:
    """Hide a post with a reason (moderators)."""
    hidden = service.hide_post(signed_in_account(), post_id, _text("reason"))
    flash(_l("The post is hidden."), "success")
    return redirect(url_for("forums.post", post_id=hidden.id))


@bp.post("/p/<int:post_id>/unhide")
def unhide(post_id: int) -> ResponseReturnValue:
    """Show a hidden post again (moderators)."""
    shown = service.unhide_post(signed_in_account(), post_id)
    flash(_l("The post is shown again."), "success")
    return redirect(url_for("forums.post", post_id=shown.id))


#: URL action -> (thread flag, value, message).
THREAD_ACTIONS = {
    "lock": ("locked", True, _l("The thread is locked.")),
    "unlock": ("locked", False, _l("The thread is open again.")),
    "pin": ("pinned", True, _l("The thread is pinned.")),
    "unpin": ("pinned", False, _l("The thread is no longer pinned.")),
}


@bp.post("/t/<int:thread_id>/<any(lock, unlock, pin, unpin):action>")
def thread_action(thread_id: int, action: str) -> ResponseReturnValue:
    """Lock, unlock, pin or unpin a thread (moderators)."""
    flag, value, message = THREAD_ACTIONS[action]
    service.set_thread_flag(signed_in_account(), thread_id, flag, value)
    flash(message, "success")
    return redirect(url_for("forums.thread", thread_id=thread_id))


@bp.route("/t/<int:thread_id>/move", methods=["GET", "POST"])
def move(thread_id: int) -> ResponseReturnValue:
    """Move a thread to another category (moderators)."""
    if request.method == "POST":
        moved = service.move_thread(signed_in_account(), thread_id, form_int("category_id", 0, minimum=0, maximum=MAX_ROW_ID))
        flash(_l("The thread was moved."), "success")
        return redirect(url_for("forums.thread", thread_id=moved.id))
    moving, categories = service.move_form(signed_in_account(), thread_id)
    form = MoveForm(category_id=moving.category_id)
    form.category_id.choices = [SelectChoice(str(category.id), category.name(_locale())) for category in categories]
    return render_template("forums/move_form.html", thread=moving, form=form)


@bp.get("/moderation/reports")
def reports() -> ResponseReturnValue:
    """Show the open reports, oldest first (moderators)."""
    return render_template("forums/reports.html", entries=service.report_queue(signed_in_account()), form=ResolveForm())


@bp.post("/moderation/reports/<int:report_id>/resolve")
def resolve(report_id: int) -> ResponseReturnValue:
    """Dismiss a report or hide the reported post (moderators)."""
    service.resolve_report(signed_in_account(), ReportResolution(report_id, _text("outcome"), _text("note")))
    flash(_l("The report is resolved."), "success")
    return redirect(url_for("forums.reports"))


# -- categories (admins) -------------------------------------------------------------------------


def _category_input() -> CategoryInput:
    try:
        position = form_int("position", 0, minimum=POSITION_MIN, maximum=POSITION_MAX)
    except InvalidInput as refusal:
        raise InvalidForumInput(refusal.message, "position") from None
    return CategoryInput(
        slug=_text("slug"),
        name_ja=_text("name_ja"),
        name_en=_text("name_en"),
        description_ja=_text("description_ja"),
        description_en=_text("description_en"),
        position=position,
        visibility=_text("visibility"),
    )


@bp.get("/admin/categories")
def admin_categories() -> ResponseReturnValue:
    """List the categories for admins."""
    return render_template("forums/admin_categories.html", categories=service.admin_categories(signed_in_account()))


@bp.route("/admin/categories/new", methods=["GET", "POST"])
def admin_new_category() -> ResponseReturnValue:
    """Create a category (admins)."""
    if request.method == "POST":
        form = CategoryForm()
        try:
            service.create_category(signed_in_account(), _category_input())
        except InvalidForumInput as error:
            _form_error(form, error)
            return render_template("forums/category_form.html", form=form, category=None), 422
        flash(_l("The category was created."), "success")
        return redirect(url_for("forums.admin_categories"))
    service.admin_categories(signed_in_account())
    return render_template("forums/category_form.html", form=CategoryForm(), category=None)


@bp.route("/admin/categories/<int:category_id>/edit", methods=["GET", "POST"])
def admin_edit_category(category_id: int) -> ResponseReturnValue:
    """Change a category (admins)."""
    if request.method == "POST":
        form = CategoryForm()
        try:
            service.update_category(signed_in_account(), category_id, _category_input())
        except InvalidForumInput as error:
            _form_error(form, error)
            return render_template("forums/category_form.html", form=form, category=service.category_for_edit(signed_in_account(), category_id)), 422
        flash(_l("The category was saved."), "success")
        return redirect(url_for("forums.admin_categories"))
    editing = service.category_for_edit(signed_in_account(), category_id)
    return render_template("forums/category_form.html", form=CategoryForm(obj=editing), category=editing)


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ja")
