"""The organizers' RSVP list as CSV for Excel: UTF-8 with a BOM, CRLF rows, Japan time."""

from __future__ import annotations

from flask_babel import gettext as _

from app.spreadsheet import csv_file
from app.timeutil import TOKYO
from community.meetups.models import GOING, NOT_GOING, WAITLISTED
from community.meetups.service import RsvpList

def _status_label(status: str) -> str:
    return {GOING: _("Going"), WAITLISTED: _("Waitlisted"), NOT_GOING: _("Not going")}[status]


def _tokyo(at: object) -> str:
    return at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S") if at else ""  # type: ignore[attr-defined]


def rsvps_csv(listing: RsvpList) -> bytes:
    """Write the RSVP list: resident number, display name, status, RSVP time (JST), seat given (JST)."""
    header = [_("Resident number"), _("Display name"), _("Status"), _("RSVP time (JST)"), _("Seat from waitlist (JST)")]
    rows = ([row.resident_number, row.display_name, _status_label(row.status), _tokyo(row.responded_at), _tokyo(row.promoted_at)] for row in listing.rows)
    return csv_file(header, rows)
