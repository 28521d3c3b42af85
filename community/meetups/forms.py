from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional

from app.inputs import INT32_MIN, BoundedDateTimeLocalField, BoundedIntegerField, PlainText, SingleLine
from app.timeutil import TOKYO
from community.meetups.models import GOING, NOT_GOING, Meetup
from community.meetups.service import MeetupDraft

#: What <input type="datetime-local"> sends (seconds are not asked for).
LOCAL_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
PLATFORM_CHOICES = [SelectChoice("cluster", "cluster"), SelectChoice("vrchat", "VRChat"), SelectChoice("spatial", "Spatial"), SelectChoice("other", _l("Other"))]


def tokyo_to_utc(value: datetime) -> datetime:
    """Read a form's wall-clock time as Asia/Tokyo (no daylight saving, so never ambiguous)."""
    return value.replace(tzinfo=TOKYO).astimezone(UTC)


class MeetupForm(FlaskForm):
    """Schedule or change a meetup; times are typed in Japan time (JST). Business rules live in the service."""

    title_ja = StringField(_l("Title (Japanese)"), validators=[InputRequired(_l("Enter a title in Japanese.")), SingleLine()])
    title_en = StringField(_l("Title (English)"), validators=[InputRequired(_l("Enter a title in English.")), SingleLine()])
    description_ja = TextAreaField(_l("Description (Japanese)"), validators=[Optional(), PlainText()])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), PlainText()])
    starts_at = BoundedDateTimeLocalField(_l("Starts (JST)"), format=LOCAL_FORMAT, validators=[InputRequired(_l("Enter the date and time it starts."))])
    ends_at = BoundedDateTimeLocalField(_l("Ends (JST)"), format=LOCAL_FORMAT, validators=[InputRequired(_l("Enter the date and time it ends."))])
    platform = SelectField(_l("Platform"), choices=PLATFORM_CHOICES, validators=[InputRequired(_l("Choose a platform from the list."))])
    join_url = URLField(_l("Join link (https://…)"), validators=[InputRequired(_l("Enter the join link.")), SingleLine()])
    capacity = BoundedIntegerField(_l("Capacity"), minimum=INT32_MIN, validators=[InputRequired(_l("Enter the number of seats."))])
    rsvp_deadline = BoundedDateTimeLocalField(_l("RSVP deadline (JST, empty = until it starts)"), format=LOCAL_FORMAT, validators=[Optional()])

    def fill_from(self, meetup: Meetup) -> None:
        """Pre-fill the form from a meetup, in Japan time."""
        for name in ("title_ja", "title_en", "description_ja", "description_en", "platform", "join_url", "capacity"):
            getattr(self, name).data = getattr(meetup, name)
        for name in ("starts_at", "ends_at", "rsvp_deadline"):
            getattr(self, name).data = getattr(meetup, name).astimezone(TOKYO).replace(tzinfo=None)

    def to_draft(self) -> MeetupDraft:
        """Return the typed values for the service, times in UTC."""
        return MeetupDraft(
            title_ja=self.title_ja.data or "",
            title_en=self.title_en.data or "",
            description_ja=self.description_ja.data or "",
            description_en=self.description_en.data or "",
            starts_at=tokyo_to_utc(self.starts_at.data),
            ends_at=tokyo_to_utc(self.ends_at.data),
            platform=self.platform.data,
            join_url=self.join_url.data or "",
            capacity=self.capacity.data,
            rsvp_deadline=tokyo_to_utc(self.rsvp_deadline.data) if self.rsvp_deadline.data else None,
        )


class RsvpForm(FlaskForm):
    answer = HiddenField(validators=[AnyOf([GOING, NOT_GOING], message=_l("Choose “going” or “not going”."))])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (cancel a meetup, calendar feed on/off)."""

