"""Why a metric moved: each change explained by the segments that drove it, with the items as evidence.

A segment is the items of one aspect, one location or one channel. The metric over all items is the
volume-weighted mean of the segments' own values, ``M = Σ w_s · r_s``, so its change between the
stretch before a change and the stretch after splits exactly (shift-share, midpoint weights) into

* **mix** ``Δw_s · (r̄_s − M̄)`` — the segment's share of the items moved ("more people talk about X"),
  and it sits above or below the average;
* **rate** ``w̄_s · Δr_s`` — the segment's own value moved ("X got worse").

For locations and channels (each item in exactly one segment) the contributions add up to the whole
change. An item can mention several aspects, so an aspect is compared with all the items that do not
mention it: mix ``Δw_X · (r̄_X − r̄_rest)``, rate ``w̄_X · Δr_X``. Volume has no rate: a segment's
contribution is the change of its items per day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from voxpop.measure.changes import Change
from voxpop.measure.daily_series import metric_value
from voxpop.measure.observations import Observation

DIMENSIONS = ("aspect", "location", "channel")
MIN_SEGMENT_ITEMS = 3
EVIDENCE = 5


@dataclass
class Driver:
    dimension: str
    segment: str
    share_before: float
    share_after: float
    value_before: float | None
    value_after: float | None
    mix: float
    rate: float
    n_before: int
    n_after: int
    evidence: list[int] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.mix + self.rate

    @property
    def kind(self) -> str:
        """ "mix" when more (or fewer) items come from the segment, "rate" when the segment itself moved."""
        return "mix" if abs(self.mix) >= abs(self.rate) else "rate"


def _segments(row: Observation, dimension: str) -> Iterable[str]:
    if dimension == "aspect":
        return row.aspects
    value = getattr(row, dimension)
    return (value,) if value else ()


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class _Side:
    """One stretch (before or after): per segment, its items' values; and everything's."""

    values: list[float]
    days: int
    by_segment: dict[str, list[float]]
    rows_by_segment: dict[str, list[Observation]]

    @classmethod
    def of(cls, rows: Sequence[Observation], metric: str, dimension: str, days: int) -> _Side:
        side = cls(values=[], days=max(days, 1), by_segment={}, rows_by_segment={})
        for row in rows:
            value = metric_value(row, metric)
            if value is None:
                continue
            side.values.append(value)
            for segment in _segments(row, dimension):
                side.by_segment.setdefault(segment, []).append(value)
                side.rows_by_segment.setdefault(segment, []).append(row)
        return side

    def share(self, segment: str) -> float:
        return len(self.by_segment.get(segment, ())) / len(self.values) if self.values else 0.0

    def value(self, segment: str) -> float | None:
        return _mean(self.by_segment.get(segment, []))

    def rest(self, segment: str) -> float | None:
        inside = self.by_segment.get(segment, [])
        others = len(self.values) - len(inside)
        return (sum(self.values) - sum(inside)) / others if others > 0 else None


def _evidence(rows: Sequence[Observation], metric: str, upward: bool) -> list[int]:
    """The items that best show the move: for the means, the most extreme in the change's direction."""

    def key(row: Observation) -> float:
        value = metric_value(row, metric)
        if metric == "volume" or value is None:
            return 0.0
        return -value if upward else value

    if metric == "negative_share":
        rows = [r for r in rows if (metric_value(r, metric) or 0.0) == (1.0 if upward else 0.0)]
    ranked = sorted(rows, key=lambda r: (key(r), -r.created_at.timestamp()))
    return [r.id for r in ranked[:EVIDENCE]]


def _driver(dimension: str, segment: str, metric: str, before: _Side, after: _Side, upward: bool) -> Driver | None:
    n_before = len(before.by_segment.get(segment, ()))
    n_after = len(after.by_segment.get(segment, ()))
    if max(n_before, n_after) < MIN_SEGMENT_ITEMS:
        return None
    if metric == "volume":
        mix, rate = n_after / after.days - n_before / before.days, 0.0
        value_before, value_after = None, None
    else:
        value_before, value_after = before.value(segment), after.value(segment)
        if value_before is None:
            value_before = value_after
        if value_after is None:
            value_after = value_before
        assert value_before is not None
        assert value_after is not None
        w0, w1 = before.share(segment), after.share(segment)
        if dimension == "aspect":
            rest0, rest1 = before.rest(segment), after.rest(segment)
            rest = _mean([r for r in (rest0, rest1) if r is not None]) or 0.0
            baseline = rest
        else:
            overall = [v for v in (_mean(before.values), _mean(after.values)) if v is not None]
            baseline = _mean(overall) or 0.0
        mix, rate = shift_share(w0, w1, value_before, value_after, baseline)
    rows = after.rows_by_segment.get(segment, [])
    return Driver(
        dimension=dimension,
        segment=segment,
        share_before=before.share(segment),
        share_after=after.share(segment),
        value_before=value_before,
        value_after=value_after,
        mix=mix,
        rate=rate,
        n_before=n_before,
        n_after=n_after,
        evidence=_evidence(rows, metric, upward),
    )


def attribute(
    before_rows: Sequence[Observation],
    after_rows: Sequence[Observation],
    metric: str,
    *,
    before_days: int,
    after_days: int,
    upward: bool,
    dimensions: Sequence[str] = DIMENSIONS,
    top: int = 5,
) -> dict[str, list[Driver]]:
    """Per dimension, the segments that pushed the metric in the change's direction, strongest first."""
    sign = 1.0 if upward else -1.0
    found: dict[str, list[Driver]] = {}
    for dimension in dimensions:
        before = _Side.of(before_rows, metric, dimension, before_days)
        after = _Side.of(after_rows, metric, dimension, after_days)
        drivers = [
            d
            for segment in sorted(set(before.by_segment) | set(after.by_segment))
            if (d := _driver(dimension, segment, metric, before, after, upward)) is not None
        ]
        drivers = [d for d in drivers if sign * d.total > 0 and not math.isnan(d.total)]
        drivers.sort(key=lambda d: sign * d.total, reverse=True)
        found[dimension] = drivers[:top]
    return found


def explain(
    change: Change,
    rows: Sequence[Observation],
    *,
    window_days: int = 60,
    dimensions: Sequence[str] = DIMENSIONS,
    top: int = 5,
) -> dict[str, list[Driver]]:
    """Attribute ``change`` using the stretch before it and the stretch after it (each at most
    ``window_days`` long), and keep the drivers on the change (``change.drivers``)."""
    before_from = max(change.before_from, date.fromordinal(change.day.toordinal() - window_days))
    after_to = min(change.after_to, date.fromordinal(change.day.toordinal() + window_days - 1))

    def within(lo: date, hi: date) -> Callable[[Observation], bool]:
        return lambda row: lo <= row.day <= hi

    before = [r for r in rows if within(before_from, date.fromordinal(change.day.toordinal() - 1))(r)]
    after = [r for r in rows if within(change.day, after_to)(r)]
    found = attribute(
        before,
        after,
        change.metric,
        before_days=(change.day - before_from).days,
        after_days=(after_to - change.day).days + 1,
        upward=change.delta > 0,
        dimensions=dimensions,
        top=top,
    )
    change.drivers = [d for ds in found.values() for d in ds]
    return found


def ranked(drivers: Iterable[Driver], upward: bool) -> list[Driver]:
    """Drivers of every dimension in one list, by the size of their contribution."""
    sign = 1.0 if upward else -1.0
    return sorted(drivers, key=lambda d: sign * d.total, reverse=True)


def shift_share(
    share_before: float, share_after: float, value_before: float, value_after: float, baseline: float
) -> tuple[float, float]:
    """A segment's part of a change, split into *mix* (its share of the items moved, weighted by how far
    its value sits from the baseline: "more people complain about X") and *rate* (its value moved, weighted
    by its mean share: "X got worse")."""
    mix = (share_after - share_before) * ((value_before + value_after) / 2 - baseline)
    rate = (share_before + share_after) / 2 * (value_after - value_before)
    return mix, rate
