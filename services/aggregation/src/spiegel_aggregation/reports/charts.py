"""Charts as plain shapes, drawn once and rendered twice: inline SVG (page) and reportlab (PDF).

- themes: per theme a bar for all visible others and a marker for the self-view;
- statement: the scale as a line, a bar for all others, a marker per visible
  group (its own shape and colour) and the self marker;
- distribution: one 100 % bar of all others' answers, coloured per scale point.
Texts inside charts are escaped by the renderers, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape

SELF_COLOUR = "#c2410c"
OTHERS_COLOUR = "#93c5fd"
AXIS_COLOUR = "#94a3b8"
TEXT_COLOUR = "#1e293b"
GROUP_STYLES = [
    ("#1d4ed8", "circle"),
    ("#047857", "square"),
    ("#7c3aed", "triangle"),
    ("#b45309", "circle"),
    ("#be185d", "square"),
    ("#0f766e", "triangle"),
]
SCALE_COLOURS = ["#b91c1c", "#f97316", "#e5e7eb", "#60a5fa", "#1d4ed8"]


@dataclass(frozen=True)
class Shape:
    kind: str  # rect, line, marker, text
    x: float
    y: float
    w: float = 0
    h: float = 0
    colour: str = TEXT_COLOUR
    marker: str = ""
    text: str = ""
    size: float = 9
    anchor: str = "start"
    bold: bool = False


@dataclass
class Chart:
    width: float
    height: float
    shapes: list[Shape] = field(default_factory=list)
    title: str = ""

    def add(self, shape: Shape) -> None:
        self.shapes.append(shape)


def group_style(index: int) -> tuple[str, str]:
    return GROUP_STYLES[index % len(GROUP_STYLES)]


def scale_colours(points: int) -> list[str]:
    if points == len(SCALE_COLOURS):
        return SCALE_COLOURS
    # Interpolate red -> grey -> blue for other scales.
    found = []
    for i in range(points):
        t = i / max(1, points - 1)
        if t < 0.5:
            a, b, u = (185, 28, 28), (229, 231, 235), t / 0.5
        else:
            a, b, u = (229, 231, 235), (29, 78, 216), (t - 0.5) / 0.5
        found.append("#" + "".join(f"{round(a[k] + (b[k] - a[k]) * u):02x}" for k in range(3)))
    return found


def _x(value: float, lo: int, hi: int, left: float, width: float) -> float:
    return left + (value - lo) / (hi - lo) * width


def themes_chart(
    themes: Sequence[Mapping[str, Any]], lo: int, hi: int, labels: Mapping[str, str], lang: str
) -> Chart:
    label_w, right, row = 170.0, 20.0, 26.0
    width = 520.0
    plot_w = width - label_w - right
    chart = Chart(width, 30 + row * len(themes) + 26, title=labels["themes_chart"])
    top = 18.0
    for v in range(lo, hi + 1):
        x = _x(v, lo, hi, label_w, plot_w)
        chart.add(Shape("line", x, top - 4, 0, row * len(themes) + 4, AXIS_COLOUR))
        chart.add(Shape("text", x, top - 7, text=str(v), size=8, anchor="middle", colour=AXIS_COLOUR))
    for i, theme in enumerate(themes):
        y = top + i * row
        chart.add(
            Shape("text", label_w - 8, y + row / 2 + 3, text=theme["label"][lang], size=9, anchor="end")
        )
        others = (theme.get("others") or {}).get("mean")
        if others is not None:
            chart.add(
                Shape(
                    "rect",
                    label_w,
                    y + 6,
                    _x(others, lo, hi, label_w, plot_w) - label_w,
                    row - 12,
                    OTHERS_COLOUR,
                )
            )
            chart.add(
                Shape(
                    "text",
                    _x(others, lo, hi, label_w, plot_w) - 3,
                    y + row / 2 + 3,
                    text=f"{others:.1f}".replace(".", "," if lang == "nl" else "."),
                    size=7,
                    anchor="end",
                )
            )
        if theme.get("self") is not None:
            chart.add(
                Shape(
                    "marker",
                    _x(theme["self"], lo, hi, label_w, plot_w),
                    y + row / 2,
                    9,
                    9,
                    SELF_COLOUR,
                    marker="diamond",
                )
            )
    legend_y = top + row * len(themes) + 14
    chart.add(Shape("rect", label_w, legend_y - 7, 14, 8, OTHERS_COLOUR))
    chart.add(Shape("text", label_w + 18, legend_y, text=labels["others"], size=8))
    chart.add(Shape("marker", label_w + 130, legend_y - 3, 9, 9, SELF_COLOUR, marker="diamond"))
    chart.add(Shape("text", label_w + 138, legend_y, text=labels["self"], size=8))
    return chart


def statement_chart(
    statement: Mapping[str, Any], groups: Sequence[str], lo: int, hi: int, width: float = 230.0
) -> Chart:
    height = 26.0
    chart = Chart(width, height)
    left, plot_w, mid = 6.0, width - 12.0, 13.0
    chart.add(Shape("line", left, mid, plot_w, 0, AXIS_COLOUR))
    for v in range(lo, hi + 1):
        chart.add(Shape("line", _x(v, lo, hi, left, plot_w), mid - 3, 0, 6, AXIS_COLOUR))
    others = (statement.get("others") or {}).get("mean")
    if others is not None:
        chart.add(Shape("rect", left, mid - 5, _x(others, lo, hi, left, plot_w) - left, 10, OTHERS_COLOUR))
    for index, code in enumerate(groups):
        cell = statement["groups"].get(code) or {}
        if cell.get("mean") is not None:
            colour, marker = group_style(index)
            chart.add(
                Shape("marker", _x(cell["mean"], lo, hi, left, plot_w), mid, 7, 7, colour, marker=marker)
            )
    if statement.get("self") is not None:
        chart.add(
            Shape(
                "marker",
                _x(statement["self"], lo, hi, left, plot_w),
                mid,
                9,
                9,
                SELF_COLOUR,
                marker="diamond",
            )
        )
    return chart


def distribution_chart(distribution: Sequence[int] | None, width: float = 110.0) -> Chart:
    chart = Chart(width, 26.0)
    total = sum(distribution or ())
    if not total:
        return chart
    # The accessible name of the chart (screen readers; axe-core's svg-img-alt): score: count.
    chart.title = " · ".join(f"{score}: {count}" for score, count in enumerate(distribution or (), start=1))
    colours = scale_colours(len(distribution or ()))
    x = 0.0
    for count, colour in zip(distribution or (), colours, strict=True):
        w = width * count / total
        if w > 0:
            chart.add(Shape("rect", x, 7, w, 12, colour))
            if w >= 14:
                chart.add(
                    Shape(
                        "text",
                        x + w / 2,
                        16,
                        text=str(count),
                        size=7,
                        anchor="middle",
                        colour="#ffffff" if colour in ("#b91c1c", "#1d4ed8") else TEXT_COLOUR,
                    )
                )
        x += w
    return chart


def legend_chart(entries: Sequence[tuple[str, str, str]], width: float = 500.0) -> Chart:
    """(label, colour, marker) per entry, in one line."""
    chart = Chart(width, 14.0)
    x = 6.0
    for label, colour, marker in entries:
        if marker == "bar":
            chart.add(Shape("rect", x - 5, 3, 14, 8, colour))
            x += 6
        else:
            chart.add(Shape("marker", x, 7, 8, 8, colour, marker=marker))
        chart.add(Shape("text", x + 8, 10, text=label, size=7.5, colour="#64748b"))
        x += 16 + len(label) * 4.2
    return chart


# -- SVG ------------------------------------------------------------------------------------


def _svg_marker(s: Shape) -> str:
    r = s.w / 2
    if s.marker == "square":
        return (
            f'<rect x="{s.x - r:.1f}" y="{s.y - r:.1f}" width="{s.w:.1f}" height="{s.w:.1f}" '
            f'fill="{s.colour}"/>'
        )
    if s.marker == "triangle":
        points = f"{s.x:.1f},{s.y - r:.1f} {s.x + r:.1f},{s.y + r:.1f} {s.x - r:.1f},{s.y + r:.1f}"
        return f'<polygon points="{points}" fill="{s.colour}"/>'
    if s.marker == "diamond":
        points = (
            f"{s.x:.1f},{s.y - r:.1f} {s.x + r:.1f},{s.y:.1f} {s.x:.1f},{s.y + r:.1f} {s.x - r:.1f},{s.y:.1f}"
        )
        return f'<polygon points="{points}" fill="{s.colour}" stroke="#ffffff" stroke-width="1"/>'
    return f'<circle cx="{s.x:.1f}" cy="{s.y:.1f}" r="{r:.1f}" fill="{s.colour}"/>'


def to_svg(chart: Chart, label: str = "") -> str:
    name = label or chart.title
    # A chart without a name repeats numbers printed beside it: hidden from assistive technology
    # rather than an image without a name (WCAG 1.1.1).
    access = f'role="img" aria-label="{escape(name)}"' if name else 'aria-hidden="true" focusable="false"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" '
        f'width="{chart.width:.0f}" height="{chart.height:.0f}" {access}>'
    ]
    for s in chart.shapes:
        if s.kind == "rect":
            parts.append(
                f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{max(0, s.w):.1f}" height="{s.h:.1f}" '
                f'rx="2" fill="{s.colour}"/>'
            )
        elif s.kind == "line":
            parts.append(
                f'<line x1="{s.x:.1f}" y1="{s.y:.1f}" x2="{s.x + s.w:.1f}" y2="{s.y + s.h:.1f}" '
                f'stroke="{s.colour}" stroke-width="1"/>'
            )
        elif s.kind == "marker":
            parts.append(_svg_marker(s))
        elif s.kind == "text":
            weight = ' font-weight="bold"' if s.bold else ""
            parts.append(
                f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size}" text-anchor="{s.anchor}" '
                f'fill="{s.colour}"{weight}>{escape(s.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# -- reportlab ----------------------------------------------------------------------------------


def to_drawing(chart: Chart) -> Any:
    from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
    from reportlab.lib.colors import HexColor, white

    drawing = Drawing(chart.width, chart.height)

    def y(value: float) -> float:  # SVG's y grows downwards, PDF's upwards
        return chart.height - value

    for s in chart.shapes:
        colour = HexColor(s.colour)
        if s.kind == "rect" and s.w > 0:
            drawing.add(Rect(s.x, y(s.y + s.h), s.w, s.h, fillColor=colour, strokeColor=None, rx=2, ry=2))
        elif s.kind == "line":
            drawing.add(Line(s.x, y(s.y), s.x + s.w, y(s.y + s.h), strokeColor=colour, strokeWidth=0.8))
        elif s.kind == "marker":
            r = s.w / 2
            cy = y(s.y)
            if s.marker == "square":
                drawing.add(Rect(s.x - r, cy - r, s.w, s.w, fillColor=colour, strokeColor=None))
            elif s.marker == "triangle":
                drawing.add(
                    Polygon(
                        [s.x, cy + r, s.x + r, cy - r, s.x - r, cy - r], fillColor=colour, strokeColor=None
                    )
                )
            elif s.marker == "diamond":
                drawing.add(
                    Polygon(
                        [s.x, cy + r, s.x + r, cy, s.x, cy - r, s.x - r, cy],
                        fillColor=colour,
                        strokeColor=white,
                        strokeWidth=0.8,
                    )
                )
            else:
                drawing.add(Circle(s.x, cy, r, fillColor=colour, strokeColor=None))
        elif s.kind == "text":
            anchor = {"start": "start", "middle": "middle", "end": "end"}[s.anchor]
            drawing.add(
                String(
                    s.x,
                    y(s.y),
                    s.text,
                    fontSize=s.size,
                    fillColor=colour,
                    textAnchor=anchor,
                    fontName="Helvetica-Bold" if s.bold else "Helvetica",
                )
            )
    return drawing
