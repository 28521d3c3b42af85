from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError

from app.inputs import SingleLine


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PrintableName(SingleLine):
    """One line of text, and stricter: no format or private-use character at all (not even a
    zero-width joiner), since any of them could disguise one name as another."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        for char in field.data or "":
            if unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}:
                raise ValidationError(_l("Use letters, numbers and punctuation only."))


class ProfileForm(FlaskForm):
    """The settings on my page: display name, public profile, language."""

    display_name = StringField(
        _l("Display name"),
        filters=[_strip],
        validators=[Optional(), Length(max=80, message=_l("Use at most 80 characters.")), PrintableName()],
        description=_l("Shown beside your posts. Leave empty to show only your resident number."),
    )
    profile_public = BooleanField(
        _l("Show my display name on my public resident profile"),
        description=_l("Anyone can open your profile by resident number. It never shows your wallet address."),
    )
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Same as my browser")),
            SelectChoice("ja", "日本語", render_kw={"lang": "ja"}),
            SelectChoice("en", "English", render_kw={"lang": "en"}),
        ],
    )
    submit = SubmitField(_l("Save settings"))
