"""PELT, the optimal partition of a daily series into segments, for ``measure.changes``' candidates.

The same search as ``ruptures``' ``Pelt(min_size=…, jump=1)`` with the costs of every admissible start of a
day computed at once with numpy; ``tests/measure/test_change_speed.py`` checks it finds ruptures'
breakpoints. The costs take prefix sums of the per-day counts (and value sums), so a segment's cost is two
subtractions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def mean_shift_errors(cn: np.ndarray, cs: np.ndarray, variance: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """Within-segment sum of squares of the items' values (in units of their variance, up to a constant),
    from per-day sums, for the segments ``[starts, end)``."""

    def errors(starts: np.ndarray, end: int) -> np.ndarray:
        count = cn[end] - cn[starts]
        total = cs[end] - cs[starts]
        return np.where(count > 0, -(total * total) / count / variance, 0.0)

    return errors


def poisson_errors(cn: np.ndarray) -> Callable[[np.ndarray, int], np.ndarray]:
    """Twice the negative Poisson log-likelihood of a segment's daily counts at its own rate, for the
    segments ``[starts, end)``."""

    def errors(starts: np.ndarray, end: int) -> np.ndarray:
        count = cn[end] - cn[starts]
        return np.where(count > 0, -2 * count * np.log(count / (end - starts)), 0.0)

    return errors


def pelt(errors: Callable[[np.ndarray, int], np.ndarray], days: int, min_size: int, penalty: float) -> list[int]:
    """The optimal partition of ``days`` days under ``errors`` plus ``penalty`` per segment (PELT, segments
    of at least ``min_size`` days): the day indexes where a segment starts.

    The same search as ``ruptures``' ``Pelt(min_size=min_size, jump=1)`` — the same admissible starts,
    sums, tie-breaks and pruning, so the same breakpoints (``tests/measure/test_changes.py`` compares the
    two) — but the costs of every admissible start of a day are computed at once instead of by one
    Python call each (ruptures took ~3 ms per 90-day series, a good part of a dashboard first view)."""
    best = np.zeros(days + 1)  # best[t]: the optimal cost of days [0, t)
    previous = np.zeros(days + 1, dtype=int)  # where the last segment of that optimum starts
    starts = np.zeros(days + 1, dtype=int)  # the admissible starts are starts[:count], in order
    count = 0
    with np.errstate(divide="ignore", invalid="ignore"):  # empty segments: their cost is 0
        for end in range(min_size, days + 1):
            start = end - min_size  # becomes admissible now; starts in (0, min_size) have no partition
            if start == 0 or start >= min_size:
                starts[count] = start
                count += 1
            admissible = starts[:count]
            totals = best[admissible] + (errors(admissible, end) + penalty)
            choice = int(totals.argmin())  # the first of equal minima, as ruptures' ``min`` picks
            best[end] = low = totals[choice]
            previous[end] = admissible[choice]
            kept = admissible[totals <= low + penalty]
            count = len(kept)
            starts[:count] = kept
    breaks = []
    end = days
    while end > 0:
        end = int(previous[end])
        breaks.append(end)
    return sorted(b for b in breaks if b > 0)
