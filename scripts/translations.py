"""Merge pending Japanese translations (JSON: English msgid -> Japanese) into the catalogues.

`make messages` runs this after extracting: every file in app/translations/pending/ is applied to
the ja catalogue and then deleted; the en catalogue gets msgstr = msgid. Prints what is still
untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
            if not message.id or isinstance(message.id, tuple):
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


if __name__ == "__main__":
    raise SystemExit(main())
