"""Forum forms. Flask-WTF adds the CSRF token; the service does the real validation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.inputs import BoundedIntegerField, PlainText, SingleLine

from community.forums.models import PUBLIC, REPORT_DISMISSED, REPORT_POST_HIDDEN, RESIDENTS_ONLY
from community.forums.service import BODY_MAX, REASON_MAX, TITLE_MAX

#: Category order numbers.
POSITION_MIN, POSITION_MAX = -1000, 1000


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX), SingleLine()])
    body = TextAreaField(_l("Post"), validators=[DataRequired(), Length(max=BODY_MAX), PlainText()])


class PostForm(FlaskForm):
    body = TextAreaField(_l("Post"), validators=[DataRequired(), Length(max=BODY_MAX), PlainText()])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX), SingleLine()])


class ResolveForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=[SelectChoice(REPORT_DISMISSED, _l("Dismiss the report")), SelectChoice(REPORT_POST_HIDDEN, _l("Hide the post"))], validators=[InputRequired()])
    note = StringField(_l("Note (shown as the reason when the post is hidden)"), validators=[Optional(), Length(max=REASON_MAX), SingleLine()])


class MoveForm(FlaskForm):
    category_id = SelectField(_l("Move to"), coerce=int, validators=[InputRequired()])


class CategoryForm(FlaskForm):
    slug = StringField(_l("Address name (for the URL)"), validators=[DataRequired(), Length(max=64), SingleLine()])
    name_ja = StringField(_l("Name in Japanese"), validators=[DataRequired(), Length(max=120), SingleLine()])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120), SingleLine()])
    description_ja = TextAreaField(_l("Description in Japanese"), validators=[Optional(), Length(max=2000), PlainText()])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000), PlainText()])
    position = BoundedIntegerField(_l("Order (smallest first)"), default=0, minimum=POSITION_MIN, maximum=POSITION_MAX, validators=[InputRequired()])
    visibility = SelectField(
        _l("Who can read it"),
        choices=[SelectChoice(RESIDENTS_ONLY, _l("Residents only")), SelectChoice(PUBLIC, _l("Everyone (posting stays residents only)"))],
        default=RESIDENTS_ONLY,
    )
