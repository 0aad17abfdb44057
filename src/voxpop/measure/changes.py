"""Change points in a metric's daily series, kept only when they are significant.

Three steps, so that noise is not reported and a month-long bump is found as a bump:

1. **Candidates.** PELT over the daily series (``measure.pelt``: ``ruptures``' search, vectorised) with a cost
   that fits the metric: a shift in the mean of the items' values (negative share, sentiment score,
   rating), every item weighing the same whatever its day's volume, or a shift in a Poisson rate (volume
   per day). The penalty is low, so PELT proposes every plausible change; the tests decide. When no
   candidate's effect can reach the floor whatever is dropped (``_Tester.anything_to_test``), nothing is
   reported and steps 2 and 3 are skipped: they would reach the same answer.
2. **Did anything change?** One permutation test over the whole period (``anything_changed_p_value``:
   the largest "this stretch differs from the rest" statistic over every stretch, against day shuffles).
   A series that fails it (at ``WHOLE_PERIOD_ALPHA``) reports nothing: this is the guard against testing
   many candidates, and it bounds the chance that a series of noise reports anything by that level.
3. **Which candidates?** Each candidate is tested inside the stretch between its neighbours as a step
   (``scan_p_value``: one change somewhere in that stretch) and, with a neighbour, as an edge of a bump
   (``bump_p_value``: the segment between the two against the rest of their stretch, so a shift that
   starts and ends inside the window is judged against the days before it *and* after it; only when the
   segment sits above or below both sides and the two sides are alike). A candidate
   whose best p-value is above ``alpha`` (or whose effect is below ``min_effect``) is not significant;
   of those, the one that separates the most alike neighbouring segments is dropped first (bottom-up
   merging), and the rest are re-tested with their new neighbours until every change left is
   significant. Each change left is then moved to the best split between its neighbours (PELT placed it
   among candidates since dropped), and the tests are run again on the moved changes.

``detect_changes`` is pure (observations in, changes out) so the benchmark runs it without a store;
``measure.attribution`` then explains each change by its segments. The tests themselves are in
``measure.significance``, the daily series they read in ``measure.daily_series``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy.stats import chi2

from voxpop.errors import ValidationError
from voxpop.measure.daily_series import METRIC_LABELS, METRICS, DailySeries, daily_series
from voxpop.measure.observations import Observation
from voxpop.measure.pelt import mean_shift_errors, pelt, poisson_errors
from voxpop.measure.significance import (
    PERMUTATIONS,
    anything_changed_p_value,
    bonferroni_p_value,
    bump_p_value,
    item_variance,
    scan_p_value,
    split_stats,
)

__all__ = [
    "Change",
    "bonferroni_p_value",
    "candidates",
    "detect_changes",
    "detect_segment_changes",
    "item_variance",
    "scan_p_value",
    "significant_changes",
]

# The smallest change worth reporting: absolute for the means, relative for volume.
MIN_EFFECT = {"negative_share": 0.03, "sentiment": 0.05, "rating": 0.03, "volume": 0.2}
MIN_DAYS = 7
# ruptures' penalty per change, times log(days): low enough to propose every plausible change, since
# the significance tests — not the penalty — decide what is reported.
PENALTY_PER_LOG_DAY = 1.0
ALPHA = 0.01
# The whole-period test's level. It looks at every stretch of the period at once, so it is less sensitive
# than the tests of single candidates that follow it (at ``alpha``); at 5 % it still bounds how often a
# series of noise reports anything by 5 %, and it lets through a month-long shift in a sparse series.
WHOLE_PERIOD_ALPHA = 0.05
ALIKE = 0.05  # two stretches a plain two-sample test cannot tell apart at this level are alike
REFINE_ROUNDS = 3
TEST_NAME = f"permutation tests ({PERMUTATIONS} day shuffles): whole period, then step or bump"


# --- candidates: PELT (``measure.pelt``) ---


def candidates(series: DailySeries, *, min_days: int = MIN_DAYS, penalty: float | None = None) -> list[int]:
    """Day indexes where PELT (``pelt.pelt``) starts a new segment."""
    if series.days < 2 * min_days or series.n.sum() == 0:
        return []
    penalty = penalty if penalty is not None else PENALTY_PER_LOG_DAY * float(np.log(series.days))
    cn = np.concatenate([[0.0], np.cumsum(series.n)])
    if series.metric == "volume":
        errors = poisson_errors(cn)
    else:
        cs = np.concatenate([[0.0], np.cumsum(series.total)])
        errors = mean_shift_errors(cn, cs, max(item_variance(series), 1e-9))
    return pelt(errors, series.days, min_days, penalty)


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
    """Keep the candidate ``points`` that pass the tests and the effect floor (see module doc).

    ``tests`` > 1 when this series is one of many looked at together (every location's, say): then a
    change must also pass a Bonferroni bound over every split or segment of every series looked at.
    """
    floor = MIN_EFFECT[series.metric] if min_effect is None else min_effect
    kept = sorted(set(points))
    if not kept:
        return []
    tester = _Tester(series, floor=floor, alpha=alpha, min_days=min_days, seed=seed, tests=tests)
    if not tester.anything_to_test(kept):
        return []
    gate = anything_changed_p_value(series, min_days=min_days, rng=np.random.default_rng([seed, 0]), tests=tests)
    if gate > max(alpha, WHOLE_PERIOD_ALPHA):
        return []
    for round_ in range(REFINE_ROUNDS + 1):
        kept = tester.eliminate(kept)
        if round_ == REFINE_ROUNDS:
            break
        moved = _refine(series, kept, min_days)
        if moved == kept:
            break
        kept = moved
    bounds = [0, *kept, series.days]
    changes = []
    for i, (point, p) in enumerate(zip(kept, tester.p_values(kept), strict=True)):
        lo, hi = bounds[i], bounds[i + 2]
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


class _NeedsTest(Exception):
    """Raised by a dry run of the elimination at its first permutation test."""


class _Tester:
    """The step and bump tests of a series' candidates, each window's p-value computed once."""

    def __init__(self, series: DailySeries, *, floor: float, alpha: float, min_days: int, seed: int, tests: int):
        self.series, self.floor, self.alpha, self.min_days = series, floor, alpha, min_days
        self.seed, self.tests = seed, tests
        self.cache: dict[tuple[int, ...], float] = {}
        self.dry = False

    def anything_to_test(self, kept: list[int]) -> bool:
        """Whether the elimination of ``kept`` would run any permutation test.

        A step or bump whose effect is below the floor gets p = 2 without shuffles. When that holds for
        every test the elimination meets — a dry run of it, stopped at the first test that would shuffle —
        every candidate is dropped and the series reports nothing, whatever the whole-period test says:
        the answer is known without the shuffles (on a steady series with many items a day, the
        whole-period test alone was most of the cost). Otherwise the full procedure runs, from the
        whole-period test on, exactly as without this check."""
        self.dry = True
        try:
            left = self.eliminate(kept)
        except _NeedsTest:
            return True
        finally:
            self.dry = False
        assert not left  # every p-value was 2: everything was dropped
        return False

    def step(self, lo: int, hi: int, point: int) -> float:
        """One change in ``[lo, hi)`` (2 when the effect at ``point`` is below the floor)."""
        series = self.series
        if not _effect_ok(series, series.level(lo, point), series.level(point, hi), self.floor):
            return 2.0
        key = (lo, hi)
        if key not in self.cache:
            if self.dry:
                raise _NeedsTest
            rng = np.random.default_rng([self.seed, lo, hi])
            p = scan_p_value(series, lo, hi, min_days=self.min_days, rng=rng, decide_at=self.alpha)
            if self.tests > 1:
                p = max(p, min(1.0, bonferroni_p_value(series, lo, hi, min_days=self.min_days) * self.tests))
            self.cache[key] = p
        return self.cache[key]

    def bump(self, lo: int, hi: int, start: int, end: int) -> float:
        """Days ``[start, end)`` against the rest of ``[lo, hi)`` (2 when the effect is below the floor)."""
        series = self.series
        if not _effect_ok(series, _rest_level(series, lo, hi, start, end), series.level(start, end), self.floor):
            return 2.0
        key = (lo, hi, start, end)
        if key not in self.cache:
            if self.dry:
                raise _NeedsTest
            rng = np.random.default_rng([self.seed, lo, hi, start, end])
            self.cache[key] = bump_p_value(
                series,
                lo,
                hi,
                start,
                end,
                min_days=self.min_days,
                rng=rng,
                alpha=self.alpha,
                tests=self.tests,
                decide_at=self.alpha,
            )
        return self.cache[key]

    def is_bump(self, lo: int, start: int, end: int, hi: int) -> bool:
        """Whether ``[start, end)`` sits above (or below) both its neighbours ``[lo, start)`` and
        ``[end, hi)``, and those two are alike (a plain two-sample test does not tell them apart at
        ``ALIKE``): only then is the rest of the window one baseline the segment can be tested against.
        Otherwise a short strong stretch would vouch for an edge on its far side that separates two
        alike parts of one longer shift."""
        series = self.series
        left, inside, right = series.level(lo, start), series.level(start, end), series.level(end, hi)
        if not (inside - left) * (inside - right) > 0:
            return False
        return _two_sample_p(series, lo, start, end, hi) > ALIKE

    def p_values(self, kept: list[int]) -> list[float]:
        """Per candidate, its best p-value: as a step between its neighbours, or as either edge of a bump."""
        bounds = [0, *kept, self.series.days]
        found = []
        for i, point in enumerate(kept):
            ps = [self.step(bounds[i], bounds[i + 2], point)]
            if i > 0 and self.is_bump(bounds[i - 1], bounds[i], point, bounds[i + 2]):
                ps.append(self.bump(bounds[i - 1], bounds[i + 2], bounds[i], point))
            if i + 1 < len(kept) and self.is_bump(bounds[i], point, bounds[i + 2], bounds[i + 3]):
                ps.append(self.bump(bounds[i], bounds[i + 3], point, bounds[i + 2]))
            found.append(min(ps))
        return found

    def eliminate(self, kept: list[int]) -> list[int]:
        """Drop candidates that are not significant, the one between the most alike segments first."""
        kept = list(kept)
        while kept:
            ps = self.p_values(kept)
            weak = [i for i in range(len(kept)) if ps[i] > self.alpha]
            if not weak:
                break
            contrast = _contrasts(self.series, kept)
            kept.pop(min(weak, key=lambda i: contrast[i]))
        return kept


def _two_sample_p(series: DailySeries, lo: int, start: int, end: int, hi: int) -> float:
    """Plain chi-square p-value of "``[lo, start)`` and ``[end, hi)`` have the same level"."""
    left_n, right_n = float(series.n[lo:start].sum()), float(series.n[end:hi].sum())
    if series.metric == "volume":
        left_days, right_days = start - lo, hi - end
        whole = (left_n + right_n) / (left_days + right_days)
        stat = 2 * sum(
            count * np.log(count / (days * whole))
            for count, days in ((left_n, left_days), (right_n, right_days))
            if count > 0
        )
    else:
        if min(left_n, right_n) < 1:
            return 1.0
        left_s, right_s = float(series.total[lo:start].sum()), float(series.total[end:hi].sum())
        big_n, big_s = left_n + right_n, left_s + right_s
        between = left_s**2 / left_n + right_s**2 / right_n - big_s**2 / big_n
        outside = np.r_[lo:start, end:hi]
        count = float(series.n[outside].sum())
        mean = big_s / count
        variance = float(series.squares[outside].sum()) / count - mean * mean
        stat = between / (variance if variance > 1e-12 else 1.0)
    return float(chi2.sf(max(stat, 0.0), 1))


def _rest_level(series: DailySeries, lo: int, hi: int, start: int, end: int) -> float:
    """The metric over ``[lo, hi)`` without ``[start, end)``."""
    count = float(series.n[lo:start].sum() + series.n[end:hi].sum())
    if series.metric == "volume":
        return count / max(hi - lo - (end - start), 1)
    total = float(series.total[lo:start].sum() + series.total[end:hi].sum())
    return total / count if count else float("nan")


def _contrasts(series: DailySeries, kept: list[int]) -> list[float]:
    """Per candidate, the split statistic between its two neighbouring segments in chi-square units:
    how unlike the segments it separates are (0 when one side has too few items to judge)."""
    bounds = [0, *kept, series.days]
    found = []
    for i, point in enumerate(kept):
        lo, hi = bounds[i], bounds[i + 2]
        stat = float(split_stats(series, lo, hi, 1)[point - lo - 1])
        found.append(stat if series.metric == "volume" else stat / item_variance(series, lo, hi))
    return found


def _refine(series: DailySeries, kept: list[int], min_days: int) -> list[int]:
    """Each change moved to the best split between its neighbours, until nothing moves: PELT placed it
    among candidates that have since been dropped, which can leave it at the edge of a stronger part
    of a shift rather than at the shift's start."""
    kept = list(kept)
    for _ in range(5):
        before = list(kept)
        for i in range(len(kept)):
            lo = kept[i - 1] if i > 0 else 0
            hi = kept[i + 1] if i + 1 < len(kept) else series.days
            if hi - lo < 2 * min_days:
                continue
            stats = split_stats(series, lo, hi, min_days)
            if stats.size and float(stats.max()) > 0:
                kept[i] = lo + min_days + int(np.argmax(stats))
        if kept == before:
            break
    return kept


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
