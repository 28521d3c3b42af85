"""Pages of real-world exchange events. Each view parses input, calls one service function and
turns domain errors into messages in the visitor's language."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import segno
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.auth.models import ORGANIZER
from app.auth.siwe import MAX_SIGNATURE_BYTES
from app.extensions import limiter
from app.inputs import JsonInteger, JsonText, json_body
from app.timeutil import utcnow
from community.exchange import attendance as records
from community.exchange import opendata, service
from community.exchange.forms import EventForm, PassScanForm
from community.exchange.models import REGISTERED, SCHEDULED, WAITLISTED
from community.gating.access import resident_required, role_required, signed_in_account

bp = Blueprint("exchange", __name__, template_folder="templates")

#: Session key of the kiosk code a resident opened the check-in page with (and when).
KIOSK_TICKET = "exchange_kiosk_ticket"
#: What the check-in script posts: the kiosk code it scanned, the signed issuedAt and the signature.
SIGNED_CHECK_IN = {
    "kioskCode": JsonText(max_length=66),
    "issuedAt": JsonInteger(minimum=0, maximum=service.MAX_ISSUED_AT),
    "signature": JsonText(max_length=2 + 2 * MAX_SIGNATURE_BYTES),
}


@bp.errorhandler(service.EventNotFound)
def event_not_found(error: service.EventNotFound) -> ResponseReturnValue:
    from app.errors import render_error

    return render_error(404, str(error))


def _settings() -> service.CheckInSettings:
    return service.CheckInSettings.from_app(current_app._get_current_object())  # type: ignore[attr-defined]


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ja")


def _svg(text: str) -> Response:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Listing and scheduling


@bp.get("/events")
def index() -> ResponseReturnValue:
    """List upcoming exchange events, then past ones."""
    upcoming, past = service.list_events()
    account = signed_in_account()
    return render_template("exchange/index.html", upcoming=upcoming, past=past, locale=_locale(), is_organizer=bool(account and account.has_role(ORGANIZER)))


@bp.get("/events/<int:event_id>")
def show(event_id: int) -> ResponseReturnValue:
    """Show one event, with the visitor's registration."""
    event = service.get_event(event_id)
    account = signed_in_account()
    registration = service.registration_of(account, event_id)
    position = service.waitlist_position(registration) if registration is not None and registration.status == WAITLISTED else None
    opens, closes = service.check_in_window(event)
    return render_template(
        "exchange/show.html",
        event=event,
        locale=_locale(),
        registration=registration,
        waitlist_position=position,
        check_in_opens=opens,
        now=utcnow(),
        is_organizer=bool(account and account.has_role(ORGANIZER)),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@role_required(ORGANIZER)
def create() -> ResponseReturnValue:
    """Schedule a new exchange event."""
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = service.create_event(signed_in_account(), form.to_draft())
        except service.InvalidEvent as error:
            _form_error(form, error)
        else:
            flash(_("The event was scheduled."), "success")
            return redirect(url_for("exchange.show", event_id=event.id))
    return render_template("exchange/form.html", form=form, event=None), 200 if request.method == "GET" or not form.errors else 422


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(ORGANIZER)
def edit(event_id: int) -> ResponseReturnValue:
    """Change an event that has not started."""
    event = service.get_event(event_id)
    form = EventForm()
    if request.method == "GET":
        form.fill_from(event)
    elif form.validate_on_submit():
        try:
            service.update_event(signed_in_account(), event_id, form.to_draft())
        except service.InvalidEvent as error:
            _form_error(form, error)
        else:
            flash(_("The event was updated."), "success")
            return redirect(url_for("exchange.show", event_id=event_id))
    return render_template("exchange/form.html", form=form, event=event), 200 if request.method == "GET" or not form.errors else 422


def _form_error(form: EventForm, error: service.InvalidEvent) -> None:
    fields = {"starts_at": "start_time", "ends_at": "end_time", "registration_deadline": "deadline_time"}
    name = fields.get(error.field or "", error.field or "")
    field = getattr(form, name, None)
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


@bp.post("/events/<int:event_id>/cancel")
@role_required(ORGANIZER)
def cancel(event_id: int) -> ResponseReturnValue:
    """Cancel an event."""
    try:
        service.cancel_event(signed_in_account(), event_id)
    except service.InvalidEvent as error:
        return _refused(event_id, error)
    flash(_("The event was cancelled."), "success")
    return redirect(url_for("exchange.show", event_id=event_id)), 303


# ---------------------------------------------------------------------------------------------
# Registration


@bp.post("/events/<int:event_id>/register")
@limiter.limit("20 per minute")
@resident_required
def register(event_id: int) -> ResponseReturnValue:
    """Take a place, or a place on the waitlist."""
    try:
        registration = service.register(signed_in_account(), event_id)
    except service.RegistrationRefused as error:
        return _refused(event_id, error)
    if registration.status == REGISTERED:
        flash(_("You are registered. See you there!"), "success")
    else:
        flash(_("The event is full, so you are on the waitlist. You will move up when a place frees."), "success")
    return _back_to_event(event_id)


@bp.post("/events/<int:event_id>/withdraw")
@limiter.limit("20 per minute")
@resident_required
def withdraw(event_id: int) -> ResponseReturnValue:
    """Give up a place."""
    try:
        service.withdraw(signed_in_account(), event_id)
    except service.RegistrationRefused as error:
        return _refused(event_id, error)
    flash(_("Your registration was withdrawn."), "success")
    return _back_to_event(event_id)


def _back_to_event(event_id: int) -> ResponseReturnValue:
    return redirect(url_for("exchange.show", event_id=event_id), code=303)


def _refused(event_id: int, error: service.ExchangeError, status: int = 409) -> ResponseReturnValue:
    """Show the event page with the reason. A status >= 400 makes the unit of work roll back,
    so a refused action leaves nothing behind."""
    flash(str(error), "error")
    return show(event_id), status


# ---------------------------------------------------------------------------------------------
# Check-in at the kiosk (wallet signature)


@bp.get("/events/<int:event_id>/kiosk")
@role_required(ORGANIZER)
def kiosk(event_id: int) -> ResponseReturnValue:
    """Show the rotating check-in QR code, for a screen at the venue."""
    event = service.get_event(event_id)
    opens, closes = service.check_in_window(event)
    return render_template("exchange/kiosk.html", event=event, locale=_locale(), opens=opens, closes=closes, now=utcnow())


@bp.get("/events/<int:event_id>/kiosk/code.svg")
@role_required(ORGANIZER)
def kiosk_qr(event_id: int) -> ResponseReturnValue:
    """Draw the current kiosk code as a QR code of the check-in URL."""
    try:
        code = service.current_kiosk_code(signed_in_account(), event_id, _settings())
    except service.CheckInRefused:
        abort(409)
    return _svg(url_for("exchange.check_in", event_id=event_id, code=code, _external=True))


@bp.get("/events/<int:event_id>/check-in")
@resident_required
def check_in(event_id: int) -> ResponseReturnValue:
    """Open the check-in page from a scanned kiosk code: shows what the wallet will sign."""
    event = service.get_event(event_id)
    try:
        invitation = service.open_kiosk_check_in(signed_in_account(), event_id, request.args.get("code", ""), _settings())
    except service.CheckInRefused as error:
        return render_template("exchange/check_in.html", event=event, locale=_locale(), error=str(error), typed_data=None), error.status
    session[KIOSK_TICKET] = {"event": event_id, "code": invitation.typed_data["message"]["kioskCode"], "opened_at": invitation.opened_at.timestamp()}
    return render_template("exchange/check_in.html", event=event, locale=_locale(), error=None, typed_data=invitation.typed_data)


@bp.post("/events/<int:event_id>/check-in")
@limiter.limit("30 per minute")
@resident_required
@json_body(SIGNED_CHECK_IN)
def check_in_submit(event_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    """Verify the wallet's EIP-712 signature and record the check-in (JSON in, JSON out)."""
    ticket = session.get(KIOSK_TICKET) or {}
    code = body["kioskCode"]
    opened_at = None
    if ticket.get("event") == event_id and ticket.get("code") == code:
        opened_at = datetime.fromtimestamp(float(ticket["opened_at"]), UTC)
    signed = service.KioskSignature(code, body["issuedAt"], body["signature"], opened_at)
    try:
        outcome = service.check_in_with_signature(signed_in_account(), event_id, signed, _settings())
    except service.CheckInRefused as error:
        return {"ok": False, "error": "check_in_refused", "message": str(error)}, error.status
    session.pop(KIOSK_TICKET, None)
    message = _("You had already checked in; nothing changed.") if outcome.already else _("You are checked in. Welcome!")
    return {"ok": True, "already": outcome.already, "message": message, "checkedInAt": outcome.check_in.checked_in_at.isoformat()}


# ---------------------------------------------------------------------------------------------
# Check-in with a pass scanned by staff


@bp.get("/events/<int:event_id>/pass")
@resident_required
def pass_page(event_id: int) -> ResponseReturnValue:
    """Show the resident's signed pass as a QR code for staff to scan."""
    event = service.get_event(event_id)
    try:
        issued = service.issue_pass(signed_in_account(), event_id, _settings())
    except service.CheckInRefused as error:
        return render_template("exchange/pass.html", event=event, locale=_locale(), error=str(error), issued=None), error.status
    return render_template("exchange/pass.html", event=event, locale=_locale(), error=None, issued=issued, residency=g.residency)


@bp.get("/events/<int:event_id>/pass.svg")
@resident_required
def pass_qr(event_id: int) -> ResponseReturnValue:
    """Draw the resident's pass as a QR code."""
    try:
        issued = service.issue_pass(signed_in_account(), event_id, _settings())
    except service.CheckInRefused:
        abort(409)
    return _svg(issued.token)


@bp.route("/events/<int:event_id>/scan", methods=["GET", "POST"])
@limiter.limit("120 per minute", methods=["POST"])
@role_required(ORGANIZER)
def scan(event_id: int) -> ResponseReturnValue:
    """Staff scanner: read a pass (camera or paste), check the resident in, then scan the next."""
    event = service.get_event(event_id)
    form = PassScanForm()
    result: dict[str, Any] | None = None
    status = 200
    if form.validate_on_submit():
        try:
            outcome = service.check_in_with_pass(signed_in_account(), event_id, form.token.data or "", _settings())
        except service.CheckInRefused as error:
            result, status = {"ok": False, "message": str(error)}, error.status
        else:
            number = outcome.check_in.resident_number
            text = (
                _("Resident No. %(number)s had already checked in; nothing changed.", number=number)
                if outcome.already
                else _("Resident No. %(number)s is checked in.", number=number)
            )
            result = {"ok": True, "already": outcome.already, "message": text}
        form.token.data = ""
    elif form.is_submitted():
        result, status = {"ok": False, "message": _("Scan a pass or paste its code first.")}, 422
    return render_template("exchange/scan.html", event=event, locale=_locale(), form=form, result=result), status


# ---------------------------------------------------------------------------------------------
# Attendance, closing, proofs


@bp.get("/events/<int:event_id>/attendance")
@role_required(ORGANIZER)
def attendance(event_id: int) -> ResponseReturnValue:
    """List who checked in, for staff."""
    event = service.get_event(event_id)
    check_ins = records.attendance_of(signed_in_account(), event_id)
    return render_template("exchange/attendance.html", event=event, locale=_locale(), check_ins=check_ins, can_close=event.status == SCHEDULED and utcnow() >= event.ends_at)


@bp.post("/events/<int:event_id>/close")
@role_required(ORGANIZER)
def close(event_id: int) -> ResponseReturnValue:
    """Close the event and anchor its attendance root on-chain."""
    try:
        outcome = records.close_event_on_chain(signed_in_account(), event_id, current_app._get_current_object())  # type: ignore[attr-defined]
    except (service.InvalidEvent, service.AnchorFailed) as error:
        flash(str(error), "error")
        return attendance(event_id), 409 if isinstance(error, service.InvalidEvent) else 502
    if outcome.already_closed:
        flash(_("This event was already closed."), "success")
    elif outcome.event.attendance_root is None:
        flash(_("The event is closed. Nobody checked in, so nothing was anchored."), "success")
    else:
        flash(_("The event is closed and its attendance is anchored on-chain."), "success")
    return redirect(url_for("exchange.attendance", event_id=event_id), code=303)


@bp.get("/events/<int:event_id>/proof.json")
@resident_required
def proof(event_id: int) -> ResponseReturnValue:
    """Download the signed-in attendee's Merkle proof of attendance."""
    try:
        document = records.attendance_proof(signed_in_account(), event_id)
    except service.ExchangeError as error:
        from app.errors import render_error

        return render_error(409 if error.status == 400 else error.status, str(error))
    response = Response(json.dumps(document, indent=2) + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="attendance-event-{event_id}.json"'
    return response


@bp.get("/my/attendance")
def my_attendance() -> ResponseReturnValue:
    """Show the signed-in person's attendance history."""
    check_ins = records.attendance_history(signed_in_account())
    return render_template("exchange/my_attendance.html", check_ins=check_ins, locale=_locale())


# ---------------------------------------------------------------------------------------------
# Open data


def _publisher() -> opendata.Publisher:
    config = current_app.config["SETTINGS"]
    return opendata.Publisher(config.LOCAL_GOVERNMENT_CODE, config.LOCAL_GOVERNMENT_PREFECTURE, config.LOCAL_GOVERNMENT_NAME, config.SITE_URL)


def _open_rows() -> list[dict[str, Any]]:
    upcoming, past = service.list_events()
    return opendata.rows([*upcoming, *past], records.attendance_counts(), _publisher())


@bp.get("/opendata")
def opendata_index() -> ResponseReturnValue:
    """List the open-data files and their licence."""
    return render_template("exchange/opendata.html", license=opendata.LICENSE, license_url=opendata.LICENSE_URL, columns=opendata.COLUMNS)


@bp.get("/opendata/exchange-events.csv")
def opendata_csv() -> ResponseReturnValue:
    """Exchange events in the standard event-list layout, UTF-8 with BOM."""
    response = Response(opendata.to_csv(_open_rows()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="exchange-events.csv"'
    return response


@bp.get("/opendata/exchange-events.json")
def opendata_json() -> ResponseReturnValue:
    """Exchange events as JSON, the same rows as the CSV."""
    return opendata.to_json(_open_rows(), _publisher(), utcnow())
