"""The significance tests behind ``measure.changes``: split and segment statistics and their permutation
p-values.

Every test compares what was seen with the same statistic over the series with its days shuffled, so a
day's real spread (its volume, its day-to-day noise) is kept and nothing is assumed about it. Each test
takes the *largest* statistic over every split or segment it could have picked, so it pays for having
looked everywhere. Three tests:

* ``scan_p_value`` — one change somewhere in a window (a step);
* ``bump_p_value`` — a given segment differs from the rest of its window (a bump: a shift that starts
  and ends inside the window, tested against the stretch before it *and* the one after it);
* ``anything_changed_p_value`` — some stretch of the whole period differs from the rest of it: the one
  test that stands for the whole series, so that noise alone is reported at most ``alpha`` of the time.

The statistics are vectorised over many shuffles at once (rows = shuffles, columns = days).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import chi2

if TYPE_CHECKING:
    from voxpop.measure.daily_series import DailySeries

MIN_SIDE_ITEMS = 10  # a split with fewer items on one side is not looked at (too few to judge)
PERMUTATIONS = 499
BATCH = 50  # shuffles drawn at a time
STOP_AFTER = 10  # shuffles at least as extreme as the data after which a p-value is clearly not small
BUMP_GRID = 90  # at most this many segment edges per window (longer windows step over days)


def item_variance(series: DailySeries, lo: int = 0, hi: int | None = None) -> float:
    """The variance of the items' values over days ``[lo, hi)`` (1 when there is nothing to measure)."""
    count = float(series.n[lo:hi].sum())
    if count < 2:
        return 1.0
    mean = float(series.total[lo:hi].sum()) / count
    variance = float(series.squares[lo:hi].sum()) / count - mean * mean
    return variance if variance > 1e-12 else 1.0


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


def split_stats(series: DailySeries, lo: int, hi: int, min_days: int, shuffles: np.ndarray | None = None) -> np.ndarray:
    """The split statistic after each day of ``[lo, hi)`` (index ``j``: the split before day
    ``lo + min_days + j``), per shuffle when ``shuffles`` is given."""
    n, s = series.n[lo:hi], series.total[lo:hi]
    if shuffles is not None:
        n, s = n[shuffles], s[shuffles]
    if series.metric == "volume":
        return _poisson_stats(n, min_days)
    return _mean_shift_stats(n, s, min_days)


def _stride(length: int) -> int:
    return max(1, -(-length // BUMP_GRID))


def _segments_looked_at(length: int, min_days: int) -> int:
    """How many segments a window has at full resolution (every start, every end): what a candidate
    segment was picked from, so what a Bonferroni bound on it must count."""
    return sum(length - days + 1 for days in range(min_days, length - min_days + 1))


@lru_cache(maxsize=64)
def _segment_grid(length: int, min_days: int) -> tuple[np.ndarray, np.ndarray]:
    """The segments ``[a, b)`` of a window of ``length`` days that a segment test looks at: at least
    ``min_days`` long, with at least ``min_days`` of the window outside. On windows longer than
    ``BUMP_GRID`` days the edges step over days, so a test's cost stays bounded on a three-year series;
    the data and its shuffles are looked at on the same grid, so the test stays honest."""
    stride = _stride(length)
    edges = np.unique(np.append(np.arange(0, length + 1, stride), length))
    a, b = np.meshgrid(edges, edges, indexing="ij")
    keep = (b - a >= min_days) & (length - (b - a) >= min_days)
    return a[keep], b[keep]


def _segment_stats(metric: str, n: np.ndarray, s: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The statistic of "days ``[a, b)`` differ from the rest of the window", per segment (and shuffle)."""
    zero = np.zeros((*n.shape[:-1], 1))
    cn = np.concatenate([zero, np.cumsum(n, axis=-1)], axis=-1)
    big_n = cn[..., -1:]
    inside_n = cn[..., b] - cn[..., a]
    outside_n = big_n - inside_n
    if metric == "volume":
        length = n.shape[-1]
        days_in = (b - a).astype(float)
        whole = _xlogx_rate(big_n, np.array([float(length)]))
        return 2 * (_xlogx_rate(inside_n, days_in) + _xlogx_rate(outside_n, length - days_in) - whole)
    cs = np.concatenate([zero, np.cumsum(s, axis=-1)], axis=-1)
    big_s = cs[..., -1:]
    inside_s = cs[..., b] - cs[..., a]
    outside_s = big_s - inside_s
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = inside_s**2 / inside_n + outside_s**2 / outside_n - big_s**2 / big_n
    return np.where((inside_n >= MIN_SIDE_ITEMS) & (outside_n >= MIN_SIDE_ITEMS), stat, 0.0)


SEGMENT_CHUNK = 512  # segments per step of ``_segment_maxima`` (a step's arrays stay in the CPU cache)


def _segment_maxima(
    metric: str, n: np.ndarray, s: np.ndarray, rows: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Per shuffle (a row of ``rows``: day order), the largest ``_segment_stats`` over the segments
    ``[a, b)`` — the same numbers, operation for operation, so the same maxima, ~6× cheaper: the running
    sums are laid out day by day (a segment's edge is a contiguous row of every shuffle, not one number
    per shuffle), and the segments are taken a chunk at a time, reusing the chunk's arrays in place."""
    batch, length = rows.shape
    order = rows.T
    cn = np.empty((length + 1, batch))
    cn[0] = 0.0
    np.cumsum(n[order], axis=0, out=cn[1:])
    big_n = cn[-1]
    best = np.full(batch, -np.inf)
    if metric == "volume":
        whole = _xlogx_rate(big_n, np.array([float(length)]))
        days_in = (b - a).astype(float)[:, None]
        for i in range(0, len(a), SEGMENT_CHUNK):
            chunk = slice(i, i + SEGMENT_CHUNK)
            inside_n = cn[b[chunk]]
            inside_n -= cn[a[chunk]]
            stat = _xlogx_rate(inside_n, days_in[chunk])
            stat += _xlogx_rate(big_n - inside_n, length - days_in[chunk])
            stat -= whole
            stat *= 2
            np.maximum(best, stat.max(axis=0), out=best)
        return best
    cs = np.empty((length + 1, batch))
    cs[0] = 0.0
    np.cumsum(s[order], axis=0, out=cs[1:])
    big_s = cs[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        constant = big_s**2 / big_n
    for i in range(0, len(a), SEGMENT_CHUNK):
        chunk = slice(i, i + SEGMENT_CHUNK)
        inside_n = cn[b[chunk]]
        inside_n -= cn[a[chunk]]
        outside_n = big_n - inside_n
        inside_s = cs[b[chunk]]
        inside_s -= cs[a[chunk]]
        outside_s = big_s - inside_s
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.square(inside_s, out=inside_s)
            stat /= inside_n
            np.square(outside_s, out=outside_s)
            outside_s /= outside_n
            stat += outside_s
        stat -= constant
        small = (inside_n < MIN_SIDE_ITEMS) | (outside_n < MIN_SIDE_ITEMS)
        if small.any():
            stat[small] = 0.0
        np.maximum(best, stat.max(axis=0), out=best)
    return best


def _permutation_p(
    observed: float,
    maxima_of: Callable[[np.ndarray], np.ndarray],
    length: int,
    rng: np.random.Generator,
    decide_at: float | None = None,
) -> float:
    """Share of day shuffles whose largest statistic reaches ``observed``. Shuffles are drawn in batches
    and the draw stops once ``STOP_AFTER`` of them have reached it (Besag & Clifford's sequential
    p-value): a window that is clearly not significant costs a few dozen shuffles, not ``PERMUTATIONS``.

    ``decide_at``: the caller only compares the p-value with this level. The draw then also stops as
    soon as the p-value is sure to end above it — ``(1 + exceed) / (PERMUTATIONS + 1)`` is a lower
    bound of whatever the full draw would return (it stops at ``STOP_AFTER`` / drawn or more, or ends at
    ``(1 + exceed') / (PERMUTATIONS + 1)`` with ``exceed' >= exceed``) — and returns that bound: the
    same decision from fewer shuffles. A p-value at or below ``decide_at`` is always the full one."""
    exceed = drawn = 0
    while drawn < PERMUTATIONS:
        batch = min(BATCH, PERMUTATIONS - drawn)
        shuffles = np.argsort(rng.random((batch, length)), axis=1)
        exceed += int(np.count_nonzero(maxima_of(shuffles) >= observed * (1 - 1e-9)))
        drawn += batch
        if exceed >= STOP_AFTER:
            return exceed / drawn
        if decide_at is not None and (1 + exceed) / (PERMUTATIONS + 1) > decide_at:
            return (1 + exceed) / (PERMUTATIONS + 1)
    return (1 + exceed) / (PERMUTATIONS + 1)


def _chi2_scale(series: DailySeries, lo: int, hi: int) -> float:
    """What turns a statistic of ``series`` into chi-square units (the items' variance for the means)."""
    return 1.0 if series.metric == "volume" else item_variance(series, lo, hi)


def scan_p_value(
    series: DailySeries, lo: int, hi: int, *, min_days: int, rng: np.random.Generator, decide_at: float | None = None
) -> float:
    """P-value of "one change somewhere in ``[lo, hi)``" against "no change" (permutation scan test).
    With ``decide_at``, a p-value above that level may be a lower bound of it (see ``_permutation_p``)."""
    if hi - lo < 2 * min_days:
        return 1.0
    observed = float(split_stats(series, lo, hi, min_days).max())
    if observed <= 0:
        return 1.0
    return _permutation_p(
        observed, lambda rows: split_stats(series, lo, hi, min_days, rows).max(axis=1), hi - lo, rng, decide_at
    )


def bonferroni_p_value(series: DailySeries, lo: int, hi: int, *, min_days: int) -> float:
    """The best split's chi-square p-value times the number of split days looked at (conservative)."""
    if hi - lo < 2 * min_days:
        return 1.0
    stats = split_stats(series, lo, hi, min_days)
    best = float(stats.max()) / _chi2_scale(series, lo, hi)
    return float(min(1.0, chi2.sf(max(best, 0.0), 1) * stats.shape[-1]))


def bump_p_value(
    series: DailySeries,
    lo: int,
    hi: int,
    start: int,
    end: int,
    *,
    min_days: int,
    rng: np.random.Generator,
    alpha: float,
    tests: int = 1,
    decide_at: float | None = None,
) -> float:
    """P-value of "days ``[start, end)`` differ from the rest of ``[lo, hi)``" against "no change".

    The observed statistic is that very segment's; the null is the largest statistic over every segment
    of the window with the days shuffled, so the test pays for every segment it could have picked. A
    segment whose plain chi-square p-value is already above ``alpha`` is not worth the shuffles: that
    p-value (smaller than the honest one) is returned. ``tests`` > 1 adds a Bonferroni bound over that
    many series looked at together. With ``decide_at``, a p-value above that level may be a lower bound of
    it (see ``_permutation_p``).
    """
    length = hi - lo
    if length < 2 * min_days or end - start < min_days or length - (end - start) < min_days:
        return 1.0
    n, s = series.n[lo:hi], series.total[lo:hi]
    observed = float(_segment_stats(series.metric, n, s, np.array([start - lo]), np.array([end - lo]))[0])
    if observed <= 0:
        return 1.0
    plain = float(chi2.sf(observed / _chi2_scale(series, lo, hi), 1))
    if plain > alpha:
        return plain
    a, b = _segment_grid(length, min_days)
    stride = _stride(length)
    if stride > 1:  # the shuffles are looked at on the grid: so is the data, at the grid's nearest segments
        near = (np.abs(a - (start - lo)) < stride) & (np.abs(b - (end - lo)) < stride)
        if near.any():
            observed = float(_segment_stats(series.metric, n, s, a[near], b[near]).max())
    p = _permutation_p(observed, lambda rows: _segment_maxima(series.metric, n, s, rows, a, b), length, rng, decide_at)
    if tests > 1:
        p = max(p, min(1.0, plain * _segments_looked_at(length, min_days) * tests))
    return p


def anything_changed_p_value(series: DailySeries, *, min_days: int, rng: np.random.Generator, tests: int = 1) -> float:
    """P-value of "some stretch of the period differs from the rest of it" against "nothing changed".

    The largest segment statistic over the whole period (a step is a segment that reaches an end of it)
    against the same over day shuffles. Only a series that passes this is looked at closer, so a series
    of noise is reported with probability at most ``alpha`` however many candidates it had.
    """
    length = series.days
    if length < 2 * min_days:
        return 1.0
    a, b = _segment_grid(length, min_days)
    n, s = series.n, series.total
    observed = float(_segment_stats(series.metric, n, s, a, b).max()) if len(a) else 0.0
    if observed <= 0:
        return 1.0
    p = _permutation_p(observed, lambda rows: _segment_maxima(series.metric, n, s, rows, a, b), length, rng)
    if tests > 1:
        plain = float(chi2.sf(observed / _chi2_scale(series, 0, length), 1))
        p = max(p, min(1.0, plain * len(a) * tests))
    return p
