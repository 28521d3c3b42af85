"""Draw the default card background and the town emblem with Pillow.

Run from the repository root to regenerate both PNG files next to this script:

    python minting/card_template/make_assets.py

Nothing here is random: the mountains are sums of sines and everything is drawn at twice
the size and reduced with one fixed filter, so the same Pillow gives the same files. The
committed PNGs are the source of truth for card renders; regenerating them with another
Pillow may change their bytes and therefore every card's CID.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1200, 756
SCALE = 2  # supersampling factor for smooth curves

PAPER_TOP = (250, 247, 240)
PAPER_BOTTOM = (240, 234, 220)
HEADER_LEFT = (20, 58, 68)
HEADER_RIGHT = (38, 92, 92)
GOLD = (200, 162, 74)
FAR_RIDGE = (205, 219, 220)
SNOW = (244, 247, 247)
MID_RIDGE = (160, 189, 172)
NEAR_RIDGE = (58, 101, 88)
PANEL = (255, 255, 255)
PANEL_EDGE = (216, 207, 188)
RULE = (207, 198, 179)
HEADER_HEIGHT = 168


def _lerp(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _ridge(width: int, base: float, terms: list[tuple[float, float, float]]) -> list[float]:
    """Heights of a ridgeline: base plus sum of amplitude*sin(frequency*x + phase)."""
    return [
        base + sum(amp * math.sin(freq * x / width * 2 * math.pi + phase) for amp, freq, phase in terms)
        for x in range(width + 1)
    ]


def _fill_below(draw: ImageDraw.ImageDraw, heights: list[float], bottom: int, fill) -> None:
    points = [(x, y) for x, y in enumerate(heights)]
    draw.polygon([*points, (len(heights) - 1, bottom), (0, bottom)], fill=fill)


def _gassan(width: int, peak_x: float, peak_y: float, half_width: float, foot_y: float) -> list[float]:
    """A broad shield volcano like Gassan: a cosine dome over the plain at foot_y."""
    heights = []
    for x in range(width + 1):
        d = (x - peak_x) / half_width
        heights.append(foot_y - (foot_y - peak_y) * (math.cos(d * math.pi) + 1) / 2 if abs(d) < 1 else foot_y)
    return heights


def draw_background() -> Image.Image:
    w, h = WIDTH * SCALE, HEIGHT * SCALE
    card = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(card)

    for y in range(h):
        draw.line([(0, y), (w, y)], fill=_lerp(PAPER_TOP, PAPER_BOTTOM, y / h))

    header = HEADER_HEIGHT * SCALE
    for x in range(w):
        draw.line([(x, 0), (x, header)], fill=_lerp(HEADER_LEFT, HEADER_RIGHT, x / w))
    draw.rectangle([0, header, w, header + 4 * SCALE], fill=GOLD)

    # Gassan on the right, behind the QR panel; lower hills across the whole width.
    far = _gassan(w, peak_x=0.74 * w, peak_y=586 * SCALE, half_width=0.42 * w, foot_y=700 * SCALE)
    hills = _ridge(w, 676 * SCALE, [(10 * SCALE, 1.5, 0.2), (5 * SCALE, 3.5, 1.3)])
    far = [min(a, b) for a, b in zip(far, hills, strict=True)]
    _fill_below(draw, far, h, FAR_RIDGE)
    # Snow on the summit, with a ragged lower edge.
    snow_edge = [(606 + 5 * math.sin(x / w * 70) + 3 * math.sin(x / w * 23)) * SCALE for x in range(w + 1)]
    capped = [x for x in range(w + 1) if far[x] < snow_edge[x]]
    if capped:
        top = [(x, far[x]) for x in capped]
        bottom = [(x, snow_edge[x]) for x in reversed(capped)]
        draw.polygon(top + bottom, fill=SNOW)

    mid = _ridge(w, 690 * SCALE, [(14 * SCALE, 2.0, 0.6), (8 * SCALE, 5.0, 1.9), (3 * SCALE, 11.0, 0.3)])
    _fill_below(draw, mid, h, MID_RIDGE)
    near = _ridge(w, 722 * SCALE, [(9 * SCALE, 1.3, 2.2), (5 * SCALE, 4.0, 0.4), (2 * SCALE, 13.0, 1.1)])
    _fill_below(draw, near, h, NEAR_RIDGE)

    # The QR panel and the rule under the name sit on the paper.
    draw.rounded_rectangle(
        [842 * SCALE, 196 * SCALE, 1158 * SCALE, 562 * SCALE],
        radius=18 * SCALE,
        fill=PANEL,
        outline=PANEL_EDGE,
        width=2 * SCALE,
    )
    draw.rectangle([60 * SCALE, 392 * SCALE, 800 * SCALE, 394 * SCALE - 1], fill=RULE)

    return card.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def draw_logo(size: int = 240) -> Image.Image:
    """The emblem: Gassan above the Sagae river inside a gold ring."""
    s = size * SCALE
    logo = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    c = s / 2
    draw.ellipse([0, 0, s - 1, s - 1], fill=(*GOLD, 255))
    ring = s * 0.055
    draw.ellipse([ring, ring, s - 1 - ring, s - 1 - ring], fill=(250, 247, 240, 255))
    inner = s * 0.1
    draw.ellipse([inner, inner, s - 1 - inner, s - 1 - inner], fill=(*HEADER_LEFT, 255))

    mountain = Image.new("L", (s, s), 0)
    mdraw = ImageDraw.Draw(mountain)
    dome = _gassan(s, peak_x=c, peak_y=s * 0.27, half_width=s * 0.46, foot_y=s * 0.64)
    mdraw.polygon([*enumerate(dome), (s, s), (0, s)], fill=255)
    snow = Image.new("L", (s, s), 0)
    ImageDraw.Draw(snow).polygon(
        [(x, y) for x, y in enumerate(dome) if y < s * 0.37]
        + [(c + s * 0.14, s * 0.40), (c, s * 0.36), (c - s * 0.14, s * 0.40)],
        fill=255,
    )

    disc = Image.new("L", (s, s), 0)
    ImageDraw.Draw(disc).ellipse([inner, inner, s - 1 - inner, s - 1 - inner], fill=255)
    from PIL import ImageChops

    logo.paste((*MID_RIDGE, 255), (0, 0), ImageChops.multiply(mountain, disc))
    logo.paste((*SNOW, 255), (0, 0), ImageChops.multiply(snow, disc))

    river = Image.new("L", (s, s), 0)
    rdraw = ImageDraw.Draw(river)
    for k, y0 in enumerate((0.72, 0.81)):
        pts = [(x, s * y0 + s * 0.025 * math.sin(x / s * 4 * math.pi + k)) for x in range(0, s + 1, 2)]
        rdraw.line(pts, fill=255, width=round(s * 0.035))
    logo.paste((120, 178, 196, 255), (0, 0), ImageChops.multiply(river, disc))

    return logo.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    draw_background().save(HERE / "background.png", "PNG", optimize=True)
    draw_logo().save(HERE / "logo.png", "PNG", optimize=True)
    print(f"wrote {HERE / 'background.png'} and {HERE / 'logo.png'}")


if __name__ == "__main__":
    main()
