"""Small charts drawn as SVG on the server: no script, no CDN, readable without seeing them.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>` (what
it shows and its highest value), and the page shows the same numbers as a table beside it. The
SVG carries classes only; colours come from staff.css, as the Content-Security-Policy forbids
inline styles. Coordinates use a 360-unit-wide view box so text stays legible on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
FONT_SIZE = 11
#: Longest label drawn in a bar chart; the table beside it shows the whole text.
LABEL_CHARACTERS = 28


@dataclass(frozen=True)
class ChartValue:
    """One labelled number: a month, an event."""

    label: str
    value: int
    #: The number as people read it in their language ("1,234").
    shown: str


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the table with the same numbers."""

    chart_id: str
    title: str
    svg: Markup
    headings: Sequence[str]
    rows: Sequence[Sequence[str]]


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    # aria-labelledby names the image by its title and describes it by its desc in one string,
    # which screen readers announce for role="img" whatever their SVG support.
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _text(x: float, y: float, content: str, css_class: str, anchor: str = "middle") -> str:
    return f'<text class="{css_class}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_SIZE}">{escape(content)}</text>'


def _shortened(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def column_chart(chart_id: str, title: str, description: str, values: Sequence[ChartValue]) -> Markup:
    """Draw one vertical bar per value (e.g. per month), its number above it."""
    height, top, bottom, side = 200, 18, 24, 6
    plot_height = height - top - bottom
    highest = max((item.value for item in values), default=0) or 1
    slot = (WIDTH - 2 * side) / max(len(values), 1)
    body = [f'<line class="chart-axis" x1="{side}" y1="{height - bottom}" x2="{WIDTH - side}" y2="{height - bottom}"/>']
    for index, item in enumerate(values):
        bar_height = plot_height * item.value / highest
        x = side + index * slot
        y = height - bottom - bar_height
        body.append(f'<rect class="chart-bar" x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}"/>')
        body.append(_text(x + slot / 2, y - 4, item.shown, "chart-value"))
        body.append(_text(x + slot / 2, height - bottom + 15, item.label, "chart-label"))
    return _svg(chart_id, title, description, height, body)


def bar_chart(chart_id: str, title: str, description: str, values: Sequence[ChartValue]) -> Markup:
    """Draw one horizontal bar per value (e.g. per event), its label above it and number after it."""
    row_height, side, number_room = 40, 6, 48
    height = max(len(values), 1) * row_height + 4
    highest = max((item.value for item in values), default=0) or 1
    track = WIDTH - 2 * side - number_room
    body: list[str] = []
    for index, item in enumerate(values):
        y = index * row_height
        length = track * item.value / highest
        body.append(_text(side, y + 14, _shortened(item.label), "chart-label", anchor="start"))
        body.append(f'<rect class="chart-bar" x="{side}" y="{y + 19}" width="{length:.1f}" height="14"/>')
        body.append(_text(side + length + 6, y + 30, item.shown, "chart-value", anchor="start"))
    return _svg(chart_id, title, description, height, body)


def line_chart(chart_id: str, title: str, description: str, values: Sequence[ChartValue]) -> Markup:
    """Draw the values as a line with a dot at each (e.g. residents in total, month by month)."""
    height, top, bottom, side = 200, 18, 24, 18
    plot_height = height - top - bottom
    highest = max((item.value for item in values), default=0) or 1
    step = (WIDTH - 2 * side) / max(len(values) - 1, 1)
    points = [(side + index * step, height - bottom - plot_height * item.value / highest) for index, item in enumerate(values)]
    body = [f'<line class="chart-axis" x1="{side}" y1="{height - bottom}" x2="{WIDTH - side}" y2="{height - bottom}"/>']
    if points:
        body.append('<polyline class="chart-line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    for (x, y), item in zip(points, values, strict=True):
        body.append(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
        body.append(_text(x, height - bottom + 15, item.label, "chart-label"))
    if values:
        # Only the latest number is written on the line; the table has every one.
        last_x, last_y = points[-1]
        body.append(_text(last_x, last_y - 7, values[-1].shown, "chart-value", anchor="end"))
    return _svg(chart_id, title, description, height, body)


def highest_of(values: Sequence[ChartValue]) -> ChartValue | None:
    """Return the value with the largest number (the first one on a tie), for the description."""
    return max(values, key=lambda item: item.value, default=None)
