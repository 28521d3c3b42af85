"""Every message in the code has a Japanese and an English translation."""

import re
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


def _strings(language: str) -> list[str]:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found: list[str] = []
    for message in catalog:
        if message.id:
            found.extend([message.string] if isinstance(message.string, str) else message.string)
    return found


def test_the_card_has_one_name_in_japanese() -> None:
    """デジタル住民票, never 住民票カード, 住民票NFT or a bare 住民票 (the town's paper register)."""
    # The terms of use name the paper register itself once: "住民基本台帳法上の住民票".
    wrong = re.compile(r"住民票カード|住民票NFT|NFT住民票|住民カード|(?<!デジタル)(?<!台帳法上の)住民票")
    assert [text for text in _strings("ja") if wrong.search(text)] == []


def test_english_counts_use_plural_forms() -> None:
    """"1 threads" cannot happen: counted nouns are ngettext messages with both English forms."""
    from babel.messages.pofile import read_po as read

    with (CATALOGS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read(handle, locale="en")
    plurals = {message.id[0]: message.string for message in catalog if isinstance(message.id, tuple)}
    for singular in ("%(num)s thread", "%(num)s post", "%(num)s person", "%(num)s resident checked in.", "%(num)s block behind"):
        assert singular in plurals and all(plurals[singular]), singular
