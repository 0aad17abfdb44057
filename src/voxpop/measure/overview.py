"""What the dashboard and the reports show: KPIs against the previous period, the trend, the drivers
that moved sentiment, the aspect × location heat map, ratings per platform and a line per department.

Everything is read from the roll-ups (``measure.series``), scoped to the viewer, and every number
carries the inbox link that lists the items behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from voxpop.act.departments import list_departments
from voxpop.errors import ValidationError
from voxpop.measure.metrics import COUNTERS, Estimate, Metrics, Totals, format_minutes
from voxpop.measure.series import TREND_COUNTERS, Grain, Point, Slice, breakdown, bucket, buckets, cube, series, summary
from voxpop.store.models import User

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
TOP_DRIVERS = 5
HEAT_ASPECTS = 10
HEAT_LOCATIONS = 8


def period_slice(
    today: date,
    period: str = "30d",
    date_from: date | None = None,
    date_to: date | None = None,
    **filters: Any,
) -> Slice:
    """The slice for a named period ending today (``7d``, ``30d``…) or for explicit dates."""
    if date_from or date_to:
        if not (date_from and date_to):
            raise ValidationError("give both date_from and date_to, or a period")
        return Slice(date_from, date_to, **filters)
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}")
    days = PERIODS[period]
    return Slice(today - timedelta(days=days - 1), today, **filters)


def grain_for(s: Slice) -> str:
    return "day" if s.days <= 62 else "week" if s.days <= 400 else "month"


def inbox_link(s: Slice, *, date_from: date | None = None, date_to: date | None = None, **extra: Any) -> str:
    """The inbox URL listing the items behind a number of this slice (plus ``extra`` filters)."""
    params: dict[str, Any] = {
        "date_from": (date_from or s.date_from).isoformat(),
        "date_to": (date_to or s.date_to).isoformat(),
        "channel": s.channel,
        "department_id": s.department_id,
        "location": s.location,
        "aspect": s.aspect,
    }
    if s.dimension == "source":
        params["source_id"] = s.value
    elif s.dimension in ("kind", "product"):
        params[s.dimension] = s.value
    params.update(extra)
    return "/inbox?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    text: str  # the value as shown ("too few answers" when below the threshold)
    value: float | None
    previous: float | None
    delta_text: str
    trend: str  # "up" / "down" / "flat" / "" — which way the number moved
    good: bool | None  # whether that move is good news
    interval: str
    n: int
    link: str
    too_few: bool = False


def _signed(value: float, unit: str, digits: int) -> str:
    return f"{value:+.{digits}f}{unit}"


def _kpi(
    key: str,
    label: str,
    now: Estimate,
    before: Estimate,
    link: str,
    *,
    unit: str = "",
    digits: int = 0,
    higher_is_better: bool = True,
    show: Callable[[float], str] | None = None,
) -> Kpi:
    fmt = show or (lambda v: f"{v:.{digits}f}{unit}")
    value, previous = now.shown, before.shown
    delta = None if value is None or previous is None else value - previous
    interval = ""
    if value is not None and now.low is not None and now.high is not None:
        interval = f"95% CI {fmt(now.low)} – {fmt(now.high)}"
    trend = "" if delta is None else "flat" if abs(delta) < 10 ** (-digits) / 2 else "up" if delta > 0 else "down"
    return Kpi(
        key=key,
        label=label,
        text=fmt(value) if value is not None else ("too few answers" if now.n else "no data"),
        value=value,
        previous=previous,
        delta_text="" if delta is None else _signed(delta, unit, digits),
        trend=trend,
        good=None if trend in ("", "flat") else (trend == "up") == higher_is_better,
        interval=interval,
        n=now.n,
        link=link,
        too_few=value is None and now.n > 0,
    )


def _count(value: int) -> Estimate:
    return Estimate(float(value), None, None, value, False)


def kpis(s: Slice, now: Metrics, before: Metrics) -> list[Kpi]:
    stars = lambda v: f"{1 + 4 * v:.2f}★"  # noqa: E731 (the 0–1 rating shown as stars)
    median_now, median_before = now.median_response_minutes, before.median_response_minutes
    response = Kpi(
        key="response_time",
        label="Median response time",
        text=format_minutes(median_now) if median_now is not None else "no answers yet",
        value=median_now,
        previous=median_before,
        delta_text=""
        if median_now is None or median_before is None
        else ("+" if median_now >= median_before else "−") + format_minutes(abs(median_now - median_before)),
        trend=""
        if median_now is None or median_before is None or median_now == median_before
        else "up"
        if median_now > median_before
        else "down",
        good=None
        if median_now is None or median_before is None or median_now == median_before
        else median_now < median_before,
        interval="",
        n=now.totals.responded,
        link=inbox_link(s, responded=1),
    )
    return [
        _kpi("volume", "Feedback", _count(now.volume), _count(before.volume), inbox_link(s), higher_is_better=True),
        _kpi("rating", "Average rating", now.rating, before.rating, inbox_link(s), show=stars, digits=2),
        _kpi("sentiment", "Sentiment index", now.sentiment, before.sentiment, inbox_link(s)),
        _kpi("nps", "NPS", now.nps, before.nps, inbox_link(s, kind="survey")),
        _kpi("csat", "CSAT", now.csat, before.csat, inbox_link(s, kind="survey"), unit="%"),
        _kpi("ces", "CES (1–7)", now.ces, before.ces, inbox_link(s, kind="survey"), digits=2, higher_is_better=False),
        _kpi("response_rate", "Response rate", now.response_rate, before.response_rate, inbox_link(s), unit="%"),
        response,
        _kpi(
            "sla_breaches",
            "SLA breaches",
            _count(now.sla_breaches),
            _count(before.sla_breaches),
            inbox_link(s, breached=1),
            higher_is_better=False,
        ),
    ]


@dataclass(frozen=True)
class Driver:
    """An aspect's contribution to the change of sentiment: ``impact`` = ``mix`` + ``rate`` (index points).

    ``mix`` is "more (or fewer) people talk about it" (share change × old sentiment); ``rate`` is "it got
    better (or worse)" (new share × sentiment change)."""

    aspect: str
    impact: float
    mix: float
    rate: float
    mentions: int
    previous_mentions: int
    sentiment: float | None
    previous_sentiment: float | None
    share_change: float
    link: str

    @property
    def reason(self) -> str:
        """ "mentioned more/less" when the mix effect dominates, else "got better/worse"."""
        if not self.previous_mentions:
            return "new this period"
        if not self.mentions:
            return "no longer mentioned"
        if abs(self.mix) >= abs(self.rate):
            return "mentioned more" if self.share_change > 0 else "mentioned less"
        return "got better" if self.rate > 0 else "got worse"


def _index(m: Metrics | None) -> float:
    if m is None or not m.totals.analysed:
        return 0.0
    return 100 * (m.totals.positive - m.totals.negative) / m.totals.analysed


def drivers(s: Slice, current: dict[str, Metrics], previous: dict[str, Metrics], min_n: int) -> list[Driver]:
    """Aspects ranked by their impact on the change of sentiment (shift-share over mention shares)."""
    n_now = sum(m.volume for m in current.values()) or 1
    n_before = sum(m.volume for m in previous.values()) or 1
    found: list[Driver] = []
    for aspect in set(current) | set(previous):
        now, before = current.get(aspect), previous.get(aspect)
        mentions, earlier = (now.volume if now else 0), (before.volume if before else 0)
        if max(mentions, earlier) < min_n:
            continue
        share_now, share_before = mentions / n_now, earlier / n_before
        s_now, s_before = _index(now), _index(before)
        # An aspect new this period (or gone) changed by its mentions alone: no "got worse" against nothing.
        if before is None or not before.totals.analysed:
            s_before = s_now
        if now is None or not now.totals.analysed:
            s_now = s_before
        mix = (share_now - share_before) * s_before
        rate = share_now * (s_now - s_before)
        found.append(
            Driver(
                aspect=aspect,
                impact=mix + rate,
                mix=mix,
                rate=rate,
                mentions=mentions,
                previous_mentions=earlier,
                sentiment=s_now if now and now.totals.analysed else None,
                previous_sentiment=s_before if before and before.totals.analysed else None,
                share_change=share_now - share_before,
                link=inbox_link(replace(s, aspect=aspect) if not s.dimension else s, aspect=aspect),
            )
        )
    return sorted(found, key=lambda d: -abs(d.impact))


@dataclass
class HeatMap:
    aspects: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], Metrics] = field(default_factory=dict)

    def level(self, aspect: str, location: str) -> str:
        """A CSS class for the cell: sentiment index in 5 bands, or "few"/"none"."""
        m = self.cells.get((aspect, location))
        if m is None or not m.totals.analysed:
            return "heat-none"
        if m.sentiment.too_few:
            return "heat-few"
        value = m.sentiment.value or 0.0
        return "heat-" + (
            "1" if value < -50 else "2" if value < -10 else "3" if value <= 10 else "4" if value <= 50 else "5"
        )


@dataclass
class Overview:
    slice: Slice
    previous: Slice
    grain: str
    kpis: list[Kpi]
    metrics: Metrics
    trend: list[Point]
    drivers_up: list[Driver]
    drivers_down: list[Driver]
    heat: HeatMap
    platforms: list[tuple[str, Metrics]]
    departments: list[tuple[int, str, Metrics]]
    aspects: dict[str, Metrics]
    min_n: int

    def point_link(self, point: Point, **extra: Any) -> str:
        end = self.bucket_end(point.start)
        return inbox_link(self.slice, date_from=max(point.start, self.slice.date_from), date_to=end, **extra)

    def bucket_end(self, start: date) -> date:
        if self.grain == "day":
            end = start
        elif self.grain == "week":
            end = start + timedelta(days=6)
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return min(end, self.slice.date_to)


def build_overview(
    session: Session,
    viewer: User | None,
    s: Slice,
    *,
    min_n: int = 10,
    shown_only: bool = False,
    daily: list[Point] | None = None,
) -> Overview:
    """Every number of the dashboard for this slice, from the roll-ups, scoped to ``viewer``.

    ``shown_only`` sums only the counters the dashboard page shows: the trend's volume, sentiment,
    rating and NPS (``series.TREND_COUNTERS``) and the aspects' sentiment (the drivers). The other
    metrics of the trend points and of ``aspects`` then read as empty, so the CSV export, the reports and
    the CLI build the full overview. Each summed column costs a step per cell read, and the aspects and
    the trend are the largest reads of a long period. ``daily`` — the slice's day series, when the caller
    already has it (the change-point test reads it) — gives the trend without reading the cells again."""
    before = s.previous()
    # One scan per part of the period gives the KPIs, the platforms and the departments tables.
    now_cube = cube(session, viewer, s)
    now_metrics = Metrics(now_cube.total(), min_n)
    before_metrics = summary(session, viewer, before, min_n=min_n)
    grain = grain_for(s)
    if daily is not None:
        trend = regroup(s, daily, grain, min_n)
    else:
        counters = TREND_COUNTERS if shown_only else COUNTERS
        trend = series(session, viewer, s, grain=grain, min_n=min_n, counters=counters)

    aspects_now: dict[str, Metrics] = {}
    aspects_before: dict[str, Metrics] = {}
    heat = HeatMap()
    # Aspects × locations are kept over all channels (see rollups): with a channel filter, aspects are
    # shown for the whole slice only when no location is chosen, and the heat map not at all.
    if not s.dimension and not s.aspect and not (s.location and s.channel):
        aspects_now = breakdown(session, viewer, s, "aspect", min_n=min_n, sentiment_only=shown_only)
        aspects_before = breakdown(session, viewer, before, "aspect", min_n=min_n, sentiment_only=True)
        if not s.location and not s.channel:
            pairs = breakdown(session, viewer, s, "aspect_location", min_n=min_n, sentiment_only=True)
            volume_by_aspect: dict[str, int] = {}
            volume_by_location: dict[str, int] = {}
            for (aspect, location), m in pairs.items():
                volume_by_aspect[aspect] = volume_by_aspect.get(aspect, 0) + m.volume
                volume_by_location[location] = volume_by_location.get(location, 0) + m.volume
            heat = HeatMap(
                aspects=sorted(volume_by_aspect, key=lambda a: -volume_by_aspect[a])[:HEAT_ASPECTS],
                locations=sorted(volume_by_location, key=lambda loc: -volume_by_location[loc])[:HEAT_LOCATIONS],
                cells=pairs,
            )
    ranked = drivers(s, aspects_now, aspects_before, min_n)
    platforms = sorted(
        ((channel, Metrics(totals, min_n)) for channel, totals in now_cube.by_channel().items()),
        key=lambda kv: (-kv[1].totals.rated, -kv[1].volume, kv[0]),
    )
    names = {d.id: d.name for d in list_departments(session)}
    departments = [
        (dep_id, names.get(dep_id, "No department"), Metrics(totals, min_n))
        for dep_id, totals in sorted(now_cube.by_department().items(), key=lambda kv: (-kv[1].volume, kv[0]))
    ]
    return Overview(
        slice=s,
        previous=before,
        grain=grain,
        kpis=kpis(s, now_metrics, before_metrics),
        metrics=now_metrics,
        trend=trend,
        drivers_up=[d for d in ranked if d.impact > 0][:TOP_DRIVERS],
        drivers_down=[d for d in ranked if d.impact < 0][:TOP_DRIVERS],
        heat=heat,
        platforms=platforms,
        departments=departments,
        aspects=aspects_now,
        min_n=min_n,
    )


def regroup(s: Slice, daily: list[Point], grain: str, min_n: int) -> list[Point]:
    """The slice's day series summed into ``grain`` buckets (every bucket of the period, empty ones too)."""
    step: Grain = "week" if grain == "week" else "month" if grain == "month" else "day"
    merged: dict[date, Totals] = {start: Totals() for start in buckets(s, step)}
    for point in daily:
        merged[bucket(point.start, step)].add(point.metrics.totals)
    return [Point(start, Metrics(totals, min_n)) for start, totals in merged.items()]


@dataclass(frozen=True)
class ChangePoint:
    """A significant change of a metric on the trend (found by ``measure.changes``), explained in words."""

    day: date
    metric: str
    text: str
    link: str


#: metric → (label, how to read n / total / squares off a day's totals, how to show a level)
_CHANGE_METRICS: dict[str, tuple[str, Callable[[Any], tuple[float, float, float]], Callable[[float], str]]] = {
    "negative_share": (
        "share negative",
        lambda t: (t.analysed, t.negative, t.negative),
        lambda v: f"{100 * v:.0f}%",
    ),
    "rating": ("average rating", lambda t: (t.rated, t.rating_sum, t.rating_sq), lambda v: f"{1 + 4 * v:.2f}★"),
    "volume": ("items per day", lambda t: (t.volume, t.volume, t.volume), lambda v: f"{v:.1f}"),
}


def change_points(
    session: Session, viewer: User | None, s: Slice, days: list[Point] | None = None
) -> list[ChangePoint]:
    """Change points of the slice's daily series, from the insight engineer's ``measure.changes`` (its
    PELT candidates and significance tests) run on the roll-ups; none when that module is absent
    or its interface differs."""
    try:
        import numpy as np

        from voxpop.measure import changes, daily_series
    except ImportError:
        return []
    if days is None:
        days = series(session, viewer, s, grain="day")
    found: list[ChangePoint] = []
    for metric, (label, read, show) in _CHANGE_METRICS.items():
        values = np.array([read(p.metrics.totals) for p in days], dtype=float).reshape(-1, 3)
        try:
            daily = daily_series.DailySeries(
                metric=metric, start=s.date_from, n=values[:, 0], total=values[:, 1], squares=values[:, 2]
            )
            significant = changes.significant_changes(daily, changes.candidates(daily))
        except (AttributeError, TypeError, ValueError, ValidationError):
            return found
        for change in significant:
            found.append(
                ChangePoint(
                    day=change.day,
                    metric=metric,
                    text=f"{label} went from {show(change.before)} to {show(change.after)} "
                    f"(p = {change.p_value:.3f}, {change.n_before} items before, {change.n_after} after)",
                    link=inbox_link(s, date_from=change.day, date_to=min(s.date_to, change.day + timedelta(days=6))),
                )
            )
    return sorted(found, key=lambda c: c.day)
