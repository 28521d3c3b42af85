"""The organizers' RSVP list as CSV for Excel: UTF-8 with a BOM, CRLF rows, Japan time."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from community.meetups.display import TOKYO
from community.meetups.models import GOING, NOT_GOING, WAITLISTED
from community.meetups.service import RsvpList

#: A cell starting with one of these is a formula to Excel; such names get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    text = text or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _status_label(status: str) -> str:
    return {GOING: _("Going"), WAITLISTED: _("Waitlisted"), NOT_GOING: _("Not going")}[status]


def _tokyo(at: object) -> str:
    return at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S") if at else ""  # type: ignore[attr-defined]


def rsvps_csv(listing: RsvpList) -> bytes:
    """Write the RSVP list: resident number, display name, status, RSVP time (JST), seat given (JST)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Resident number"), _("Display name"), _("Status"), _("RSVP time (JST)"), _("Seat from waitlist (JST)")])
    for row in listing.rows:
        number = "" if row.resident_number is None else str(row.resident_number)
        writer.writerow([number, _cell(row.display_name), _status_label(row.status), _tokyo(row.responded_at), _tokyo(row.promoted_at)])
    return buffer.getvalue().encode("utf-8-sig")
