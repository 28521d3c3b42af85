from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.inputs import INT32_MIN, BoundedDateField, BoundedIntegerField, FiniteDecimalField, PlainText, SingleLine
from app.timeutil import TOKYO
from community.exchange.service import EventDraft


def tokyo_moment(day: date, clock: time) -> datetime:
    """Return the aware moment of a date and time entered in Japan time."""
    return datetime.combine(day, clock, tzinfo=TOKYO)


class EventForm(FlaskForm):
    """An exchange event as the organizer enters it; dates and times are Japan time."""

    title_ja = StringField(_l("Title (Japanese)"), validators=[DataRequired(), Length(max=120), SingleLine()])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=120), SingleLine()])
    description_ja = TextAreaField(_l("Description (Japanese)"), validators=[Length(max=5000), PlainText()])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000), PlainText()])
    start_date = BoundedDateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at (JST)"), validators=[InputRequired()])
    end_date = BoundedDateField(_l("End date"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at (JST)"), validators=[InputRequired()])
    deadline_date = BoundedDateField(_l("Registration deadline: date"), validators=[InputRequired()])
    deadline_time = TimeField(_l("Registration deadline: time (JST)"), validators=[InputRequired()])
    place_name = StringField(_l("Place"), validators=[DataRequired(), Length(max=120), SingleLine()])
    place_address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200), SingleLine()])
    latitude = FiniteDecimalField(_l("Latitude"), places=7, minimum=Decimal(-90), maximum=Decimal(90), validators=[Optional()])
    longitude = FiniteDecimalField(_l("Longitude"), places=7, minimum=Decimal(-180), maximum=Decimal(180), validators=[Optional()])
    capacity = BoundedIntegerField(_l("Capacity (people)"), minimum=INT32_MIN, validators=[InputRequired()])
    walk_ins = BooleanField(
        _l("Admit walk-ins"),
        description=_l("Residents who did not register may check in at the door while places are free."),
    )

    def to_draft(self) -> EventDraft:
        return EventDraft(
            title_ja=self.title_ja.data or "",
            title_en=self.title_en.data or "",
            description_ja=self.description_ja.data or "",
            description_en=self.description_en.data or "",
            starts_at=tokyo_moment(self.start_date.data, self.start_time.data),  # type: ignore[arg-type]
            ends_at=tokyo_moment(self.end_date.data, self.end_time.data),  # type: ignore[arg-type]
            registration_deadline=tokyo_moment(self.deadline_date.data, self.deadline_time.data),  # type: ignore[arg-type]
            place_name=self.place_name.data or "",
            place_address=self.place_address.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            capacity=int(self.capacity.data or 0),
            walk_ins=bool(self.walk_ins.data),
        )

    def fill_from(self, event: object) -> None:
        """Pre-fill the form from an event, converting its UTC times to Japan time."""
        for name in ("title_ja", "title_en", "description_ja", "description_en", "place_name", "place_address", "latitude", "longitude", "capacity", "walk_ins"):
            getattr(self, name).data = getattr(event, name)
        for prefix, attribute in (("start", "starts_at"), ("end", "ends_at"), ("deadline", "registration_deadline")):
            local = getattr(event, attribute).astimezone(TOKYO)
            getattr(self, f"{prefix}_date").data = local.date()
            getattr(self, f"{prefix}_time").data = local.time().replace(second=0, microsecond=0)


class PassScanForm(FlaskForm):
    """What the staff scanner (or a person pasting) sends: the pass token from the QR code."""

    token = TextAreaField(_l("Pass code"), validators=[DataRequired(), Length(max=2000), SingleLine()])
