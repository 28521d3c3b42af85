"""Resident card images: 西川町デジタル住民票 / Nishikawa Digital Resident.

The design lives in a template folder (``template.toml`` plus its PNG files, see
``minting/card_template/``) so the town can change it without code. ``load_template`` checks
the whole template once and prepares everything that is the same on every card (background,
logo, fixed text, fonts); ``render_card`` then only draws the resident's own fields.

A card's PNG bytes are its IPFS CID, so rendering is deterministic: the fonts come from a
wheel (not the machine's fontconfig), text is laid out with Pillow's built-in layout engine
(Raqm's availability depends on the machine's FriBiDi), and the PNG carries no metadata
chunks and is compressed with fixed settings. The bytes still depend on Pillow's bundled FreeType
(glyph rasterising) and on CPython's zlib, which is why the golden test records those versions.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import string
import struct
import tomllib
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import segno
from PIL import Image, ImageDraw, ImageFont

from minting.errors import MintError

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "card_template" / "template.toml"

#: Font names a template may use without shipping a file: PyPI wheels of Noto Sans CJK JP,
#: so every machine draws with the very same font file.
BUILTIN_FONTS = {
    "noto-sans-cjk-jp-regular": "noto_cjk_sans_jp_regular",
    "noto-sans-cjk-jp-bold": "noto_cjk_sans_jp_bold",
}

#: Placeholders a field's ``format`` may use.
FIELD_PLACEHOLDERS = ("number", "year", "month", "day", "iso")

PNG_COMPRESS_LEVEL = 1  # zlib level: fast; a card is ~120 KB, one raw IPFS block
MIN_QR_MODULE_PIXELS = 3
MAX_PROFILE_URL_LENGTH = 512

# Characters that may not start or end a line when a name is split over two lines
# (a small part of the Japanese line-breaking rules, 禁則処理).
_NO_LINE_START = set("ー・、。，．：；？！）」』】〕〉》｝ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々゛゜,.!?:;)]}")
_NO_LINE_END = set("（「『【〔〈《｛([{")
# Unicode categories that cannot be drawn as they are: controls, format characters
# (zero-width joiners…), surrogates, private use, unassigned, line/paragraph separators,
# and combining marks (the built-in layout engine does not position them).
_UNDRAWABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Mc", "Me"}


class CardRenderError(MintError, ValueError):
    """A card cannot be rendered: bad template, undrawable name, unusable input."""


#: Makes the error for one template key from a description of the problem.
_Fail = Callable[[str], CardRenderError]


# ---- input ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CardFace:
    """What is printed on one resident's card."""

    resident_number: int
    display_name: str
    issued_on: date
    profile_url: str

    def __post_init__(self) -> None:
        if (
            not isinstance(self.resident_number, int)
            or isinstance(self.resident_number, bool)
            or self.resident_number < 1
        ):
            raise CardRenderError(f"resident_number must be a whole number ≥ 1, got {self.resident_number!r}")
        if not isinstance(self.display_name, str) or not self.display_name.strip():
            raise CardRenderError("display_name must be a non-empty string")
        if not isinstance(self.issued_on, date) or isinstance(self.issued_on, datetime):
            raise CardRenderError(f"issued_on must be a datetime.date (not a datetime), got {self.issued_on!r}")
        url = self.profile_url
        if (
            not isinstance(url, str)
            or not url.startswith(("https://", "http://"))
            or len(url) > MAX_PROFILE_URL_LENGTH
            or any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7E for c in url)
        ):
            raise CardRenderError(
                f"profile_url must be an http(s) URL of printable ASCII, at most {MAX_PROFILE_URL_LENGTH} "
                f"characters (percent-encode anything else), got {url!r}"
            )


# ---- template ------------------------------------------------------------------------


@dataclass(frozen=True)
class TextStyle:
    font: Path
    size: int
    color: tuple[int, int, int]
    x: int
    y: int
    anchor: str


@dataclass(frozen=True)
class FieldSpec:
    format: str
    style: TextStyle


@dataclass(frozen=True)
class NameBox:
    font: Path
    color: tuple[int, int, int]
    x: int
    y: int
    width: int
    height: int
    max_size: int
    min_size: int
    line_spacing: float
    align: str


@dataclass(frozen=True)
class QrSpec:
    x: int
    y: int
    size: int
    dark: tuple[int, int, int]
    light: tuple[int, int, int]
    error: str
    border: int


@dataclass(frozen=True)
class CardTemplate:
    """A checked card design, with its fixed layers already drawn."""

    path: Path
    width: int
    height: int
    name: NameBox
    fields: tuple[FieldSpec, ...]
    qr: QrSpec
    base: Image.Image = field(repr=False, compare=False)


@functools.cache
def _template_schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("minting").joinpath("schemas/card_template.schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _key(path: Any) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def load_template(path: str | Path | None = None) -> CardTemplate:
    """Load, check and prepare a card template (the town's default when no path is given)."""
    path = Path(path) if path is not None else DEFAULT_TEMPLATE
    where = f"card template {path}"
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CardRenderError(f"{where}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CardRenderError(f"{where}: not valid TOML: {exc}") from None

    errors = sorted(_template_schema_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"{_key(e.absolute_path)}: {e.message}" for e in errors]
        raise CardRenderError(f"{where}: " + "; ".join(lines))

    def fail(key: str, problem: str) -> CardRenderError:
        return CardRenderError(f"{where}: {key}: {problem}")

    folder = path.resolve().parent
    fonts = {
        name: _resolve_font(folder, spec, lambda p, n=name: fail(f"fonts.{n}", p))
        for name, spec in raw["fonts"].items()
    }

    def font_of(key: str, name: str) -> Path:
        if name not in fonts:
            raise fail(key, f"no font named {name!r} in [fonts] (have: {', '.join(sorted(fonts))})")
        return fonts[name]

    width, height = raw["canvas"]["width"], raw["canvas"]["height"]

    def inside(key: str, box: tuple[float, float, float, float]) -> None:
        left, top, right, bottom = box
        if left < 0 or top < 0 or right > width or bottom > height:
            raise fail(key, f"reaches outside the {width}×{height} card (box {tuple(round(v) for v in box)})")

    background = _open_png(folder, raw["canvas"]["background"], lambda p: fail("canvas.background", p))
    if background.size != (width, height):
        raise fail(
            "canvas.background", f"image is {background.size[0]}×{background.size[1]}, the canvas is {width}×{height}"
        )
    base = Image.new("RGB", (width, height))
    base.paste(background.convert("RGB"))

    if "logo" in raw:
        spec = raw["logo"]
        logo = _open_png(folder, spec["image"], lambda p: fail("logo.image", p)).convert("RGBA")
        if logo.size != (spec["size"], spec["size"]):
            logo = logo.resize((spec["size"], spec["size"]), Image.Resampling.LANCZOS)
        inside("logo", (spec["x"], spec["y"], spec["x"] + spec["size"], spec["y"] + spec["size"]))
        base.paste(logo, (spec["x"], spec["y"]), logo)

    draw = ImageDraw.Draw(base)
    for i, spec in enumerate(raw.get("texts", [])):
        key = f"texts[{i}]"
        style = _style(spec, font_of(f"{key}.font", spec["font"]))
        missing = _missing_characters(style.font, spec["text"])
        if missing:
            raise fail(f"{key}.text", f"the font has no glyph for {_describe(missing)}")
        inside(key, _text_box(draw, style, spec["text"]))
        _draw_text(draw, style, spec["text"])

    fields = []
    sample = _field_values(999_999, date(2026, 12, 28))
    for i, spec in enumerate(raw.get("fields", [])):
        key = f"fields[{i}]"
        _check_format(spec["format"], lambda p, k=key: fail(f"{k}.format", p))
        style = _style(spec, font_of(f"{key}.font", spec["font"]))
        text = spec["format"].format(**sample)
        missing = _missing_characters(style.font, text)
        if missing:
            raise fail(f"{key}.format", f"the font has no glyph for {_describe(missing)}")
        inside(key, _text_box(draw, style, text))
        fields.append(FieldSpec(spec["format"], style))

    spec = raw["name"]
    name = NameBox(
        font=font_of("name.font", spec["font"]),
        color=_rgb(spec["color"]),
        x=spec["x"],
        y=spec["y"],
        width=spec["width"],
        height=spec["height"],
        max_size=spec["max_size"],
        min_size=spec["min_size"],
        line_spacing=float(spec.get("line_spacing", 1.2)),
        align=spec.get("align", "left"),
    )
    if name.min_size > name.max_size:
        raise fail("name.min_size", f"{name.min_size} is larger than name.max_size ({name.max_size})")
    inside("name", (name.x, name.y, name.x + name.width, name.y + name.height))
    ascent, descent = _font(name.font, name.min_size).getmetrics()
    if ascent + descent > name.height:
        raise fail(
            "name.height", f"{name.height} px is less than one line at min_size {name.min_size} ({ascent + descent} px)"
        )

    spec = raw["qr"]
    qr = QrSpec(
        x=spec["x"],
        y=spec["y"],
        size=spec["size"],
        dark=_rgb(spec.get("dark", "#000000")),
        light=_rgb(spec.get("light", "#FFFFFF")),
        error=spec.get("error", "M"),
        border=spec.get("border", 4),
    )
    inside("qr", (qr.x, qr.y, qr.x + qr.size, qr.y + qr.size))

    base.info.clear()
    return CardTemplate(path=path, width=width, height=height, name=name, fields=tuple(fields), qr=qr, base=base)


@functools.cache
def default_template() -> CardTemplate:
    """Return the town's default template, loaded once per process."""
    return load_template(DEFAULT_TEMPLATE)


def _resolve_font(folder: Path, spec: str, fail: _Fail) -> Path:
    if spec in BUILTIN_FONTS:
        module_name = BUILTIN_FONTS[spec]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise fail(f"font {spec!r} is not installed; pip install {module_name.replace('_', '-')}") from None
        font_path = Path(str(module.FONT_PATH))
    elif spec.lower().endswith((".otf", ".ttf")):
        font_path = folder / spec
    else:
        raise fail(f"{spec!r} is neither a built-in font ({', '.join(BUILTIN_FONTS)}) nor a .otf/.ttf file")
    if not font_path.is_file():
        raise fail(f"font file {font_path} not found")
    try:
        _font_codepoints(font_path)
        _font(font_path, 12)
    except (OSError, ValueError, struct.error) as exc:
        raise fail(f"cannot read font file {font_path}: {exc}") from None
    return font_path


def _open_png(folder: Path, name: str, fail: _Fail) -> Image.Image:
    file = folder / name
    try:
        with Image.open(file) as image:
            image.load()
            return image
    except FileNotFoundError:
        raise fail(f"file {file} not found") from None
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc}") from None


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _style(spec: dict[str, Any], font: Path) -> TextStyle:
    return TextStyle(font, spec["size"], _rgb(spec["color"]), spec["x"], spec["y"], spec.get("anchor", "la"))


def _check_format(fmt: str, fail: _Fail) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise fail(f"{fmt!r} is not a valid format: {exc}") from None
    for _, name, _, _ in parsed:
        if name is not None and name not in FIELD_PLACEHOLDERS:
            raise fail(f"unknown placeholder {{{name}}}; use {', '.join('{' + p + '}' for p in FIELD_PLACEHOLDERS)}")
    try:
        fmt.format(**_field_values(1, date(2026, 1, 1)))
    except (ValueError, TypeError) as exc:
        raise fail(f"{fmt!r} cannot be formatted: {exc}") from None


def _field_values(number: int, issued_on: date) -> dict[str, Any]:
    return {
        "number": number,
        "year": issued_on.year,
        "month": issued_on.month,
        "day": issued_on.day,
        "iso": issued_on.isoformat(),
    }


# ---- fonts and glyph coverage --------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def _font_codepoints(path: Path) -> frozenset[int]:
    """Read the code points an OpenType font maps to a real glyph, from its cmap table."""
    with open(path, "rb") as f:
        header = f.read(12)
        if header[:4] == b"ttcf":
            raise ValueError("font collections (.ttc) are not supported; use a single .otf/.ttf")
        (num_tables,) = struct.unpack(">H", header[4:6])
        records = f.read(16 * num_tables)
        for i in range(num_tables):
            tag, _, offset, length = struct.unpack(">4sIII", records[16 * i : 16 * i + 16])
            if tag == b"cmap":
                f.seek(offset)
                cmap = f.read(length)
                break
        else:
            raise ValueError("the font has no cmap table")

    (count,) = struct.unpack(">H", cmap[2:4])
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3)):
        if key in subtables:
            return _cmap_subtable(cmap, subtables[key])
    raise ValueError("the font has no Unicode cmap subtable")


def _cmap_subtable(cmap: bytes, offset: int) -> frozenset[int]:
    (fmt,) = struct.unpack(">H", cmap[offset : offset + 2])
    points: set[int] = set()
    if fmt == 12:
        (groups,) = struct.unpack(">I", cmap[offset + 12 : offset + 16])
        for g in range(groups):
            start, end, glyph = struct.unpack(">III", cmap[offset + 16 + 12 * g : offset + 28 + 12 * g])
            points.update(range(start + (glyph == 0), end + 1))
        return frozenset(points)
    if fmt == 4:
        (seg_x2,) = struct.unpack(">H", cmap[offset + 6 : offset + 8])
        segs = seg_x2 // 2
        ends = struct.unpack(f">{segs}H", cmap[offset + 14 : offset + 14 + seg_x2])
        starts_at = offset + 16 + seg_x2
        starts = struct.unpack(f">{segs}H", cmap[starts_at : starts_at + seg_x2])
        deltas = struct.unpack(f">{segs}h", cmap[starts_at + seg_x2 : starts_at + 2 * seg_x2])
        ranges_at = starts_at + 2 * seg_x2
        range_offsets = struct.unpack(f">{segs}H", cmap[ranges_at : ranges_at + seg_x2])
        for s in range(segs):
            for c in range(starts[s], ends[s] + 1):
                if c == 0xFFFF:
                    continue
                if range_offsets[s] == 0:
                    glyph = (c + deltas[s]) & 0xFFFF
                else:
                    at = ranges_at + 2 * s + range_offsets[s] + 2 * (c - starts[s])
                    (glyph,) = struct.unpack(">H", cmap[at : at + 2])
                    glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
                if glyph:
                    points.add(c)
        return frozenset(points)
    raise ValueError(f"cmap subtable format {fmt} is not supported")


def _missing_characters(font: Path, text: str) -> list[str]:
    covered = _font_codepoints(font)
    return sorted({c for c in text if ord(c) not in covered and c != " "})


def _describe(chars: list[str]) -> str:
    return ", ".join(f"{c!r} (U+{ord(c):04X} {_character_name(c)})" for c in chars)


def _character_name(char: str) -> str:
    kinds = {"Cc": "control character", "Co": "private use character", "Cn": "unassigned code point"}
    return unicodedata.name(char, None) or kinds.get(unicodedata.category(char), "unnamed character")


# ---- drawing -------------------------------------------------------------------------


def _text_box(draw: ImageDraw.ImageDraw, style: TextStyle, text: str) -> tuple[float, float, float, float]:
    return draw.textbbox((style.x, style.y), text, font=_font(style.font, style.size), anchor=style.anchor)


def _draw_text(draw: ImageDraw.ImageDraw, style: TextStyle, text: str) -> None:
    draw.text((style.x, style.y), text, font=_font(style.font, style.size), fill=style.color, anchor=style.anchor)


@dataclass(frozen=True)
class NameLayout:
    """Where a display name goes: font size, lines, baseline origins, and its ink box."""

    text: str
    size: int
    lines: tuple[str, ...]
    origins: tuple[tuple[int, int], ...]
    #: Union of the lines' ink (left, top, right, bottom) in card pixels.
    bbox: tuple[int, int, int, int]


def normalize_display_name(display_name: str) -> str:
    """Return the name as it is drawn (NFC, trimmed), or raise if it has undrawable characters."""
    text = unicodedata.normalize("NFC", display_name).strip()
    if not text:
        raise CardRenderError("display_name is empty")
    bad = sorted({c for c in text if unicodedata.category(c) in _UNDRAWABLE_CATEGORIES})
    if bad:
        raise CardRenderError(
            f"display_name {display_name!r} has characters that cannot be printed on the card: {_describe(bad)}"
        )
    return text


def layout_display_name(template: CardTemplate, display_name: str) -> NameLayout:
    """Fit a display name into the template's name box, or raise CardRenderError.

    The name is drawn on one line at the largest size from max_size down to min_size that
    fits; failing that, on two lines (split at a space, else between characters, keeping
    small kana and closing brackets off the start of a line); a name that does not fit on
    two lines at min_size is refused, never cut. Cheap enough to check a whole CSV upfront.
    """
    box = template.name
    text = normalize_display_name(display_name)
    missing = _missing_characters(box.font, text)
    if missing:
        raise CardRenderError(
            f"display_name {display_name!r} has characters the card font cannot draw: {_describe(missing)}"
        )

    size = _largest_fitting_size(box, lambda s: _place(box, s, text, (text,)))
    if size is not None:
        return _place(box, size, text, (text,))  # type: ignore[return-value]

    # Two lines: first at a space, then anywhere the line-breaking rules allow, and only
    # as a last resort inside a word; each time the most balanced splits first.
    splits = _line_splits(box, text)
    tried: list[tuple[tuple[str, str], ...]] = []
    for allowed in (lambda sp: sp.at_space and sp.clean, lambda sp: sp.clean, lambda sp: True):
        candidates = tuple(sp.lines for sp in splits if allowed(sp))[:_SPLITS_TRIED]
        if not candidates or candidates in tried:
            continue
        tried.append(candidates)

        def first_fit(s: int, candidates=candidates) -> NameLayout | None:
            for lines in candidates:
                layout = _place(box, s, text, lines)
                if layout is not None:
                    return layout
            return None

        size = _largest_fitting_size(box, first_fit)
        if size is not None:
            return first_fit(size)  # type: ignore[return-value]

    raise CardRenderError(
        f"display_name {display_name!r} ({len(text)} characters) does not fit on the card even on two lines "
        f"at the smallest size ({box.min_size} px); shorten it"
    )


def _largest_fitting_size(box: NameBox, fits: Callable[[int], NameLayout | None]) -> int | None:
    if fits(box.min_size) is None:
        return None
    low, high = box.min_size, box.max_size
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid) is not None:
            low = mid
        else:
            high = mid - 1
    return low


#: How many of the most balanced splits are tried at each size: a less balanced split has
#: a longer line and so does not fit where these do not (bounds the work for long names).
_SPLITS_TRIED = 4


@dataclass(frozen=True)
class _Split:
    lines: tuple[str, str]
    widest: float
    at_space: bool
    clean: bool


def _line_splits(box: NameBox, text: str) -> list[_Split]:
    """Every two-line split, most balanced first.

    A split is clean unless it breaks inside a word or puts a small kana or closing bracket
    at the start of a line. Balance is judged from per-character advances, close enough to
    order them; whether a split really fits is measured afterwards.
    """
    advances = [_advance(box.font, box.max_size, c) for c in text]
    total = sum(advances)
    splits: dict[tuple[str, str], _Split] = {}
    prefix = 0.0
    for i in range(1, len(text)):
        prefix += advances[i - 1]
        first, second = text[:i].rstrip(), text[i:].lstrip()
        if not first or not second or (first, second) in splits:
            continue
        at_space = text[i - 1].isspace() or text[i].isspace()
        in_word = not at_space and _is_word_char(text[i - 1]) and _is_word_char(text[i])
        breaks_rule = second[0] in _NO_LINE_START or first[-1] in _NO_LINE_END
        splits[first, second] = _Split(
            (first, second), max(prefix, total - prefix), at_space, not (in_word or breaks_rule)
        )
    return sorted(splits.values(), key=lambda sp: sp.widest)


@functools.lru_cache(maxsize=65536)
def _advance(font: Path, size: int, char: str) -> float:
    return _font(font, size).getlength(char)


def _is_word_char(c: str) -> bool:
    return ord(c) < 0x2E80 and (c.isalnum() or c in "'-’")


def _place(box: NameBox, size: int, text: str, lines: tuple[str, ...]) -> NameLayout | None:
    """Lay the lines out at this size, centred vertically in the box, or None if they do not fit."""
    font = _font(box.font, size)
    ascent, descent = font.getmetrics()
    pitch = round(size * box.line_spacing)
    block = ascent + descent + pitch * (len(lines) - 1)
    if block > box.height:
        return None
    top = box.y + (box.height - block) // 2
    origins, boxes = [], []
    for n, line in enumerate(lines):
        left, ink_top, right, ink_bottom = font.getbbox(line, anchor="ls")
        ink_width = right - min(left, 0)
        if ink_width > box.width:
            return None
        if box.align == "center":
            x = box.x + (box.width - (right - left)) // 2 - left
        else:
            x = box.x - min(left, 0)
        y = top + ascent + n * pitch
        ink = (x + left, y + ink_top, x + right, y + ink_bottom)
        if ink[0] < box.x or ink[1] < box.y or ink[2] > box.x + box.width or ink[3] > box.y + box.height:
            return None
        origins.append((x, y))
        boxes.append(ink)
    bbox = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return NameLayout(text, size, lines, tuple(origins), bbox)


def qr_matrix(template: CardTemplate, profile_url: str) -> tuple[tuple[bool, ...], ...]:
    """Return the QR modules (True = dark) printed on a card for this URL, without quiet zone."""
    code = segno.make(profile_url, error=template.qr.error, micro=False)
    return tuple(tuple(bool(m) for m in row) for row in code.matrix)


def _draw_qr(card: Image.Image, spec: QrSpec, matrix: tuple[tuple[bool, ...], ...]) -> None:
    modules = len(matrix)
    total = modules + 2 * spec.border
    pixels = spec.size // total
    if pixels < MIN_QR_MODULE_PIXELS:
        raise CardRenderError(
            f"profile_url needs a {modules}×{modules} QR code, too dense to scan in a {spec.size} px square; "
            "use a shorter URL or a larger [qr].size in the template"
        )
    offset = (spec.size - total * pixels) // 2
    left, top = spec.x + offset, spec.y + offset
    card.paste(spec.light, (left, top, left + total * pixels, top + total * pixels))
    mask = Image.frombytes("L", (modules, modules), bytes(255 if m else 0 for row in matrix for m in row))
    mask = mask.resize((modules * pixels, modules * pixels), Image.Resampling.NEAREST)
    card.paste(spec.dark, (left + spec.border * pixels, top + spec.border * pixels), mask)


def render_card_image(template: CardTemplate, face: CardFace) -> Image.Image:
    """Draw a card as a Pillow image (render_card returns it as PNG bytes)."""
    layout = layout_display_name(template, face.display_name)
    card = template.base.copy()
    draw = ImageDraw.Draw(card)
    name_font = _font(template.name.font, layout.size)
    for line, origin in zip(layout.lines, layout.origins, strict=True):
        draw.text(origin, line, font=name_font, fill=template.name.color, anchor="ls")

    values = _field_values(face.resident_number, face.issued_on)
    for spec in template.fields:
        text = spec.format.format(**values)
        box = _text_box(draw, spec.style, text)
        if box[0] < 0 or box[1] < 0 or box[2] > template.width or box[3] > template.height:
            raise CardRenderError(f"{text!r} reaches outside the card; check the field format {spec.format!r}")
        _draw_text(draw, spec.style, text)

    _draw_qr(card, template.qr, qr_matrix(template, face.profile_url))
    return card


def render_card(template: CardTemplate, face: CardFace) -> bytes:
    """Render a resident's card as deterministic PNG bytes."""
    return encode_png(render_card_image(template, face))


#: Width of the small card beside forum posts: shown 36 px wide, so sharp at 3x pixel density.
THUMBNAIL_WIDTH = 120


def render_thumbnail(card_png: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    """Scale a rendered card down to a small deterministic PNG (same card bytes -> same bytes)."""
    with Image.open(io.BytesIO(card_png)) as card:
        card = card.convert("RGB")
        height = round(card.height * width / card.width)
        # reducing_gap: a box reduction first, then Lanczos for the last step; 6x faster than
        # Lanczos all the way and indistinguishable at this size.
        return encode_png(card.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0))


def encode_png(image: Image.Image) -> bytes:
    """Encode an RGB image as a PNG with fixed settings and nothing but IHDR, IDAT and IEND.

    Written here rather than with Image.save: Pillow tries every PNG filter on every row,
    which takes longer than drawing the whole card, and may copy chunks (ICC profile, gamma,
    text) from the image's info. Rows are left unfiltered: the card is flat colours and
    uniform rows, which deflate compresses as well unfiltered as filtered (measured), in a
    third of the time. The bytes depend on the zlib CPython links (zlib.ZLIB_RUNTIME_VERSION).
    """
    if image.mode != "RGB":
        raise CardRenderError(f"only RGB images are encoded, got mode {image.mode}")
    width, height = image.size
    stride = 3 * width
    pixels = memoryview(image.tobytes())
    rows = b"".join(
        [part for i in range(0, len(pixels), stride) for part in (_PNG_FILTER_NONE, pixels[i : i + stride])]
    )
    compressor = zlib.compressobj(PNG_COMPRESS_LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", compressor.compress(rows) + compressor.flush()),
            _png_chunk(b"IEND", b""),
        )
    )


_PNG_FILTER_NONE = b"\x00"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
