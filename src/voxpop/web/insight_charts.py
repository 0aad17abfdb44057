"""Geometry of the insight pages' SVG pictures, drawn on the server.

Only numbers and colours are computed here; the templates write the SVG elements, so every label
(an event's name, a stage's name) goes through Jinja's autoescaping like any other text.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from voxpop.measure.changes import Change
from voxpop.measure.daily_series import DailySeries
from voxpop.measure.journey import JourneyView, Spot
from voxpop.store.models.insight import Event

WIDTH, HEIGHT = 900, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 16, 28
SMOOTH_DAYS = 7


@dataclass
class Marker:
    x: float
    label: str
    kind: str  # "up", "down" or "event"
    day: date
    link: str = ""


@dataclass
class LineChart:
    width: int
    height: int
    path: str
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    markers: list[Marker] = field(default_factory=list)
    empty: bool = False
    plot_top: int = PAD_TOP
    plot_bottom: int = HEIGHT - PAD_BOTTOM


def smoothed(series: DailySeries, days: int = SMOOTH_DAYS) -> list[float | None]:
    """The metric over the ``days`` days ending on each day (items pooled, not means averaged)."""
    values: list[float | None] = []
    for i in range(series.days):
        lo = max(0, i - days + 1)
        if series.metric == "volume":
            values.append(float(series.n[lo : i + 1].sum()) / (i + 1 - lo))
        else:
            count = float(series.n[lo : i + 1].sum())
            values.append(float(series.total[lo : i + 1].sum()) / count if count else None)
    return values


def _fmt(value: float, metric: str) -> str:
    if metric in ("negative_share",):
        return f"{value:.0%}"
    if metric == "rating":
        return f"{1 + 4 * value:.1f}★"
    return f"{value:.2f}"


def line_chart(
    series: DailySeries | None, changes: Sequence[Change], events: Sequence[Event], *, link_of_event: str = "/events/"
) -> LineChart:
    """A smoothed line of the metric, a marker at each change (up or down) and at each event."""
    if series is None or series.days == 0 or series.n.sum() == 0:
        return LineChart(WIDTH, HEIGHT, "", [], [], empty=True)
    values = smoothed(series)
    known = [v for v in values if v is not None]
    low, high = min(known), max(known)
    if series.metric in ("negative_share", "rating"):
        low, high = min(low, 0.0), max(high, 0.5)
    if high - low < 1e-9:
        high = low + 1.0
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(index: float) -> float:
        return PAD_LEFT + inner_w * (index / max(series.days - 1, 1))

    def y_of(value: float) -> float:
        return PAD_TOP + inner_h * (1 - (value - low) / (high - low))

    parts: list[str] = []
    pen_down = False
    for i, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x_of(i):.1f},{y_of(value):.1f}")
        pen_down = True
    y_ticks = [(y_of(low + (high - low) * k / 4), _fmt(low + (high - low) * k / 4, series.metric)) for k in range(5)]
    step = max(1, series.days // 6)
    x_ticks = [(x_of(i), series.day(i).isoformat()) for i in range(0, series.days, step)]
    markers = [
        Marker(x_of(c.index), f"{c.day}: {c.label} {c.direction}", c.direction, c.day, f"#change-{c.day}")
        for c in changes
    ]
    for event in events:
        index = (event.starts_on - series.start).days
        if 0 <= index < series.days:
            markers.append(
                Marker(
                    x_of(index),
                    f"{event.starts_on}: {event.name}",
                    "event",
                    event.starts_on,
                    f"{link_of_event}{event.id}",
                )
            )
    return LineChart(WIDTH, HEIGHT, " ".join(parts), y_ticks, x_ticks, markers)


# --- the journey map ---

STAGE_W, STAGE_GAP, HEAD_H, BOX_H, BOX_GAP, CURVE_H = 150, 12, 44, 64, 10, 90


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str
    lines: list[str]
    link: str


@dataclass
class JourneyPicture:
    width: float
    height: float
    stages: list[Box]
    touchpoints: list[Box]
    curve: str
    dots: list[tuple[float, float, str]]
    curve_top: float
    curve_bottom: float


def friction_colour(friction: float | None) -> str:
    """Green (no friction) through amber to red (all negative); grey when nothing was said."""
    if friction is None:
        return "#e9ecef"
    f = max(0.0, min(1.0, friction))
    stops = [(0.0, (43, 138, 62)), (0.25, (250, 176, 5)), (0.6, (224, 49, 49)), (1.0, (201, 42, 42))]
    for (a, ca), (b, cb) in itertools.pairwise(stops):
        if f <= b:
            t = (f - a) / (b - a)
            rgb = tuple(round(ca[i] + (cb[i] - ca[i]) * t) for i in range(3))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#c92a2a"


def _lines(spot: Spot) -> list[str]:
    if not spot.mentions:
        return ["no mentions"]
    net = f"{spot.net:+.2f}" if spot.net is not None else "–"
    volume = f"{spot.items} items" if spot.items is not None else f"{spot.mentions} mentions"
    return [f"{volume} · net {net}", f"friction {spot.friction or 0:.0%}"]


def journey_picture(view: JourneyView, link_of: Sequence[Sequence[str]], stage_links: Sequence[str]) -> JourneyPicture:
    """Stages left to right, their touchpoints below, coloured by friction; a net sentiment curve on top."""
    stages: list[Box] = []
    points: list[Box] = []
    dots: list[tuple[float, float, str]] = []
    deepest = max((len(s.touchpoints) for s in view.stages), default=0)
    curve_top, curve_bottom = 10.0, 10.0 + CURVE_H
    top = curve_bottom + 16
    for s, stage in enumerate(view.stages):
        x = 10 + s * (STAGE_W + STAGE_GAP)
        stages.append(
            Box(
                x,
                top,
                STAGE_W,
                HEAD_H,
                friction_colour(stage.stage.friction),
                stage.stage.name,
                _lines(stage.stage),
                stage_links[s],
            )
        )
        for t, point in enumerate(stage.touchpoints):
            y = top + HEAD_H + BOX_GAP + t * (BOX_H + BOX_GAP)
            points.append(
                Box(
                    x + 8,
                    y,
                    STAGE_W - 16,
                    BOX_H,
                    friction_colour(point.friction),
                    point.name,
                    _lines(point),
                    link_of[s][t],
                )
            )
        if stage.stage.net is not None:
            y = curve_top + (1 - (stage.stage.net + 1) / 2) * CURVE_H
            dots.append((x + STAGE_W / 2, y, f"{stage.stage.name}: net sentiment {stage.stage.net:+.2f}"))
    curve = " ".join(f"{'L' if i else 'M'}{x:.1f},{y:.1f}" for i, (x, y, _) in enumerate(dots))
    width = 20 + len(view.stages) * (STAGE_W + STAGE_GAP)
    height = top + HEAD_H + BOX_GAP + deepest * (BOX_H + BOX_GAP) + 10
    return JourneyPicture(width, height, stages, points, curve, dots, curve_top, curve_bottom)


def month_label(day: date) -> str:
    return f"{day:%Y-%m}"


def period_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
