"""Charts as inline SVG, drawn on the server: the reports must work in an e-mail, offline and in a PDF,
where no script runs. Every label is escaped (they can be location or aspect names written by anyone)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#748ffc"
LINE = "#e8590c"
AXIS = "#adb5bd"
TEXT = "#495057"


def _num(value: float) -> str:
    return f"{value:.1f}"


def trend_svg(
    labels: Sequence[str],
    bars: Sequence[float | None],
    line: Sequence[float | None],
    *,
    bar_label: str = "Feedback",
    line_label: str = "Sentiment index",
    line_range: tuple[float, float] = (-100.0, 100.0),
    width: int = 720,
    height: int = 240,
) -> Markup:
    """Bars (e.g. volume, own scale from 0) with a line over them (e.g. sentiment, fixed range)."""
    left, right, top, bottom = 44, 44, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    step = plot_w / n
    top_bar = max([b for b in bars if b is not None] or [0]) or 1
    low, high = line_range
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(bar_label)} and {escape(line_label)}" '
        'font-family="sans-serif" font-size="10">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="{TEXT}">{int(top_bar)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="{TEXT}">0</text>',
        f'<text x="{left + plot_w + 4}" y="{top + 8}" fill="{LINE}">{_num(high)}</text>',
        f'<text x="{left + plot_w + 4}" y="{top + plot_h}" fill="{LINE}">{_num(low)}</text>',
    ]
    for i, value in enumerate(bars):
        if not value:
            continue
        h = plot_h * value / top_bar
        x = left + i * step + step * 0.15
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(top + plot_h - h)}" width="{_num(step * 0.7)}" height="{_num(h)}" '
            f'fill="{BAR}"><title>{escape(labels[i])}: {escape(str(value))}</title></rect>'
        )
    points = []
    for i, value in enumerate(line):
        if value is None:
            continue
        y = top + plot_h * (1 - (min(high, max(low, value)) - low) / (high - low))
        points.append(f"{_num(left + i * step + step / 2)},{_num(y)}")
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for point in points:
        cx, cy = point.split(",")
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{LINE}"/>')
    every = max(1, n // 8)
    for i in range(0, len(labels), every):
        parts.append(
            f'<text x="{_num(left + i * step + step / 2)}" y="{height - 18}" text-anchor="middle" '
            f'fill="{TEXT}">{escape(labels[i])}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 4}" fill="{BAR}">■ {escape(bar_label)}</text>'
        f'<text x="{left + 140}" y="{height - 4}" fill="{LINE}">● {escape(line_label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)


def bars_svg(
    labels: Sequence[str], values: Sequence[float], *, maximum: float, unit: str = "", width: int = 420
) -> Markup:
    """Horizontal bars, one per label (e.g. average stars per platform)."""
    row, label_w = 22, 120
    height = row * max(1, len(labels)) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-family="sans-serif" font-size="11">'
    ]
    plot_w = width - label_w - 50
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * row
        w = plot_w * max(0.0, value) / maximum if maximum else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{_num(w)}" height="{row - 8}" fill="{BAR}"/>'
            f'<text x="{_num(label_w + w + 4)}" y="{y + 14}" fill="{TEXT}">{value:.2f}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)
