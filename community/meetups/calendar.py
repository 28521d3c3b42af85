"""iCalendar (RFC 5545) files for meetups, built with the `icalendar` library.

Times are written in Asia/Tokyo with TZID and a VTIMEZONE (so calendars show the town's time even
on a phone set to another zone). No METHOD is sent, so DTSTAMP is the meetup's last revision by
the town office (RFC 5545 3.8.7.2), which keeps the file stable between downloads. SEQUENCE is the
meetup's edit counter, UID is fixed per meetup and site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from app.timeutil import TOKYO
from community.meetups.models import Meetup

PRODID = "-//Nishikawa-machi//Digital Residents meetups//EN"
PLATFORM_NAMES = {"cluster": "cluster", "vrchat": "VRChat", "spatial": "Spatial"}


def platform_name(platform: str) -> str:
    """Name a platform for people; "other" in their language."""
    return PLATFORM_NAMES.get(platform) or _("Another platform (see the meetup page)")


@dataclass(frozen=True)
class CalendarSite:
    """Where the calendar points back to."""

    #: Public base URL of the site, e.g. https://residents.example.jp (no trailing slash).
    site_url: str
    #: Builds the absolute URL of a meetup's page.
    page_url: Callable[[Meetup], str]
    #: mailto: address for ORGANIZER; without one the meetups page URL is the organizer's address.
    organizer_email: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.site_url).hostname or "localhost"


@dataclass(frozen=True)
class CalendarEntry:
    """One meetup to write, with what this reader may see of it."""

    meetup: Meetup
    with_join_url: bool
    with_details: bool


def meetup_uid(meetup: Meetup, site: CalendarSite) -> str:
    """Return the meetup's UID: the same in every file and feed, for as long as the site's host stays."""
    return f"meetup-{meetup.id}@{site.host}"


def _organizer(site: CalendarSite) -> vCalAddress:
    address = vCalAddress(f"mailto:{site.organizer_email}" if site.organizer_email else f"{site.site_url}/meetups")
    address.params["CN"] = vText(_("Nishikawa Town Office"))
    return address


def _description(entry: CalendarEntry, locale: str, page: str) -> str:
    if entry.with_details:
        text = entry.meetup.description(locale)
        return f"{text}\n\n{page}" if text else page
    return _("Details are for digital residents: %(url)s", url=page)


def meetup_event(entry: CalendarEntry, site: CalendarSite, locale: str) -> Event:
    """Build one VEVENT: the join link as LOCATION and URL only for residents who are going."""
    meetup = entry.meetup
    page = site.page_url(meetup)
    event = Event()
    event.add("uid", meetup_uid(meetup, site))
    event.add("dtstamp", meetup.updated_at)
    event.add("created", meetup.created_at)
    event.add("last-modified", meetup.updated_at)
    event.add("sequence", meetup.sequence)
    event.add("dtstart", meetup.starts_at.astimezone(TOKYO))
    event.add("dtend", meetup.ends_at.astimezone(TOKYO))
    event.add("summary", meetup.title(locale))
    event.add("description", _description(entry, locale, page))
    if entry.with_join_url:
        event.add("location", meetup.join_url)
        event.add("url", meetup.join_url)
    else:
        event.add("location", platform_name(meetup.platform))
        event.add("url", page)
    event.add("organizer", _organizer(site))
    event.add("status", "CANCELLED" if meetup.is_cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if meetup.is_cancelled else "OPAQUE")
    return event


def build_calendar(entries: Iterable[CalendarEntry], site: CalendarSite, locale: str, *, feed_name: str | None = None) -> bytes:
    """Return a VCALENDAR with a VTIMEZONE for Asia/Tokyo and one VEVENT per entry."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if feed_name is not None:
        # RFC 7986 NAME and REFRESH-INTERVAL, plus the X-WR names older clients read.
        calendar.add("name", feed_name)
        calendar.add("x-wr-calname", feed_name)
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    entries = list(entries)
    last_day = max([date(2038, 1, 1)] + [entry.meetup.ends_at.date() + timedelta(days=366) for entry in entries])
    # Always present, so even a feed with no meetups yet holds one component, as RFC 5545 requires.
    calendar.add_component(Timezone.from_tzid(TOKYO.key, first_date=date(1970, 1, 1), last_date=last_day))
    for entry in entries:
        calendar.add_component(meetup_event(entry, site, locale))
    return calendar.to_ical()
