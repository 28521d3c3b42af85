"""Resident card images: layout, glyph coverage, template checks, QR code and determinism.

Regenerate tests/data/cards/golden_card.json (after a deliberate design or Pillow change —
it changes every card's CID) with:  python tests/unit/test_cards.py --regenerate
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import io
import json
import re
import shutil
import struct
import sys
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops, features

from minting.cards import (
    DEFAULT_TEMPLATE,
    CardFace,
    CardRenderError,
    CardTemplate,
    default_template,
    encode_png,
    layout_display_name,
    load_template,
    qr_matrix,
    render_card,
    render_card_image,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "cards"
NAMES = json.loads((DATA / "names.json").read_text("utf-8"))
BAD_TEMPLATES = json.loads((DATA / "bad_templates.json").read_text("utf-8"))["cases"]
GOLDEN = DATA / "golden_card.json"
PROFILE = "https://residents.nishikawa.example/r/{}"


@pytest.fixture(scope="module")
def template() -> CardTemplate:
    return default_template()


def make_face(display_name: str = "山田 太郎", number: int = 123) -> CardFace:
    return CardFace(number, display_name, date(2026, 11, 26), PROFILE.format(number))


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    return kinds


# ---- names ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", NAMES["names"], ids=[c["id"] for c in NAMES["names"]])
def test_name_fits_inside_its_box(template: CardTemplate, case: dict) -> None:
    layout = layout_display_name(template, case["name"])
    box = template.name
    left, top, right, bottom = layout.bbox
    assert box.x <= left and right <= box.x + box.width
    assert box.y <= top and bottom <= box.y + box.height
    assert box.min_size <= layout.size <= box.max_size
    assert len(layout.lines) == case["lines"]
    assert (layout.size < box.max_size) == case["shrunk"]
    # Nothing is dropped: the lines put back together are the whole name.
    assert "".join(layout.lines).replace(" ", "").replace("\u3000", "") == (
        layout.text.replace(" ", "").replace("\u3000", "")
    )


@pytest.mark.parametrize("case", NAMES["names"], ids=[c["id"] for c in NAMES["names"]])
def test_name_ink_stays_inside_its_box_on_the_image(template: CardTemplate, case: dict) -> None:
    """Two cards that differ only in the name differ only inside the name box."""
    reference = render_card_image(template, make_face("・"))
    card = render_card_image(template, make_face(case["name"]))
    changed = ImageChops.difference(card, reference).getbbox()
    box = template.name
    assert changed is not None
    assert box.x <= changed[0] and changed[2] <= box.x + box.width
    assert box.y <= changed[1] and changed[3] <= box.y + box.height


def test_long_name_shrinks_before_it_wraps(template: CardTemplate) -> None:
    short = layout_display_name(template, "Maximilian")
    longer = layout_display_name(template, "Maximilian Alexander von Hohenberg")
    assert short.size == template.name.max_size
    assert longer.size < short.size
    assert len(longer.lines) == 1


def test_two_line_names_break_at_a_space_when_they_can(template: CardTemplate) -> None:
    layout = layout_display_name(template, "Maria de los Angeles Fernandez Gutierrez de la Torre y Castellanos")
    assert len(layout.lines) == 2
    assert not layout.lines[0].endswith(" ") and not layout.lines[1].startswith(" ")
    assert " ".join(layout.lines) == layout.text


def test_two_line_japanese_names_keep_small_kana_off_the_line_start(template: CardTemplate) -> None:
    layout = layout_display_name(
        template, "ちょっとちょっとちょっとちょっとちょっとちょっとちょっとちょっとちょっとちょっとちょっと"
    )
    assert len(layout.lines) == 2
    assert layout.lines[1][0] not in "ょっゃゅぁぃぅぇぉー"


@pytest.mark.parametrize("case", NAMES["refused"], ids=[c["id"] for c in NAMES["refused"]])
def test_undrawable_names_are_refused_with_a_reason(template: CardTemplate, case: dict) -> None:
    with pytest.raises(CardRenderError, match=re.escape(case["error"])):
        layout_display_name(template, case["name"])
    with pytest.raises(CardRenderError, match=re.escape(case["error"])):
        render_card(template, make_face(case["name"]))


def test_font_coverage_is_read_from_the_font(template: CardTemplate) -> None:
    from minting.cards import _font_codepoints

    covered = _font_codepoints(template.name.font)
    for char in "Aé山あア髙𠮷김Ж":
        assert ord(char) in covered, char
    for char in "🌸ส\ue000":
        assert ord(char) not in covered, char


def test_both_cmap_formats_read_the_same_coverage(template: CardTemplate) -> None:
    """Noto has a format 12 (full Unicode) and a format 4 (BMP) cmap; a town's .ttf may have only the latter."""
    from minting.cards import _cmap_subtable

    data = template.name.font.read_bytes()
    (tables,) = struct.unpack(">H", data[4:6])
    for i in range(tables):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
        if tag == b"cmap":
            cmap = data[offset : offset + length]
    subtables = {}
    for i in range(struct.unpack(">H", cmap[2:4])[0]):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        subtables[platform, encoding] = offset
    bmp = _cmap_subtable(cmap, subtables[3, 1])
    full = _cmap_subtable(cmap, subtables[3, 10])
    assert len(bmp) > 40_000
    assert bmp == {c for c in full if c < 0x10000}


# ---- the face ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resident_number", 0, "resident_number"),
        ("resident_number", True, "resident_number"),
        ("resident_number", "12", "resident_number"),
        ("display_name", "", "display_name"),
        ("issued_on", datetime(2026, 11, 26, 9, 0), "issued_on"),
        ("issued_on", "2026-11-26", "issued_on"),
        ("profile_url", "javascript:alert(1)", "profile_url"),
        ("profile_url", "https://example.org/住民/1", "profile_url"),
        ("profile_url", "https://example.org/a b", "profile_url"),
    ],
)
def test_card_face_checks_its_fields(field: str, value: object, message: str) -> None:
    values = {
        "resident_number": 1,
        "display_name": "山田",
        "issued_on": date(2026, 1, 1),
        "profile_url": PROFILE.format(1),
    }
    values[field] = value
    with pytest.raises(CardRenderError, match=message):
        CardFace(**values)  # type: ignore[arg-type]


def test_fields_show_number_and_both_date_forms(template: CardTemplate) -> None:
    formats = [spec.format for spec in template.fields]
    assert formats == ["No. {number:06d}", "{year}年{month}月{day}日", "{iso}"]


def test_too_long_profile_url_for_the_qr_square_is_refused(template: CardTemplate) -> None:
    face = CardFace(1, "山田", date(2026, 1, 1), "https://example.org/" + "a" * 490)
    with pytest.raises(CardRenderError, match="too dense"):
        render_card(template, face)


# ---- QR code -------------------------------------------------------------------------


def read_back_qr(template: CardTemplate, card: Image.Image, modules: int) -> list[list[bool]]:
    """Sample the centre of every module printed on the card."""
    spec = template.qr
    pixels = spec.size // (modules + 2 * spec.border)
    origin = (spec.size - (modules + 2 * spec.border) * pixels) // 2 + spec.border * pixels
    rgb = card.convert("RGB")
    return [
        [
            rgb.getpixel((spec.x + origin + col * pixels + pixels // 2, spec.y + origin + row * pixels + pixels // 2))
            == spec.dark
            for col in range(modules)
        ]
        for row in range(modules)
    ]


@pytest.mark.parametrize("number", [1, 123, 999_999])
def test_qr_modules_on_the_card_are_the_profile_url(template: CardTemplate, number: int) -> None:
    import segno

    face = make_face(number=number)
    card = Image.open(io.BytesIO(render_card(template, face)))
    expected = segno.make(face.profile_url, error=template.qr.error, micro=False).matrix
    assert read_back_qr(template, card, len(expected)) == [[bool(m) for m in row] for row in expected]
    assert qr_matrix(template, face.profile_url) == tuple(tuple(bool(m) for m in row) for row in expected)


def test_qr_decodes_to_the_profile_url(template: CardTemplate) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a dev dependency) decodes the QR code")
    face = make_face("Jane Doe-Smith", number=4567)
    card = Image.open(io.BytesIO(render_card(template, face)))
    assert [result.text for result in zxingcpp.read_barcodes(card)] == [face.profile_url]


# ---- templates -----------------------------------------------------------------------


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "card_template"
    shutil.copytree(DEFAULT_TEMPLATE.parent, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return folder / "template.toml"


@pytest.mark.parametrize("case", BAD_TEMPLATES, ids=[c["id"] for c in BAD_TEMPLATES])
def test_bad_templates_are_refused_naming_the_key(template_copy: Path, case: dict) -> None:
    text = template_copy.read_text("utf-8")
    assert case["old"] in text, f"test vector out of date: {case['old']!r} is not in template.toml"
    template_copy.write_text(text.replace(case["old"], case["new"], 1), "utf-8")
    with pytest.raises(CardRenderError) as raised:
        load_template(template_copy)
    assert case["error"] in str(raised.value)
    assert str(template_copy) in str(raised.value)


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(CardRenderError, match="file not found"):
        load_template(tmp_path / "template.toml")


def test_town_can_change_the_design_without_code(template_copy: Path, template: CardTemplate) -> None:
    text = template_copy.read_text("utf-8").replace('dark = "#173F4A"', 'dark = "#7A1F2B"')
    template_copy.write_text(text.replace("max_size = 76", "max_size = 60"), "utf-8")
    changed = load_template(template_copy)
    assert changed.qr.dark == (0x7A, 0x1F, 0x2B)
    assert layout_display_name(changed, "山田 太郎").size == 60
    assert render_card(changed, make_face()) != render_card(template, make_face())


def test_committed_assets_are_what_the_script_draws() -> None:
    script = DEFAULT_TEMPLATE.parent / "make_assets.py"
    spec = importlib.util.spec_from_file_location("make_assets", script)
    assert spec is not None and spec.loader is not None
    make_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_assets)
    environment = json.loads(GOLDEN.read_text("utf-8"))["environment"]
    if environment["pillow"] != current_environment()["pillow"]:
        pytest.skip(f"assets were drawn with Pillow {environment['pillow']}; this is {current_environment()['pillow']}")
    with Image.open(DEFAULT_TEMPLATE.parent / "background.png") as background:
        assert background.convert("RGB").tobytes() == make_assets.draw_background().tobytes()
    with Image.open(DEFAULT_TEMPLATE.parent / "logo.png") as logo:
        assert logo.convert("RGBA").tobytes() == make_assets.draw_logo().tobytes()


# ---- determinism ---------------------------------------------------------------------


def test_same_face_gives_the_same_bytes(template: CardTemplate) -> None:
    face = make_face("マリア・ガルシア Maria García", number=89)
    first = render_card(template, face)
    second = render_card(template, face)
    reloaded = render_card(load_template(), face)
    assert first == second == reloaded
    assert render_card(template, make_face("マリア・ガルシア Maria García", number=90)) != first


def test_png_has_no_metadata_chunks(template: CardTemplate) -> None:
    data = render_card(template, make_face())
    assert png_chunks(data) == [b"IHDR", b"IDAT", b"IEND"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1200, 756) and image.mode == "RGB"
        assert image.info == {}


def test_encode_png_round_trips(template: CardTemplate) -> None:
    card = render_card_image(template, make_face())
    with Image.open(io.BytesIO(encode_png(card))) as decoded:
        assert decoded.tobytes() == card.tobytes()


def current_environment() -> dict[str, str]:
    """What a card's bytes depend on besides this code, the template and the face."""
    return {
        "pillow": importlib.metadata.version("pillow"),
        "freetype2": str(features.version("freetype2")),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "noto-cjk-sans-jp-regular": importlib.metadata.version("noto-cjk-sans-jp-regular"),
        "noto-cjk-sans-jp-bold": importlib.metadata.version("noto-cjk-sans-jp-bold"),
    }


def golden_face(golden: dict) -> CardFace:
    face = golden["face"]
    return CardFace(
        face["resident_number"], face["display_name"], date.fromisoformat(face["issued_on"]), face["profile_url"]
    )


def test_golden_card_pixels(template: CardTemplate) -> None:
    golden = json.loads(GOLDEN.read_text("utf-8"))
    recorded, here = golden["environment"], current_environment()
    drawing = ("pillow", "freetype2", "noto-cjk-sans-jp-regular", "noto-cjk-sans-jp-bold")
    differ = {k: (recorded[k], here[k]) for k in drawing if recorded[k] != here[k]}
    if differ:
        pytest.skip(f"golden card was drawn with other versions {differ}; cards (and CIDs) may differ; regenerate")
    pixels = render_card_image(template, golden_face(golden)).tobytes()
    assert hashlib.sha256(pixels).hexdigest() == golden["pixels_sha256"]


def test_golden_card_png_bytes(template: CardTemplate) -> None:
    golden = json.loads(GOLDEN.read_text("utf-8"))
    recorded, here = golden["environment"], current_environment()
    differ = {k: (recorded[k], here[k]) for k in recorded if recorded[k] != here[k]}
    if differ:
        pytest.skip(f"golden PNG was made with other versions {differ}; its bytes (and CID) may differ; regenerate")
    assert hashlib.sha256(render_card(template, golden_face(golden))).hexdigest() == golden["png_sha256"]


def regenerate() -> None:
    face = {
        "resident_number": 123,
        "display_name": "山田 太郎 Taro Yamada",
        "issued_on": "2026-11-26",
        "profile_url": "https://residents.nishikawa.example/r/123",
    }
    golden = {"face": face, "environment": current_environment()}
    template = default_template()
    card = render_card_image(template, golden_face(golden))
    golden["pixels_sha256"] = hashlib.sha256(card.tobytes()).hexdigest()
    golden["png_sha256"] = hashlib.sha256(render_card(template, golden_face(golden))).hexdigest()
    GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(golden, ensure_ascii=False, indent=2))


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    regenerate()


def test_the_thumbnail_is_small_and_deterministic() -> None:
    import io

    from PIL import Image

    from minting.cards import THUMBNAIL_WIDTH, render_thumbnail

    card = render_card(default_template(), CardFace(123, "山田 太郎", date(2026, 11, 26), "https://residents.example.jp/residents/123"))
    thumbnail = render_thumbnail(card)
    assert thumbnail == render_thumbnail(card)
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.size == (THUMBNAIL_WIDTH, 76)
    assert len(thumbnail) < len(card) / 8
