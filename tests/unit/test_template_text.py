"""No template shows words outside the translation functions.

Each template under app/, community/ and minting/ is read with Jinja's own lexer: every Jinja
construct (`{{ … }}`, `{% … %}`, `{# … #}`, and the whole body of `{% trans %}` blocks) is
replaced by a neutral placeholder, and what is left — the literal HTML — is parsed with the
standard library's HTML parser. A text node, or a human-facing attribute (alt, title,
placeholder, aria-label, …), that still holds a letter of any script is reported with its file
and line. Text inside <script> and <style> is not shown to people and is skipped (the
Content-Security-Policy forbids inline ones anyway).

Not caught: string literals inside expressions (`{{ "Hello" }}`); translate those too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2.lexer import TOKEN_BLOCK_BEGIN, TOKEN_COMMENT_BEGIN, TOKEN_DATA, TOKEN_LINECOMMENT_BEGIN, TOKEN_NAME, TOKEN_RAW_BEGIN, TOKEN_VARIABLE_BEGIN

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "community", "minting")
#: Stands in for a Jinja construct: a private-use character, which is not a letter.
PLACEHOLDER = "\ue000"
#: Attributes whose values people read or hear.
SPOKEN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription", "aria-valuetext", "label"}
#: Literal text that must not be translated, with the reason.
ALLOWED = {
    # The language switch names each language in that language (an endonym), in every locale,
    # so a person who cannot read the current one still finds their own.
    "English": "language name in its own language",
    "日本語": "language name in its own language",
}
#: Literal text of these shapes is the same in every language, with the reason.
ALLOWED_PATTERNS = {
    # A download's file name ("exchange-events.csv") is what the browser saves; it is not prose.
    re.compile(r"[\w.-]+\.(csv|json|ics|pdf|png|svg|txt|zip)"): "file name",
}
LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def templates() -> list[Path]:
    found: list[Path] = []
    for package in PACKAGES:
        found.extend(path for path in (ROOT / package).rglob("*.html") if "templates" in path.parts)
    return sorted(found)


def literal_html(source: str) -> str:
    """Return the template's literal HTML, each Jinja construct replaced by PLACEHOLDER.

    Line breaks are kept where they were, so the HTML parser's line numbers are the template's.
    """
    environment = Environment(extensions=["jinja2.ext.i18n"])
    parts: list[str] = []
    line = 1
    in_trans = False
    previous_was_block_begin = False
    for lineno, token, value in environment.lex(source):
        if token == "whitespace":
            continue
        if lineno > line:
            parts.append("\n" * (lineno - line))
            line = lineno
        if token == TOKEN_NAME and previous_was_block_begin:
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        previous_was_block_begin = token == TOKEN_BLOCK_BEGIN
        if token == TOKEN_DATA:
            # Text inside {% trans %} … {% endtrans %} is the message itself: translated.
            parts.append(re.sub(r"[^\n]+", PLACEHOLDER, value) if in_trans else value)
            line += value.count("\n")
        elif token in {TOKEN_VARIABLE_BEGIN, TOKEN_BLOCK_BEGIN, TOKEN_COMMENT_BEGIN, TOKEN_LINECOMMENT_BEGIN, TOKEN_RAW_BEGIN}:
            parts.append(PLACEHOLDER)
    return "".join(parts)


class LiteralTextFinder(HTMLParser):
    """Collect text nodes and spoken attributes that hold letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden_depth += 1
        attributes = dict(attrs)
        for name, value in attrs:
            # An <input type=submit>'s value is its visible label; a <button>'s value is data.
            spoken = name in SPOKEN_ATTRIBUTES or (tag == "input" and name == "value" and attributes.get("type") in {"submit", "button", "reset"})
            if spoken and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self._check(data)

    def _check(self, text: str) -> None:
        for piece in text.split(PLACEHOLDER):
            words = piece.strip()
            if LETTER.search(words) and words not in ALLOWED and not any(pattern.fullmatch(words) for pattern in ALLOWED_PATTERNS):
                self.found.append((self.getpos()[0], words))


def offences_in(path: Path) -> list[Offence]:
    finder = LiteralTextFinder()
    finder.feed(literal_html(path.read_text(encoding="utf-8")))
    finder.close()
    relative = str(path.relative_to(ROOT))
    return [Offence(relative, line, text) for line, text in finder.found]


# -- the finder itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{{ _('Hello') }}</p>", []),
        ("<p>Hello</p>", ["Hello"]),
        ("<p>ようこそ</p>", ["ようこそ"]),
        ("<p>\n\n  {{ name }} さん</p>", ["さん"]),
        ('<img src="{{ x }}" alt="Card">', ["Card"]),
        ('<nav aria-label="{{ _(\'Main\') }}"></nav>', []),
        ('<input type="submit" value="Send">', ["Send"]),
        ('<input type="hidden" name="next" value="abc">', []),
        ("{% trans %}Hello {{ name }}{% endtrans %}", []),
        ("{# Notes for developers #}<p>{{ n }} · {{ m }} — 3/4 (12)</p>", []),
        ('<a href="/x" class="button">{{ _("Go") }}</a> →', []),
        ("<script type=module>const word = 'x';</script><style>.a{}</style>", []),
        ('<button lang="en" name="locale" value="en">English</button>', []),
        ('<a href="{{ x }}">exchange-events.csv</a>', []),
        ("<p>&amp; &mdash; &#8594;</p><p>&copy; Town</p>", ["© Town"]),
    ],
)
def test_the_finder(tmp_path: Path, source: str, expected: list[str]) -> None:
    template = tmp_path / "templates" / "t.html"
    template.parent.mkdir()
    template.write_text(source, encoding="utf-8")
    finder = LiteralTextFinder()
    finder.feed(literal_html(source))
    assert [text for _line, text in finder.found] == expected


def test_line_numbers_are_the_templates() -> None:
    source = "{% block content %}\n<h1>{{ _('Title') }}</h1>\n{{ value\n }}\n<p>Untranslated</p>\n{% endblock %}"
    finder = LiteralTextFinder()
    finder.feed(literal_html(source))
    assert finder.found == [(5, "Untranslated")]


# -- every template ---------------------------------------------------------------------------------------


def test_templates_are_found() -> None:
    names = {str(path.relative_to(ROOT)) for path in templates()}
    assert {"app/templates/base.html", "app/staff/templates/staff/dashboard.html"} <= names


def test_no_template_shows_untranslated_text() -> None:
    offences = [offence for path in templates() for offence in offences_in(path)]
    files = sorted({offence.path for offence in offences})
    assert not offences, (
        f"{len(offences)} piece(s) of text outside _() in {len(files)} template(s) "
        f"({', '.join(files)}); wrap each in {{{{ _('…') }}}}:\n" + "\n".join(str(offence) for offence in offences)
    )
