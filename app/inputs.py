"""The input layer: every value a request brings is checked here before a service sees it.

Views read query strings, form fields and JSON bodies through these functions and form fields,
so one set of rules holds everywhere:

- text carries no NUL or other control characters; one-line text (titles, names, links) no line
  breaks, bidi overrides or invisible characters either;
- integers fit the database's columns; decimals are finite and within their range;
- days and moments lie in years that the database and time-zone arithmetic can hold;
- JSON bodies are bounded in size and nesting depth (checked without recursion, whatever a
  library did to the interpreter's recursion limit) and are objects of a declared shape.

`register_input_guard` refuses control characters in the path, the query string and form fields
before any view runs, so a view that forgets a rule still cannot pass such a value on.
Refusals raise InvalidInput, a 400 whose message names the field and says what to send.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask import Flask, Request, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from wtforms import DateField, DateTimeLocalField, DecimalField, Field, IntegerField
from wtforms.validators import ValidationError

# -- the refusal ---------------------------------------------------------------------------------


class InvalidInput(BadRequest):
    """A value in the request breaks a rule of the input layer (400); the message says what to send."""

    def __init__(self, message: Any, field: str | None = None, error: str = "bad_request") -> None:
        super().__init__(description=str(message))
        #: The message, possibly a lazy translation (rendered in the reader's language).
        self.message = message
        #: The query, form or JSON field at fault, when there is one.
        self.field = field
        #: A stable code for scripts; JSON refusals carry it as "error".
        self.error = error

    def __str__(self) -> str:
        return str(self.message)


# -- text ----------------------------------------------------------------------------------------

#: C0 and C1 control characters except tab, line feed and carriage return (and DEL).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Every control character, tab and line breaks included: never in a path or a query string.
ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Characters that make text read differently from what it is: bidi overrides, embeddings,
#: isolates and marks, zero-width space, invisible operators, the BOM and the soft hyphen.
#: Zero-width (non-)joiners stay: emoji sequences and several scripts need them.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
#: Line and paragraph breaks, which one-line text must not hold.
LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")


def text_problem(value: str, *, single_line: bool) -> Any | None:
    """Say what is wrong with `value` as text (None when nothing is)."""
    if CONTROL.search(value):
        return _l("Remove the control characters (such as NUL) from the text.")
    if single_line:
        if LINE_BREAK.search(value):
            return _l("Write this on one line.")
        if INVISIBLE.search(value):
            return _l("Remove the invisible or direction-changing characters (such as U+202E) from the text.")
    return None


def clean_text(text: str) -> str:
    """Drop control characters and invisible formatting, and normalise line breaks to LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return INVISIBLE.sub("", CONTROL.sub("", text))


class SingleLine:
    """WTForms validator: one line of plain text (titles, names, places, links)."""

    def __call__(self, form: Any, field: Field) -> None:
        problem = text_problem(field.data or "", single_line=True)
        if problem is not None:
            raise ValidationError(str(problem))


class PlainText:
    """WTForms validator: text that may span lines but holds no control characters."""

    def __call__(self, form: Any, field: Field) -> None:
        problem = text_problem(field.data or "", single_line=False)
        if problem is not None:
            raise ValidationError(str(problem))


# -- numbers -------------------------------------------------------------------------------------

#: The range of the database's INTEGER columns (32-bit on PostgreSQL).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: The range of BIGINT columns.
INT64_MAX = 2**63 - 1
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,40}")
#: Plain decimal notation only: no exponent (1e400), no NaN or Infinity.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})")


def parse_int(raw: str, *, field: str, minimum: int = 0, maximum: int = INT32_MAX) -> int:
    """Read a whole number between `minimum` and `maximum`, or raise InvalidInput."""
    text = raw.strip()
    if not _INTEGER_TEXT.fullmatch(text):
        raise InvalidInput(_l("“%(field)s” must be a whole number.", field=field), field)
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(_l("“%(field)s” must be between %(minimum)s and %(maximum)s.", field=field, minimum=minimum, maximum=maximum), field)
    return value


def parse_decimal(raw: str, *, field: str, minimum: Decimal, maximum: Decimal) -> Decimal:
    """Read a finite decimal number (plain notation) between `minimum` and `maximum`."""
    text = raw.strip()
    if not _DECIMAL_TEXT.fullmatch(text):
        raise InvalidInput(_l("“%(field)s” must be a number such as 38.4312.", field=field), field)
    value = Decimal(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(_l("“%(field)s” must be between %(minimum)s and %(maximum)s.", field=field, minimum=minimum, maximum=maximum), field)
    return value


def query_int(name: str, default: int, *, minimum: int = 0, maximum: int = INT32_MAX) -> int:
    """Read an optional whole number from the query string (`default` when absent or empty)."""
    raw = request.args.get(name, "")
    return default if not raw.strip() else parse_int(raw, field=name, minimum=minimum, maximum=maximum)


def form_int(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = INT32_MAX) -> int:
    """Read a whole number from the posted form; absent or empty gives `default` (or a refusal)."""
    raw = request.form.get(name, "")
    if not raw.strip():
        if default is None:
            raise InvalidInput(_l("“%(field)s” is missing.", field=name), name)
        return default
    return parse_int(raw, field=name, minimum=minimum, maximum=maximum)


# -- days and moments ------------------------------------------------------------------------------

#: Days the site accepts: far enough from year 1 and 9999 that converting between Japan time and
#: UTC, adding a day, or taking a Unix timestamp can never leave Python's or the database's range.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def day_problem(value: date) -> Any | None:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        return _l("Choose a date between %(earliest)s and %(latest)s.", earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat())
    return None


def parse_day(raw: str, *, field: str) -> date:
    """Read a day written as 2026-12-05 within the accepted years, or raise InvalidInput."""
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_l("“%(value)s” is not a date. Use the date picker, or write it as 2026-12-05.", value=raw.strip()), field) from None
    if (problem := day_problem(value)) is not None:
        raise InvalidInput(problem, field)
    return value


# -- form fields ------------------------------------------------------------------------------------
#
# Every number and date field of every form is one of these (tests/unit/test_input_layer.py checks
# that each form of the site uses them), so no form can hand a service a value the database refuses.


class BoundedIntegerField(IntegerField):
    """A whole number within bounds (by default, what an INTEGER column holds)."""

    def __init__(self, label: Any = None, validators: Any = None, *, minimum: int = 0, maximum: int = INT32_MAX, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse_int(str(valuelist[0]), field=str(self.label.text), minimum=self.minimum, maximum=self.maximum)
        except InvalidInput as refusal:
            self.data = None
            raise ValueError(str(refusal)) from None


class FiniteDecimalField(DecimalField):
    """A finite decimal within bounds, rounded to `places` (NaN, Infinity and 1e400 are refused)."""

    def __init__(self, label: Any = None, validators: Any = None, *, minimum: Decimal, maximum: Decimal, places: int = 2, **kwargs: Any) -> None:
        super().__init__(label, validators, places=places, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            value = parse_decimal(str(valuelist[0]), field=str(self.label.text), minimum=self.minimum, maximum=self.maximum)
            self.data = value.quantize(Decimal(1).scaleb(-self.places or 0))
        except (InvalidInput, InvalidOperation) as refusal:
            self.data = None
            raise ValueError(str(refusal)) from None


class BoundedDateField(DateField):
    """A day within EARLIEST_DAY and LATEST_DAY."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, date) and (problem := day_problem(self.data)) is not None:
            self.data = None
            raise ValueError(str(problem))


class BoundedDateTimeLocalField(DateTimeLocalField):
    """A wall-clock moment (`<input type="datetime-local">`) on a day within the accepted years."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, datetime) and (problem := day_problem(self.data.date())) is not None:
            self.data = None
            raise ValueError(str(problem))


# -- JSON bodies --------------------------------------------------------------------------------------

#: The largest JSON body any endpoint takes; sign-in messages and signatures are far smaller.
MAX_JSON_BYTES = 64 * 1024
#: The deepest nesting any endpoint takes; every shape below is one level deep.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def _too_large() -> Any:
    return _l("The request body is too large (at most %(count)s bytes).", count=MAX_JSON_BYTES)


def json_body_problem(data: bytes) -> Any | None:
    """Say why a JSON body must not be parsed at all (too large, too deep), or None.

    The depth is counted by a loop over the brackets outside strings, not by recursion: with a
    raised recursion limit (py_ecc sets 100000) the C decoder's own guard would trip only after
    the C stack has overflowed.
    """
    if len(data) > MAX_JSON_BYTES:
        return _too_large()
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return None
    depth = 0
    for bracket in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', data)):
        depth += 1 if bracket in b"[{" else -1
        if depth > MAX_JSON_DEPTH:
            return _l("The request body is nested too deeply (at most %(count)s levels).", count=MAX_JSON_DEPTH)
    return None


class BoundedRequest(Request):
    """Flask's request, whose JSON body is checked for size and depth before it is parsed."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if force or self.is_json:
            # An announced length over the bound is refused without reading the body.
            too_long = self.content_length is not None and self.content_length > MAX_JSON_BYTES
            problem = _too_large() if too_long else json_body_problem(self.get_data(cache=True))
            if problem is not None:
                if silent:
                    return None
                raise InvalidInput(problem)
        return super().get_json(force=force, silent=silent, cache=cache)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise InvalidInput(_l("Send a JSON object (Content-Type: application/json)."))
        raise InvalidInput(_l("The request body is not valid JSON."))


@dataclass(frozen=True)
class JsonText:
    """A string member of at most `max_length` characters."""

    max_length: int
    required: bool = True
    single_line: bool = True


@dataclass(frozen=True)
class JsonInteger:
    """A whole-number member (a JSON number without fraction or exponent, never true/false)."""

    minimum: int
    maximum: int
    required: bool = True


JsonMember = JsonText | JsonInteger
JsonShape = Mapping[str, JsonMember]


def _member(name: str, spec: JsonMember, value: Any) -> Any:
    if isinstance(spec, JsonInteger):
        if not isinstance(value, int) or isinstance(value, bool) or not spec.minimum <= value <= spec.maximum:
            raise InvalidInput(_l("“%(field)s” must be a whole number between %(minimum)s and %(maximum)s.", field=name, minimum=spec.minimum, maximum=spec.maximum), name)
        return value
    if not isinstance(value, str):
        raise InvalidInput(_l("“%(field)s” must be text.", field=name), name)
    if len(value) > spec.max_length:
        raise InvalidInput(_l("“%(field)s” must be at most %(count)s characters.", field=name, count=spec.max_length), name)
    if (problem := text_problem(value, single_line=spec.single_line)) is not None:
        raise InvalidInput(problem, name)
    return value


def json_object(shape: JsonShape) -> dict[str, Any]:
    """Return the request's JSON body, an object with only the members of `shape`, each checked."""
    body = request.get_json(silent=False)
    if not isinstance(body, dict):
        raise InvalidInput(_l("Send a JSON object (Content-Type: application/json)."))
    unknown = sorted(set(body) - set(shape))
    if unknown:
        raise InvalidInput(_l("“%(field)s” is not part of this request.", field=unknown[0]), unknown[0])
    checked: dict[str, Any] = {}
    for name, spec in shape.items():
        if body.get(name) is None:
            if spec.required:
                raise InvalidInput(_l("“%(field)s” is missing.", field=name), name)
            continue
        checked[name] = _member(name, spec, body[name])
    return checked


V = TypeVar("V", bound=Callable[..., Any])


def json_body(shape: JsonShape) -> Callable[[V], V]:
    """Declare a JSON endpoint: the view gets `body=`, the checked object of `shape`.

    The shape stays on the view function (`json_shape`), so tests find every JSON endpoint in the
    URL map and fuzz it, including endpoints added later.
    """

    def decorator(view: V) -> V:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, body=json_object(shape), **kwargs)

        wrapper.json_shape = shape  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


# -- the request-wide guard ---------------------------------------------------------------------------


def request_problem() -> tuple[str, Any] | None:
    """Return (where, problem) for a control character in the path, query string or form fields."""
    if ANY_CONTROL.search(request.path):
        return "path", _l("The address contains control characters. Check the link you followed.")
    for key, value in request.args.items(multi=True):
        if ANY_CONTROL.search(key) or ANY_CONTROL.search(value):
            return key, _l("The address contains control characters. Check the link you followed.")
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if ANY_CONTROL.search(key) or CONTROL.search(value):
                return key, _l("Remove the control characters (such as NUL) from the text.")
    return None


def register_input_guard(app: Flask) -> None:
    """Use the bounded request class, and refuse control characters before any view runs."""
    app.request_class = BoundedRequest

    @app.before_request
    def refuse_control_characters() -> None:
        found = request_problem()
        if found is not None:
            where, problem = found
            raise InvalidInput(problem, where)
