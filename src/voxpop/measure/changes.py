"""Change points in a metric's daily series, kept only when they are significant.

Two steps, so that noise is not reported:

1. **Candidates.** ``ruptures``' binary segmentation over the daily series with a cost that fits the
   metric: a shift in the mean of the items' values (negative share, sentiment score, rating), every
   item weighing the same whatever its day's volume, or a shift in a Poisson rate (volume per day).
2. **Significance.** Each candidate is tested inside the stretch between its neighbours with a
   permutation scan test: the largest split statistic over every day of that stretch, against the same
   maximum over the stretch with its days shuffled (``PERMUTATIONS`` times). Taking the maximum over all
   split days makes the test honest about having looked everywhere; shuffling whole days keeps their
   real day-to-day spread (no binomial or Poisson assumption about it). Candidates whose p-value is
   above ``alpha`` (or whose effect is below ``min_effect``) are dropped, the weakest first, and the rest
   re-tested with their new neighbours, until every change left is significant.

``detect_changes`` is pure (observations in, changes out) so the benchmark runs it without a store;
``measure.attribution`` then explains each change by its segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import ruptures as rpt
from ruptures.base import BaseCost
from scipy.stats import chi2

from voxpop.errors import ValidationError
from voxpop.measure.observations import NEGATIVE, Observation

METRICS = ("negative_share", "sentiment", "rating", "volume")
METRIC_LABELS = {
    "negative_share": "share negative",
    "sentiment": "sentiment index",
    "rating": "average rating",
    "volume": "items per day",
}
# The smallest change worth reporting: absolute for the means, relative for volume.
MIN_EFFECT = {"negative_share": 0.03, "sentiment": 0.05, "rating": 0.03, "volume": 0.2}
MIN_DAYS = 7
# ruptures' penalty per change, times log(days): low enough to propose every plausible change, since
# the significance test — not the penalty — decides what is reported.
PENALTY_PER_LOG_DAY = 1.0
MIN_SIDE_ITEMS = 10  # a split with fewer items on one side is not looked at (too few to judge)
PERMUTATIONS = 499
ALPHA = 0.01
TEST_NAME = f"permutation scan test ({PERMUTATIONS} day shuffles)"


def metric_value(row: Observation, metric: str) -> float | None:
    """The value one item adds to a mean metric (None: the item does not count for it)."""
    if metric == "negative_share":
        return None if row.sentiment is None else float(row.sentiment == NEGATIVE)
    if metric == "sentiment":
        return row.score
    if metric == "rating":
        return row.rating
    if metric == "volume":
        return 1.0
    raise ValidationError(f"unknown metric '{metric}' (choose from {', '.join(METRICS)})")


@dataclass
class DailySeries:
    """Per day: how many items count (``n``), the sum of their values (``total``) and of their squares."""

    metric: str
    start: date
    n: np.ndarray
    total: np.ndarray
    squares: np.ndarray

    @property
    def days(self) -> int:
        return len(self.n)

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def values(self) -> list[float | None]:
        """The metric per day: the mean, or the count for volume (None on a day without items)."""
        if self.metric == "volume":
            return [float(c) for c in self.n]
        return [float(t / c) if c else None for t, c in zip(self.total, self.n, strict=True)]

    def level(self, lo: int, hi: int) -> float:
        """The metric over days ``[lo, hi)``: items per day for volume, else the items' mean."""
        count = float(self.n[lo:hi].sum())
        if self.metric == "volume":
            return count / max(hi - lo, 1)
        return float(self.total[lo:hi].sum()) / count if count else float("nan")


def daily_series(rows: Sequence[Observation], metric: str, start: date, end: date) -> DailySeries:
    """The metric day by day over ``[start, end]``."""
    if end < start:
        raise ValidationError(f"the period ends ({end}) before it starts ({start})")
    length = (end - start).days + 1
    n = np.zeros(length)
    total = np.zeros(length)
    squares = np.zeros(length)
    for row in rows:
        index = (row.day - start).days
        if not 0 <= index < length:
            continue
        value = metric_value(row, metric)
        if value is None:
            continue
        n[index] += 1
        total[index] += value
        squares[index] += value * value
    return DailySeries(metric=metric, start=start, n=n, total=total, squares=squares)


# --- split statistics, vectorised over many shuffles at once (rows = shuffles, columns = days) ---


def _mean_shift_stats(n: np.ndarray, s: np.ndarray, min_days: int) -> np.ndarray:
    """Between-groups sum of squares of a split after each day (the pooled variance is a constant)."""
    cn, cs = np.cumsum(n, axis=-1), np.cumsum(s, axis=-1)
    big_n, big_s = cn[..., -1:], cs[..., -1:]
    left_n, left_s = cn[..., min_days - 1 : -min_days], cs[..., min_days - 1 : -min_days]
    right_n, right_s = big_n - left_n, big_s - left_s
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = left_s**2 / left_n + right_s**2 / right_n - big_s**2 / big_n
    return np.where((left_n >= MIN_SIDE_ITEMS) & (right_n >= MIN_SIDE_ITEMS), stat, 0.0)


def _xlogx_rate(count: np.ndarray, days: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, count * np.log(count / days), 0.0)


def _poisson_stats(n: np.ndarray, min_days: int) -> np.ndarray:
    """Log-likelihood ratio of two Poisson rates against one, for a split after each day."""
    cn = np.cumsum(n, axis=-1)
    length = n.shape[-1]
    left = cn[..., min_days - 1 : -min_days]
    right = cn[..., -1:] - left
    left_days = np.arange(min_days, length - min_days + 1, dtype=float)
    right_days = length - left_days
    whole = _xlogx_rate(cn[..., -1:], np.array([float(length)]))
    return 2 * (_xlogx_rate(left, left_days) + _xlogx_rate(right, right_days) - whole)


def _scan(series: DailySeries, lo: int, hi: int, min_days: int, shuffles: np.ndarray | None = None) -> np.ndarray:
    n, s = series.n[lo:hi], series.total[lo:hi]
    if shuffles is not None:
        n, s = n[shuffles], s[shuffles]
    if series.metric == "volume":
        return _poisson_stats(n, min_days)
    return _mean_shift_stats(n, s, min_days)


def scan_p_value(series: DailySeries, lo: int, hi: int, *, min_days: int, rng: np.random.Generator) -> float:
    """P-value of "one change somewhere in ``[lo, hi)``" against "no change" (permutation scan test)."""
    if hi - lo < 2 * min_days:
        return 1.0
    observed = float(_scan(series, lo, hi, min_days).max())
    if observed <= 0:
        return 1.0
    shuffles = np.argsort(rng.random((PERMUTATIONS, hi - lo)), axis=1)
    maxima = _scan(series, lo, hi, min_days, shuffles).max(axis=1)
    return float((1 + np.count_nonzero(maxima >= observed * (1 - 1e-9))) / (PERMUTATIONS + 1))


def bonferroni_p_value(series: DailySeries, lo: int, hi: int, *, min_days: int) -> float:
    """The best split's chi-square p-value times the number of split days looked at (conservative)."""
    if hi - lo < 2 * min_days:
        return 1.0
    stats = _scan(series, lo, hi, min_days)
    best = float(stats.max())
    if series.metric != "volume":
        best /= item_variance(series, lo, hi)
    return float(min(1.0, chi2.sf(max(best, 0.0), 1) * stats.shape[-1]))


# --- candidates with ruptures ---


class _MeanShiftCost(BaseCost):
    """Within-segment sum of squares of the items' values (in units of their variance), from per-day sums."""

    model = "voxpop_mean_shift"
    min_size = 1

    def __init__(self, variance: float) -> None:
        self.variance = max(variance, 1e-9)

    def fit(self, signal: np.ndarray) -> _MeanShiftCost:
        self.signal = signal
        self.cn = np.concatenate([[0.0], np.cumsum(signal[:, 0])])
        self.cs = np.concatenate([[0.0], np.cumsum(signal[:, 1])])
        return self

    def error(self, start: int, end: int) -> float:
        count = self.cn[end] - self.cn[start]
        total = self.cs[end] - self.cs[start]
        return float(-(total * total) / count / self.variance) if count > 0 else 0.0


class _PoissonCost(BaseCost):
    """Twice the negative Poisson log-likelihood of a segment's daily counts at its own rate."""

    model = "voxpop_poisson"
    min_size = 1

    def fit(self, signal: np.ndarray) -> _PoissonCost:
        self.signal = signal
        self.cn = np.concatenate([[0.0], np.cumsum(signal[:, 0])])
        return self

    def error(self, start: int, end: int) -> float:
        count = self.cn[end] - self.cn[start]
        return float(-2 * count * np.log(count / (end - start))) if count > 0 else 0.0


def item_variance(series: DailySeries, lo: int = 0, hi: int | None = None) -> float:
    """The variance of the items' values over days ``[lo, hi)`` (1 when there is nothing to measure)."""
    count = float(series.n[lo:hi].sum())
    if count < 2:
        return 1.0
    mean = float(series.total[lo:hi].sum()) / count
    variance = float(series.squares[lo:hi].sum()) / count - mean * mean
    return variance if variance > 1e-12 else 1.0


def candidates(series: DailySeries, *, min_days: int = MIN_DAYS, penalty: float | None = None) -> list[int]:
    """Day indexes where ruptures' binary segmentation would start a new segment."""
    if series.days < 2 * min_days or series.n.sum() == 0:
        return []
    penalty = penalty if penalty is not None else PENALTY_PER_LOG_DAY * float(np.log(series.days))
    signal = np.column_stack([series.n, series.total])
    cost: BaseCost = _PoissonCost() if series.metric == "volume" else _MeanShiftCost(item_variance(series))
    algo = rpt.Pelt(custom_cost=cost, min_size=min_days, jump=1).fit(signal)
    return [int(b) for b in algo.predict(pen=penalty)[:-1]]


# --- the changes ---


@dataclass
class Change:
    """A significant change of a metric: from ``day`` on, ``before`` became ``after``."""

    metric: str
    index: int
    day: date
    before: float
    after: float
    p_value: float
    n_before: int
    n_after: int
    before_from: date
    after_to: date
    test: str = TEST_NAME
    dimension: str | None = None  # set when this is the series of one segment (a location, an aspect…)
    segment: str | None = None
    drivers: list[Any] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return self.after - self.before

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down"

    @property
    def label(self) -> str:
        return METRIC_LABELS[self.metric]


def _effect_ok(series: DailySeries, before: float, after: float, min_effect: float) -> bool:
    if np.isnan(before) or np.isnan(after):
        return False
    if series.metric == "volume":
        return abs(after - before) >= min_effect * max(before, after, 1e-9)
    return abs(after - before) >= min_effect


def significant_changes(
    series: DailySeries,
    points: Sequence[int],
    *,
    alpha: float = ALPHA,
    min_effect: float | None = None,
    min_days: int = MIN_DAYS,
    seed: int = 0,
    tests: int = 1,
) -> list[Change]:
    """Keep the candidate ``points`` that pass the scan test and the effect floor (see module doc).

    ``tests`` > 1 when this series is one of many looked at together (every location's, say): then a
    change must also pass a Bonferroni bound over every split day of every series looked at.
    """
    floor = MIN_EFFECT[series.metric] if min_effect is None else min_effect

    def p_value(lo: int, hi: int, point: int) -> float:
        p = scan_p_value(series, lo, hi, min_days=min_days, rng=np.random.default_rng(seed + point))
        if tests > 1:
            p = max(p, min(1.0, bonferroni_p_value(series, lo, hi, min_days=min_days) * tests))
        return p

    kept = sorted(set(points))
    while kept:
        bounds = [0, *kept, series.days]
        results: list[tuple[float, int]] = []
        for i, point in enumerate(kept):
            lo, hi = bounds[i], bounds[i + 2]
            p = p_value(lo, hi, point)
            before, after = series.level(lo, point), series.level(point, hi)
            worst = p if _effect_ok(series, before, after, floor) else 2.0
            results.append((worst, point))
        weakest, point = max(results)
        if weakest <= alpha:
            break
        kept.remove(point)
    bounds = [0, *kept, series.days]
    changes = []
    for i, point in enumerate(kept):
        lo, hi = bounds[i], bounds[i + 2]
        p = p_value(lo, hi, point)
        changes.append(
            Change(
                metric=series.metric,
                index=point,
                day=series.day(point),
                before=series.level(lo, point),
                after=series.level(point, hi),
                p_value=p,
                n_before=int(series.n[lo:point].sum()),
                n_after=int(series.n[point:hi].sum()),
                before_from=series.day(lo),
                after_to=series.day(hi - 1),
            )
        )
    return changes


def detect_changes(
    rows: Sequence[Observation],
    metric: str,
    start: date,
    end: date,
    *,
    alpha: float = ALPHA,
    min_effect: float | None = None,
    min_days: int = MIN_DAYS,
    penalty: float | None = None,
) -> tuple[DailySeries, list[Change]]:
    """The daily series of ``metric`` over ``[start, end]`` and its significant changes, oldest first."""
    if metric not in METRICS:
        raise ValidationError(f"unknown metric '{metric}' (choose from {', '.join(METRICS)})")
    series = daily_series(rows, metric, start, end)
    points = candidates(series, min_days=min_days, penalty=penalty)
    return series, significant_changes(series, points, alpha=alpha, min_effect=min_effect, min_days=min_days)


def period_of(rows: Sequence[Observation]) -> tuple[date, date] | None:
    """The first and last day with items."""
    if not rows:
        return None
    days = [row.day for row in rows]
    return min(days), max(days)


SEGMENT_DIMENSIONS = ("location", "aspect", "channel")
MIN_SEGMENT_ITEMS = 30


def segment_of(row: Observation, dimension: str) -> tuple[str, ...]:
    if dimension == "aspect":
        return row.aspects
    value = getattr(row, dimension)
    return (str(value),) if value else ()


def detect_segment_changes(
    rows: Sequence[Observation],
    metric: str,
    start: date,
    end: date,
    *,
    dimensions: Sequence[str] = SEGMENT_DIMENSIONS,
    min_items: int = MIN_SEGMENT_ITEMS,
    alpha: float = ALPHA,
    min_days: int = MIN_DAYS,
) -> list[Change]:
    """Changes in the series of each segment (each location, aspect, channel with ``min_items`` items).

    A change concentrated in one hotel is diluted in the whole business's series but plain in that
    hotel's. Looking at many series at once is paid for with a Bonferroni bound over all of them.
    """
    groups: dict[tuple[str, str], list[Observation]] = {}
    for row in rows:
        for dimension in dimensions:
            for segment in segment_of(row, dimension):
                groups.setdefault((dimension, segment), []).append(row)
    tested = {key: members for key, members in groups.items() if len(members) >= min_items}
    found: list[Change] = []
    for (dimension, segment), members in sorted(tested.items()):
        series = daily_series(members, metric, start, end)
        points = candidates(series, min_days=min_days)
        for change in significant_changes(series, points, alpha=alpha, min_days=min_days, tests=len(tested)):
            change.dimension, change.segment = dimension, segment
            found.append(change)
    found.sort(key=lambda c: (c.p_value, -abs(c.delta)))
    return found
