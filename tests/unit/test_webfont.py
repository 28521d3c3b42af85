"""The web font (scripts/webfont.py): the small file covers every character the site writes, the
kanji file adds JIS X 0208 level 1, and the same inputs give the same bytes."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont

from scripts import webfont


def test_the_character_sets() -> None:
    kanji = webfont.jis_level_1_kanji()
    assert len(kanji) == 2965 and ord("亜") in kanji and ord("腕") in kanji
    parts = webfont.parts()
    catalogue = (webfont.ROOT / "app/translations/ja/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert {ord(c) for c in catalogue if c.isprintable()} <= parts["site"]
    assert {ord(c) for c in "西川町デジタル住民票ゲストｶﾀｶﾅ（）「」・…–"} <= parts["site"]
    assert parts["site"].isdisjoint(parts["kanji"]) and parts["site"] | parts["kanji"] >= kanji


def test_the_subset_draws_what_it_promises_and_is_deterministic(tmp_path: Path) -> None:
    characters = webfont.site_characters()
    source = webfont.source_font(*webfont.FACES[0][1:])
    first, second = tmp_path / "a.woff2", tmp_path / "b.woff2"
    webfont.subset_font(source, characters, first)
    webfont.subset_font(source, characters, second)
    assert first.read_bytes() == second.read_bytes(), "same inputs, same bytes"
    assert first.read_bytes()[:4] == b"wOF2" and first.stat().st_size < 200_000
    cmap = TTFont(first).getBestCmap()
    written = {ord(c) for path in webfont.site_text_files() for c in path.read_text(encoding="utf-8") if c.isprintable() and not c.isspace()}
    missing = sorted(chr(code) for code in written if code not in cmap)
    assert missing == [], f"characters the site writes that the web font cannot draw: {missing}"
    assert all(ord(c) in cmap for c in "西川町デジタル住民票日本時間")
