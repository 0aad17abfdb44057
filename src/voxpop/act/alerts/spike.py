"""The negative-spike test: is the number of negatives in the last N hours unusually high?

The baseline is the same N-hour window, at the same time of day, on each of the past ``days`` days
(28 by default: four weeks of the business's own rhythm — lunch rush, Monday mornings). With ``x`` the
current count and ``μ``, ``s`` the mean and standard deviation of the baseline counts, the window is a
spike when

    x ≥ min_count   and   x > μ + k·σ,   σ = max(s, √max(μ, 1))

That is a one-sided z-test of the current count against the baseline. ``σ`` is floored at the Poisson
standard deviation √μ (and at 1), because counts of rare events are Poisson-like: a baseline of
mostly zeros has ``s`` near 0, and without the floor a single negative would look like a many-sigma
event. ``min_count`` keeps a quiet business from being paged about three reviews. Windows before the
first item ever stored are left out of the baseline (a new install has no history), and fewer than
seven baseline windows means "not enough history": no alert.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_BASELINE = 7


@dataclass(frozen=True)
class SpikeResult:
    count: int
    mean: float
    sd: float
    threshold: float
    baseline: tuple[int, ...]
    is_spike: bool

    @property
    def z(self) -> float:
        scale = max(self.sd, math.sqrt(max(self.mean, 1.0)))
        return (self.count - self.mean) / scale


def spike_test(count: int, baseline: Sequence[int], *, k: float, min_count: int) -> SpikeResult:
    """Test ``count`` against the ``baseline`` counts (see the module's docstring)."""
    if len(baseline) < MIN_BASELINE:
        return SpikeResult(count, 0.0, 0.0, math.inf, tuple(baseline), False)
    mean = statistics.fmean(baseline)
    sd = statistics.stdev(baseline)
    threshold = mean + k * max(sd, math.sqrt(max(mean, 1.0)))
    return SpikeResult(count, mean, sd, threshold, tuple(baseline), count >= min_count and count > threshold)
