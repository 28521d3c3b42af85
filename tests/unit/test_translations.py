"""Every message in the code has a Japanese and an English translation."""

from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "app" / "translations"


@cache
def messages_in_code() -> frozenset[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found: set[str] = set()
    for package in ("app", "community", "minting"):
        for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT / package), method_map=method_map, keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_message_is_translated(language: str) -> None:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # A plural message's string is a tuple of forms: every form must be filled in.
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and not message.fuzzy and (all(message.string) if isinstance(message.string, (tuple, list)) else message.string)
    }
    code = messages_in_code()
    assert code, "no messages found: the extraction itself is broken"
    missing = sorted(code - translated)
    assert not missing, f"missing from the {language} catalogue (run `make messages`, then translate): {missing}"
