"""The faster change-point machinery gives the same answers as the plain one.

``pelt.pelt`` (through ``changes.candidates``) against ``ruptures``' PELT, ``significance._segment_maxima`` against
``_segment_stats(...).max()``, ``decide_at`` against the full permutation draw, and the dry run that
skips the tests when no candidate's effect can reach the floor against the full procedure.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import ruptures as rpt
from ruptures.base import BaseCost

from voxpop.measure import changes, significance
from voxpop.measure.changes import candidates, significant_changes
from voxpop.measure.daily_series import DailySeries
from voxpop.measure.significance import item_variance


class _MeanShiftCost(BaseCost):  # the cost ``candidates`` gave ruptures before ``pelt.pelt``
    model = "test_mean_shift"
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
    model = "test_poisson"
    min_size = 1

    def fit(self, signal: np.ndarray) -> _PoissonCost:
        self.signal = signal
        self.cn = np.concatenate([[0.0], np.cumsum(signal[:, 0])])
        return self

    def error(self, start: int, end: int) -> float:
        count = self.cn[end] - self.cn[start]
        return float(-2 * count * np.log(count / (end - start))) if count > 0 else 0.0


def _ruptures_candidates(series: DailySeries, penalty: float | None, min_days: int = 7) -> list[int]:
    if series.days < 2 * min_days or series.n.sum() == 0:
        return []
    pen = penalty if penalty is not None else float(np.log(series.days))
    cost: BaseCost = _PoissonCost() if series.metric == "volume" else _MeanShiftCost(item_variance(series))
    algo = rpt.Pelt(custom_cost=cost, min_size=min_days, jump=1).fit(np.column_stack([series.n, series.total]))
    return [int(b) for b in algo.predict(pen=pen)[:-1]]


def _series(rng: np.random.Generator, metric: str, days: int, rate: float, shift: bool) -> DailySeries:
    lam = np.full(days, rate)
    p = np.full(days, 0.3)
    if shift:
        start = int(rng.integers(0, days - 7))
        stop = start + int(rng.integers(7, 40))
        lam[start:stop] *= 1.6
        p[start:stop] += 0.2
    n = rng.poisson(lam).astype(float)
    if metric == "volume":
        return DailySeries(metric=metric, start=date(2025, 1, 1), n=n, total=n.copy(), squares=n.copy())
    total = rng.binomial(n.astype(int), p).astype(float)
    return DailySeries(metric=metric, start=date(2025, 1, 1), n=n, total=total, squares=total.copy())


def test_pelt_finds_the_breakpoints_ruptures_finds() -> None:
    rng = np.random.default_rng(3)
    compared = found = 0
    for _ in range(40):
        days = int(rng.choice([14, 15, 30, 61, 90, 92, 180]))
        rate = float(rng.choice([0.3, 2.0, 12.0, 300.0]))
        for metric in ("negative_share", "volume", "rating"):
            series = _series(rng, metric, days, rate, shift=bool(rng.random() < 0.5))
            for penalty in (None, 0.5, 12.0):
                ours = candidates(series, penalty=penalty)
                assert ours == _ruptures_candidates(series, penalty), (metric, days, rate, penalty)
                compared += 1
                found += len(ours)
    assert compared == 360
    assert found > 100  # many series with breakpoints, not just empty answers


@pytest.mark.parametrize("metric", ["negative_share", "volume"])
def test_segment_maxima_are_the_segment_statistics_maxima(metric: str) -> None:
    rng = np.random.default_rng(4)
    for length, rate in [(30, 0.5), (90, 900.0), (92, 3.0), (180, 12.0), (700, 40.0)]:
        n = rng.poisson(rate, length).astype(float)
        s = rng.binomial(n.astype(int), 0.3).astype(float)
        a, b = significance._segment_grid(length, 7)
        rows = np.argsort(rng.random((50, length)), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = significance._segment_stats(metric, n[rows], s[rows], a, b).max(axis=1)
        fast = significance._segment_maxima(metric, n, s, rows, a, b)
        np.testing.assert_array_equal(fast, plain)  # bit for bit: the tests decide on ties


def test_decide_at_gives_the_same_decision_and_the_full_p_value_when_it_is_small() -> None:
    rng = np.random.default_rng(5)
    below = above = 0
    for i in range(60):
        series = _series(rng, "negative_share", 60, 6.0, shift=i % 2 == 0)
        for level in (0.01, 0.05):
            full = significance.scan_p_value(series, 0, 60, min_days=7, rng=np.random.default_rng(i))
            quick = significance.scan_p_value(series, 0, 60, min_days=7, rng=np.random.default_rng(i), decide_at=level)
            if full <= level:
                assert quick == full
                below += 1
            else:
                assert level < quick <= full
                above += 1
    assert below
    assert above


def _full(series: DailySeries, points: list[int]) -> list[changes.Change]:
    """``significant_changes`` without the dry run: what it returned before it."""
    original = changes._Tester.anything_to_test
    changes._Tester.anything_to_test = lambda self, kept: True  # type: ignore[method-assign]
    try:
        return significant_changes(series, points)
    finally:
        changes._Tester.anything_to_test = original  # type: ignore[method-assign]


def test_the_dry_run_skips_the_tests_only_when_the_answer_is_nothing_anyway() -> None:
    rng = np.random.default_rng(6)
    skipped = tested = reported = 0
    for i in range(60):
        metric = ("negative_share", "rating", "volume")[i % 3]
        rate = 900.0 if i % 2 else 8.0
        series = _series(rng, metric, 90, rate, shift=i % 4 == 1)
        points = candidates(series)
        found = significant_changes(series, points)
        assert [(c.index, c.p_value, c.before, c.after) for c in found] == [
            (c.index, c.p_value, c.before, c.after) for c in _full(series, points)
        ]
        tester = changes._Tester(series, floor=changes.MIN_EFFECT[metric], alpha=0.01, min_days=7, seed=0, tests=1)
        if points and not tester.anything_to_test(sorted(points)):
            skipped += 1
            assert not found
        elif points:
            tested += 1
        reported += bool(found)
    assert skipped
    assert tested
    assert reported
