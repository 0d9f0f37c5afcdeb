"""Small charts drawn on the server as SVG: a heat grid, horizontal bars, lines.

Each function returns a complete `<svg>` document as a safe string, to put in a page, send as a download or
draw into a PDF. Every piece of text is escaped here; callers pass plain strings. The charts carry a title
and a description for screen readers, but a page shows the same numbers in a table as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "font-family=\"Helvetica, Arial, sans-serif\""
INK = "#1b1f24"
MUTED = "#4a5360"
WITHHELD = "#d5d9de"
# Light to dark: readable on white, and its steps told apart without colour vision (lightness changes).
RAMP = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
SERIES = ["#08519c", "#b3261e", "#2e7d32", "#6a3d9a", "#ff7f00"]


def _t(value) -> str:
    return escape(str(value), quote=True)


def _svg(width: float, height: float, title: str, description: str, body: list[str]) -> SafeString:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {width:g} {height:g}" role="img" {FONT}>'
            f"<title>{_t(title)}</title><desc>{_t(description)}</desc>")
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every text above went through _t)


def ramp_colour(value: float, highest: float) -> str:
    """The ramp's colour for `value` on a scale from 0 to `highest`."""
    if highest <= 0 or value <= 0:
        return RAMP[0]
    step = min(len(RAMP) - 1, 1 + int((value / highest) * (len(RAMP) - 2) + 0.5))
    return RAMP[step]


def heat_grid_svg(*, rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[int | None]],
                  title: str, description: str, withheld_label: str = "", cell: int = 22,
                  label_width: int = 150) -> SafeString:
    """A grid of coloured cells, one row per label, one column per label; None draws a withheld cell (grey,
    with `withheld_label` as its tooltip). Each cell's tooltip gives its row, column and value."""
    highest = max([v for row in values for v in row if v is not None] + [0])
    top = 30
    width = label_width + cell * len(columns) + 10
    height = top + cell * len(rows) + 40
    body = []
    for j, column in enumerate(columns):
        if len(columns) <= 8 or j % 3 == 0:
            x = label_width + j * cell + cell / 2
            body.append(f'<text x="{x:g}" y="{top - 8}" font-size="10" text-anchor="middle" fill="{MUTED}">'
                        f"{_t(column)}</text>")
    for i, row in enumerate(rows):
        y = top + i * cell
        body.append(f'<text x="{label_width - 6}" y="{y + cell * 0.68:g}" font-size="11" text-anchor="end" '
                    f'fill="{INK}">{_t(row[:24])}</text>')
        for j, column in enumerate(columns):
            value = values[i][j]
            fill = WITHHELD if value is None else ramp_colour(value, highest)
            tip = f"{row}, {column}: {withheld_label if value is None else value}"
            body.append(f'<rect x="{label_width + j * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                        f'fill="{fill}"><title>{_t(tip)}</title></rect>')
    legend_y = top + len(rows) * cell + 14
    for k, colour in enumerate(RAMP):
        body.append(f'<rect x="{label_width + k * 14}" y="{legend_y}" width="14" height="10" fill="{colour}"/>')
    body.append(f'<text x="{label_width - 6}" y="{legend_y + 9}" font-size="10" text-anchor="end" '
                f'fill="{MUTED}">0</text>')
    body.append(f'<text x="{label_width + len(RAMP) * 14 + 4}" y="{legend_y + 9}" font-size="10" '
                f'fill="{MUTED}">{_t(highest)}</text>')
    if withheld_label:
        x = label_width + len(RAMP) * 14 + 60
        body.append(f'<rect x="{x}" y="{legend_y}" width="14" height="10" fill="{WITHHELD}"/>')
        body.append(f'<text x="{x + 18}" y="{legend_y + 9}" font-size="10" fill="{MUTED}">'
                    f"{_t(withheld_label)}</text>")
    return _svg(width, height, title, description, body)


def bar_chart_svg(*, labels: Sequence[str], values: Sequence[int | None], title: str, description: str,
                  withheld_label: str = "", label_width: int = 190, bar_space: int = 360) -> SafeString:
    """Horizontal bars, one per label, with the value written after each; None writes `withheld_label`."""
    row, bar, top = 24, 15, 8
    highest = max([v for v in values if v is not None] + [1])
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        body.append(f'<text x="{label_width - 6}" y="{y + bar - 3}" font-size="12" text-anchor="end" '
                    f'fill="{INK}">{_t(str(label)[:30])}</text>')
        length = 0.0 if value is None else round(value / highest * bar_space, 1)
        body.append(f'<rect x="{label_width}" y="{y}" width="{length:g}" height="{bar}" fill="{SERIES[0]}">'
                    f"<title>{_t(label)}: {_t(withheld_label if value is None else value)}</title></rect>")
        body.append(f'<text x="{label_width + length + 6:g}" y="{y + bar - 3}" font-size="12" fill="{INK}">'
                    f"{_t(withheld_label if value is None else value)}</text>")
    if not labels:
        body.append(f'<text x="8" y="24" font-size="13" fill="{MUTED}">{_t(description)}</text>')
    height = top * 2 + max(len(labels), 1) * row
    return _svg(label_width + bar_space + 80, height, title, description, body)


def line_chart_svg(*, labels: Sequence[str], series: dict[str, Sequence[float]], title: str, description: str,
                   width: int = 560, height: int = 220) -> SafeString:
    """One line per series over the labels (x), from zero up, with a legend."""
    left, right, top, bottom = 44, 12, 12, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([v for values in series.values() for v in values] + [1])
    steps = max(len(labels) - 1, 1)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{MUTED}"/>',
            f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end" fill="{MUTED}">{_t(highest)}</text>',
            f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end" fill="{MUTED}">0</text>']
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + plot_w * i / steps
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" '
                        f'fill="{MUTED}">{_t(label)}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES[k % len(SERIES)]
        points = " ".join(f"{left + plot_w * i / steps:.1f},{top + plot_h - plot_h * v / highest:.1f}"
                          for i, v in enumerate(values))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
                    f"<title>{_t(name)}</title></polyline>")
        body.append(f'<rect x="{left + k * 130}" y="{height - 16}" width="12" height="4" fill="{colour}"/>')
        body.append(f'<text x="{left + k * 130 + 16}" y="{height - 11}" font-size="11" fill="{INK}">'
                    f"{_t(name[:18])}</text>")
    return _svg(width, height, title, description, body)
