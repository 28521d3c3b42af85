"""Forum forms. Flask-WTF adds the CSRF token; the service does the real validation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from community.forums.models import PUBLIC, REPORT_DISMISSED, REPORT_POST_HIDDEN, RESIDENTS_ONLY
from community.forums.service import BODY_MAX, REASON_MAX, TITLE_MAX


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Post"), validators=[DataRequired(), Length(max=BODY_MAX)])


class PostForm(FlaskForm):
    body = TextAreaField(_l("Post"), validators=[DataRequired(), Length(max=BODY_MAX)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])


class ResolveForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=[SelectChoice(REPORT_DISMISSED, _l("Dismiss the report")), SelectChoice(REPORT_POST_HIDDEN, _l("Hide the post"))], validators=[InputRequired()])
    note = StringField(_l("Note (shown as the reason when the post is hidden)"), validators=[Optional(), Length(max=REASON_MAX)])


class MoveForm(FlaskForm):
    category_id = SelectField(_l("Move to"), coerce=int, validators=[InputRequired()])


class CategoryForm(FlaskForm):
    slug = StringField(_l("Address name (for the URL)"), validators=[DataRequired(), Length(max=64)])
    name_ja = StringField(_l("Name in Japanese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    description_ja = TextAreaField(_l("Description in Japanese"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Order (smallest first)"), default=0, validators=[InputRequired(), NumberRange(min=-1000, max=1000)])
    visibility = SelectField(
        _l("Who can read it"),
        choices=[SelectChoice(RESIDENTS_ONLY, _l("Residents only")), SelectChoice(PUBLIC, _l("Everyone (posting stays residents only)"))],
        default=RESIDENTS_ONLY,
    )
