from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from app.auth.models import ORGANIZER
from app.errors import render_error
from app.extensions import limiter
from app.security import rate_limit_key
from community.gating.access import resident_required, role_required, signed_in_account
from community.meetups import service
from community.meetups.calendar import CalendarEntry, CalendarSite, build_calendar, platform_name
from community.meetups.errors import MeetupError
from community.meetups.export import rsvps_csv
from community.meetups.forms import ConfirmForm, MeetupForm, RsvpForm
from community.meetups.models import GOING, NOT_GOING, WAITLISTED, Meetup
from community.meetups.reminders import send_due_reminders

bp = Blueprint("meetups", __name__, template_folder="templates", url_prefix="/meetups")

#: Posting limits, per signed-in wallet (many residents may share one town Wi-Fi address).
POSTING_LIMIT = "30 per minute"
FEED_LIMIT = "120 per minute"


def _locale() -> str:
    return str(get_locale() or "ja")


@bp.context_processor
def meetup_helpers() -> dict[str, object]:
    locale = _locale()
    return {
        "platform_name": platform_name,
        "locale": locale,
        "GOING": GOING,
        "WAITLISTED": WAITLISTED,
        "NOT_GOING": NOT_GOING,
    }


@bp.errorhandler(MeetupError)
def meetup_refused(error: MeetupError) -> ResponseReturnValue:
    return render_error(error.status, str(error))


@bp.before_app_request
def remind_signed_in_resident() -> None:
    """Make the signed-in person's due meetup reminders before a page is shown (cheap when none are due)."""
    if request.method != "GET" or request.endpoint in (None, "static", "meetups.feed"):
        return
    account = signed_in_account()
    if account is not None:
        send_due_reminders(account_id=account.id)


# -- everyone --------------------------------------------------------------------------------


@bp.get("")
def index() -> ResponseReturnValue:
    """List upcoming meetups, soonest first, then recent ones."""
    listing = service.meetup_listing(signed_in_account())
    return render_template("meetups/index.html", listing=listing, feed_form=ConfirmForm())


@bp.get("/<int:meetup_id>")
def detail(meetup_id: int) -> ResponseReturnValue:
    """Show one meetup: its time for everyone, details and RSVP for residents, the join link once going."""
    page = service.meetup_page(signed_in_account(), meetup_id)
    return render_template("meetups/detail.html", page=page, rsvp_form=RsvpForm(), cancel_form=ConfirmForm())


def _calendar_site() -> CalendarSite:
    site_url = current_app.config["SITE_URL"]
    return CalendarSite(
        site_url=site_url,
        page_url=lambda meetup: site_url + url_for("meetups.detail", meetup_id=meetup.id),
        organizer_email=current_app.config.get("MEETUPS_ORGANIZER_EMAIL"),
    )


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # What is inside depends on who asks (the join link), so no shared cache may keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:meetup_id>/calendar.ics")
def meetup_ics(meetup_id: int) -> ResponseReturnValue:
    """Download one meetup as an iCalendar file."""
    found = service.meetup_calendar(signed_in_account(), meetup_id)
    entry = CalendarEntry(found.meetup, found.with_join_url, found.with_details)
    return _calendar_response(build_calendar([entry], _calendar_site(), _locale()), f"meetup-{meetup_id}.ics")


@bp.get("/calendar/<token>.ics")
@limiter.limit(FEED_LIMIT)
def feed(token: str) -> ResponseReturnValue:
    """Serve a resident's private calendar feed of the meetups they are going to."""
    content = service.calendar_feed(token)
    locale = content.account.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    entries = [CalendarEntry(meetup, with_join_url=not meetup.is_cancelled, with_details=True) for meetup in content.meetups]
    with force_locale(locale):
        body = build_calendar(entries, _calendar_site(), locale, feed_name=_("Nishikawa metaverse meetups"))
    response = _calendar_response(body, "nishikawa-meetups.ics")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# -- residents -------------------------------------------------------------------------------


@bp.post("/<int:meetup_id>/rsvp")
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key)
@resident_required
def rsvp(meetup_id: int) -> ResponseReturnValue:
    """Answer going or not going; a full meetup puts the resident on its waitlist."""
    form = RsvpForm()
    if not form.validate_on_submit():
        flash(" ".join(form.answer.errors) or _("Choose “going” or “not going”."), "error")
        return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)
    try:
        outcome = service.respond(signed_in_account(), meetup_id, form.answer.data)
    except MeetupError as refusal:
        if refusal.status == 404:
            raise
        # respond() refuses before it writes anything, so the redirect commits nothing.
        flash(str(refusal), "error")
        return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)
    flash(_rsvp_message(outcome), "success")
    return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)


def _rsvp_message(outcome: service.RsvpOutcome) -> str:
    status = outcome.rsvp.status
    if status == GOING:
        return _("You are going. The join link is below.") if outcome.changed else _("You are already going.")
    if status == WAITLISTED:
        return _("The meetup is full: you are on the waitlist and get a seat automatically when one frees up.") if outcome.changed else _("You are already on the waitlist.")
    return _("Noted: you are not going.")


@bp.post("/calendar-feed")
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key)
@resident_required
def issue_feed() -> ResponseReturnValue:
    """Make a new private calendar address; any older one stops working."""
    if ConfirmForm().validate_on_submit():
        service.issue_calendar_feed(signed_in_account())
        flash(_("Your private calendar address is ready. Add it to your calendar app; keep it to yourself."), "success")
    return redirect(url_for("meetups.index", _anchor="calendar-feed"), code=303)


@bp.post("/calendar-feed/revoke")
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key)
def revoke_feed() -> ResponseReturnValue:
    """Turn the private calendar address off."""
    if ConfirmForm().validate_on_submit() and service.revoke_calendar_feed(signed_in_account()):
        flash(_("Your private calendar address was turned off."), "success")
    return redirect(url_for("meetups.index", _anchor="calendar-feed"), code=303)


# -- organizers ------------------------------------------------------------------------------


def _form_refused(form: MeetupForm, refusal: MeetupError, template_values: dict[str, object]) -> ResponseReturnValue:
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, str(refusal)]
    else:
        form.form_errors.append(str(refusal))
    # 422: the unit of work rolls back, so a refused form records nothing.
    return render_template("meetups/form.html", form=form, **template_values), 422


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key, methods=["POST"])
@role_required(ORGANIZER)
def create() -> ResponseReturnValue:
    """Schedule a new meetup."""
    form = MeetupForm()
    values: dict[str, object] = {"meetup": None}
    if not form.validate_on_submit():
        return render_template("meetups/form.html", form=form, **values), (422 if form.is_submitted() else 200)
    try:
        meetup = service.create_meetup(signed_in_account(), form.to_draft())
    except MeetupError as refusal:
        return _form_refused(form, refusal, values)
    flash(_("The meetup was scheduled."), "success")
    return redirect(url_for("meetups.detail", meetup_id=meetup.id), code=303)


@bp.route("/<int:meetup_id>/edit", methods=["GET", "POST"])
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key, methods=["POST"])
@role_required(ORGANIZER)
def edit(meetup_id: int) -> ResponseReturnValue:
    """Change a meetup that has not started yet."""
    form = MeetupForm()
    if not form.is_submitted():
        meetup: Meetup = service.meetup_for_editing(signed_in_account(), meetup_id)
        form.fill_from(meetup)
        return render_template("meetups/form.html", form=form, meetup=meetup)
    values: dict[str, object] = {"meetup": {"id": meetup_id}}
    if not form.validate():
        return render_template("meetups/form.html", form=form, **values), 422
    try:
        service.edit_meetup(signed_in_account(), meetup_id, form.to_draft())
    except MeetupError as refusal:
        if refusal.status == 404:
            raise
        return _form_refused(form, refusal, values)
    flash(_("The meetup was updated. Residents who are going see the change in their calendars."), "success")
    return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)


@bp.post("/<int:meetup_id>/cancel")
@limiter.limit(POSTING_LIMIT, key_func=rate_limit_key)
@role_required(ORGANIZER)
def cancel(meetup_id: int) -> ResponseReturnValue:
    """Call a meetup off; residents who answered are told."""
    if not ConfirmForm().validate_on_submit():
        return render_error(400)
    try:
        service.cancel_meetup(signed_in_account(), meetup_id)
    except MeetupError as refusal:
        if refusal.status == 404:
            raise
        # cancel_meetup() refuses before it writes anything.
        flash(str(refusal), "error")
        return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)
    flash(_("The meetup was cancelled. Residents who answered were told."), "success")
    return redirect(url_for("meetups.detail", meetup_id=meetup_id), code=303)


@bp.get("/<int:meetup_id>/rsvps")
@role_required(ORGANIZER)
def rsvps(meetup_id: int) -> ResponseReturnValue:
    """Show who is going, the waitlist in order, and who is not going."""
    listing = service.rsvp_list(signed_in_account(), meetup_id)
    return render_template("meetups/rsvps.html", listing=listing)


@bp.get("/<int:meetup_id>/rsvps.csv")
@role_required(ORGANIZER)
def rsvps_export(meetup_id: int) -> ResponseReturnValue:
    """Download the RSVP list as CSV (UTF-8 with BOM, so Excel reads Japanese names)."""
    listing = service.export_rsvps(signed_in_account(), meetup_id)
    response = Response(rsvps_csv(listing), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="meetup-{meetup_id}-rsvps.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
