"""A metric's daily series: per day, how many items count for it and the sum of their values and of their
squares (``DailySeries``), built from the item observations (:func:`daily_series`) or from the roll-up
cells (``trend_cells``).

The metrics the insight pages offer (``METRICS``) and what one item adds to each (:func:`metric_value`)
live here, apart from the change detection (``measure.changes``) and its tests
(``measure.significance``), which both read the series: so neither has to import the other for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from voxpop.errors import ValidationError
from voxpop.measure.observations import NEGATIVE, Observation

METRICS = ("negative_share", "sentiment", "rating", "volume")
METRIC_LABELS = {
    "negative_share": "share negative",
    "sentiment": "sentiment index",
    "rating": "average rating",
    "volume": "items per day",
}


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
