"""Build the site's web font: a subset of Noto Sans JP (from the noto-cjk-sans-jp PyPI wheels the
card renderer already uses), as WOFF2, served from app/static/fonts/ (`make fonts`).

Two files per weight (400 and 700), declared in site.css as one family:

- "site" (about 100 KiB): every character the site itself writes — the ja and en catalogues, the
  templates, the card template — plus ASCII and Latin-1, general and CJK punctuation, hiragana,
  katakana (full and half width) and full-width forms. Every page uses it.
- "kanji" (about 400 KiB): the rest of the 2,965 kanji of JIS X 0208 level 1 (the everyday set,
  which holds nearly all jōyō kanji), taken from Python's own EUC-JP codec. Its @font-face has a
  unicode-range, so a browser fetches it only for a page (a forum post, say) that uses one.

Rarer characters in what residents write fall back to the device's fonts. The output depends only
on the inputs (timestamps are kept from the source font, and fingerprint.txt records the inputs),
so `make fonts` rebuilds only when a catalogue, a template or the font changed, and a rebuild of
the same inputs gives the same bytes.

    python scripts/webfont.py [--check]     # --check: say whether the files are up to date
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "app" / "static" / "fonts"
#: (weight, wheel module, font file) of each face the stylesheet declares.
FACES = ((400, "noto_cjk_sans_jp_regular", "NotoSansCJKjp-Regular.otf"), (700, "noto_cjk_sans_jp_bold", "NotoSansCJKjp-Bold.otf"))
#: Unicode blocks always included (inclusive ranges).
BLOCKS = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (é, ü, ©, ×, ·)
    (0x2010, 0x2027),  # dashes, quotes, bullets, ‥ …
    (0x2030, 0x203B),  # ‰ ′ ″ ※
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # ① … ⑳
    (0x25A0, 0x25CF),  # ■ □ ▲ △ ○ ●
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3041, 0x309F),  # hiragana
    (0x30A0, 0x30FF),  # katakana
    (0xFF01, 0xFF5E),  # full-width forms
    (0xFF61, 0xFF9F),  # half-width katakana
)
#: OpenType features kept: composition, kerning, ligatures (horizontal text).
FEATURES = ["ccmp", "kern", "liga", "palt"]
#: Where the site's own words are.
SOURCES = ("app/translations/ja/LC_MESSAGES/messages.po", "app/translations/en/LC_MESSAGES/messages.po", "minting/card_template/template.toml")
TEMPLATE_FOLDERS = ("app", "community")


def jis_level_1_kanji() -> set[int]:
    """The 2,965 kanji of JIS X 0208 level 1: EUC-JP rows 16–47 (lead bytes 0xB0–0xCF)."""
    found: set[int] = set()
    for lead in range(0xB0, 0xD0):
        for trail in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((lead, trail)).decode("euc_jp")))
            except UnicodeDecodeError:
                continue  # the unused cells at the end of row 47
    return found


def site_text_files() -> list[Path]:
    files = [ROOT / name for name in SOURCES]
    for folder in TEMPLATE_FOLDERS:
        files.extend(sorted((ROOT / folder).rglob("templates/**/*.html")))
    return files


def site_characters() -> set[int]:
    """Every character the site writes itself, and the blocks Japanese text always needs."""
    wanted: set[int] = set()
    for first, last in BLOCKS:
        wanted.update(range(first, last + 1))
    for path in site_text_files():
        wanted.update(ord(character) for character in path.read_text(encoding="utf-8") if character.isprintable())
    return wanted


def parts() -> dict[str, set[int]]:
    """The two files of each weight: "site" (always loaded, small) and "kanji" (the rest of JIS
    level 1, which the browser fetches only for a page that uses one of them)."""
    site = site_characters()
    return {"site": site, "kanji": jis_level_1_kanji() - site}


def source_font(module: str, name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"The font package {module} is not installed: run `make install`.")
    return Path(spec.origin).parent / name


def fingerprint(characters: dict[str, set[int]]) -> str:
    """What the output depends on: the characters, the source fonts, the options, fontTools."""
    import fontTools

    digest = hashlib.sha256(json.dumps({part: sorted(chars) for part, chars in characters.items()}, sort_keys=True).encode())
    for _weight, module, name in FACES:
        digest.update(hashlib.sha256(source_font(module, name).read_bytes()).digest())
    digest.update(json.dumps(FEATURES).encode() + fontTools.version.encode())
    return digest.hexdigest()


def file_name(weight: int, part: str) -> str:
    return f"noto-sans-jp-{weight}-{part}.woff2"


def subset_font(source: Path, characters: set[int], target: Path) -> None:
    """Write the WOFF2 subset of `source` holding `characters` (same inputs, same bytes)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    # Horizontal text only: Noto CJK's vertical and historical-form features would double the
    # glyphs. No hinting (browsers ignore CFF hints at these sizes); flat charstrings compress better.
    options.layout_features = FEATURES
    options.hinting = False
    options.desubroutinize = True
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(str(target), reorderTables=False)


def build(characters: dict[str, set[int]], output: Path = OUTPUT) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for weight, module, name in FACES:
        for part, chars in characters.items():
            target = output / file_name(weight, part)
            subset_font(source_font(module, name), chars, target)
            written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the fonts are up to date")
    arguments = parser.parse_args()
    characters = parts()
    stamp = OUTPUT / "fingerprint.txt"
    current = fingerprint(characters)
    files = [OUTPUT / file_name(weight, part) for weight, _module, _name in FACES for part in characters]
    up_to_date = stamp.exists() and stamp.read_text().strip() == current and all(path.exists() for path in files)
    if arguments.check:
        print("up to date" if up_to_date else "out of date")
        return 0 if up_to_date else 1
    total = sum(len(chars) for chars in characters.values())
    if up_to_date:
        print(f"Web fonts are up to date ({total:,} characters).")
        return 0
    written = build(characters)
    stamp.write_text(current + "\n")
    sizes = ", ".join(f"{path.name} {path.stat().st_size / 1024:,.0f} KiB" for path in written)
    print(f"Built the web fonts ({total:,} characters): {sizes}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
