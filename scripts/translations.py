"""Merge pending Japanese translations (JSON: English msgid -> Japanese) into the catalogues.

`make messages` runs this after extracting: every file in app/translations/pending/ is applied to
the ja catalogue and then deleted; the en catalogue gets msgstr = msgid. A plural message
(ngettext) is keyed by its singular msgid and gets the one Japanese form. Prints what is still
untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "app" / "translations"


def main() -> int:
    pending: dict[str, str] = {}
    files = sorted((ROOT / "pending").glob("*.json"))
    for path in files:
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    missing: list[str] = []
    for language in ("ja", "en"):
        path = ROOT / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, tuple):
                _plural(message, language, catalog.num_plurals, pending, missing)
                continue
            if language == "en":
                message.string = message.id
            elif message.id in pending:
                message.string = pending[message.id]
            elif not message.string:
                missing.append(message.id)
            message.flags.discard("fuzzy")
        catalog.fuzzy = False
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True)
    for path in files:
        path.unlink()
    for message_id in missing:
        print(f"untranslated (ja): {message_id}", file=sys.stderr)
    return 1 if missing else 0


def _plural(message: Message, language: str, forms: int, pending: dict[str, str], missing: list[str]) -> None:
    """ngettext messages: English keeps its two forms; Japanese (one form) takes the pending text,
    keyed by the singular msgid."""
    singular, plural = message.id[0], message.id[1]
    if language == "en":
        message.string = (singular, plural)
    elif singular in pending:
        message.string = tuple(pending[singular] for _ in range(forms))
    elif not all(message.string):
        missing.append(singular)
    message.flags.discard("fuzzy")


if __name__ == "__main__":
    raise SystemExit(main())
