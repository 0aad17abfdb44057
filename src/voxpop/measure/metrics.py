"""The arithmetic of the CX metrics: pure functions over counts and sums, no database.

Every metric is an :class:`Estimate`: the value, a 95 % confidence interval and the sample size, and
``too_few`` when the sample is below the threshold (``Settings.metrics_min_sample``) — the pages then
say "too few answers" instead of showing a number that means nothing.

Survey answers are items of kind ``survey`` whose score is in ``rating_raw`` on the scale
``rating_min``–``rating_max``, and whose question type is ``item.raw["question_type"]`` (``nps``,
``csat`` or ``ces``). Without a type, the scale decides: 0–10 is NPS, 1–7 is CES, 1–5 is CSAT.
Scores on another scale are mapped linearly onto the metric's own scale (NPS 0–10, CSAT 1–5, CES 1–7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats

Z95 = 1.959963984540054
NPS, CSAT, CES = "nps", "csat", "ces"
QUESTION_TYPES = (NPS, CSAT, CES)
SCALES: dict[str, tuple[float, float]] = {NPS: (0.0, 10.0), CSAT: (1.0, 5.0), CES: (1.0, 7.0)}


@dataclass(frozen=True)
class Estimate:
    """A metric's value with its 95 % interval. ``value`` is None when there is no data at all."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool

    @property
    def shown(self) -> float | None:
        """The value when there is enough data to show it."""
        return None if self.too_few else self.value


def _empty(n: int = 0) -> Estimate:
    return Estimate(None, None, None, n, True)


def wilson(k: int, n: int, *, min_n: int = 1, scale: float = 100.0) -> Estimate:
    """A proportion ``k/n`` (times ``scale``) with the Wilson score interval, which stays inside 0–1
    and behaves at k = 0, k = n and small n, where the normal approximation does not."""
    if n <= 0:
        return _empty()
    if not 0 <= k <= n:
        raise ValueError(f"a proportion needs 0 <= k <= n (k={k}, n={n})")
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(p * scale, max(0.0, centre - half) * scale, min(1.0, centre + half) * scale, n, n < min_n)


def net_score(positive: int, negative: int, n: int, *, min_n: int = 1) -> Estimate:
    """``100 × (positive − negative) / n`` — the shape of NPS and of the sentiment index.

    Interval from the variance of a difference of two multinomial shares:
    ``Var = (p + d − (p − d)²) / n`` (the usual NPS standard error), clipped to −100…100.
    """
    if n <= 0:
        return _empty()
    if positive < 0 or negative < 0 or positive + negative > n:
        raise ValueError(f"counts do not add up: {positive} + {negative} > {n}")
    p, d = positive / n, negative / n
    value = p - d
    half = Z95 * math.sqrt(max(0.0, p + d - value * value) / n)
    return Estimate(100 * value, max(-100.0, 100 * (value - half)), min(100.0, 100 * (value + half)), n, n < min_n)


def mean(total: float, squares: float, n: int, *, min_n: int = 1) -> Estimate:
    """A mean from its sum and sum of squares, with a Student-t interval (none for a single value)."""
    if n <= 0:
        return _empty()
    value = total / n
    if n == 1:
        return Estimate(value, None, None, 1, n < min_n)
    variance = max(0.0, (squares - n * value * value) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return Estimate(value, value - half, value + half, n, n < min_n)


def nps(promoters: int, detractors: int, n: int, *, min_n: int = 1) -> Estimate:
    """Net Promoter Score, −100…100: share of 9–10 minus share of 0–6 answers."""
    return net_score(promoters, detractors, n, min_n=min_n)


def csat(satisfied: int, n: int, *, min_n: int = 1) -> Estimate:
    """CSAT, 0–100: the share of answers in the top two boxes (4 or 5 of 5)."""
    return wilson(satisfied, n, min_n=min_n)


def sentiment_index(positive: int, negative: int, n: int, *, min_n: int = 1) -> Estimate:
    """−100…100: share of positive minus share of negative among the analysed items."""
    return net_score(positive, negative, n, min_n=min_n)


def to_scale(score: float, low: float, high: float, metric: str) -> float:
    """A score on ``low``–``high`` mapped linearly onto ``metric``'s scale."""
    target_low, target_high = SCALES[metric]
    if (low, high) == (target_low, target_high):
        return score
    if high <= low:
        raise ValueError(f"a rating scale needs min < max (got {low}–{high})")
    return target_low + (score - low) / (high - low) * (target_high - target_low)


def question_type(kind: str | None, raw: Mapping[str, Any] | None, low: float | None, high: float | None) -> str | None:
    """Which survey metric an item's score counts for (None: it is not a survey score)."""
    if kind != "survey" or low is None or high is None:
        return None
    given = str((raw or {}).get("question_type") or "").lower()
    if given in QUESTION_TYPES:
        return given
    if given:  # rating, choice, open… — not a CX metric
        return None
    for metric, scale in SCALES.items():
        if (low, high) == scale:
            return metric
    return None


def nps_class(score: float) -> int:
    """+1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6), on the 0–10 scale (rounded)."""
    rounded = math.floor(score + 0.5)
    if not 0 <= rounded <= 10:
        raise ValueError(f"an NPS answer is 0–10, not {score}")
    return 1 if rounded >= 9 else -1 if rounded <= 6 else 0


def csat_satisfied(score: float) -> bool:
    """Top-two-box on the 1–5 scale (4 or 5, after rounding)."""
    return math.floor(score + 0.5) >= 4


def median_of_counts(counts: Mapping[int, int]) -> float | None:
    """The median of values given as ``{value: how many}`` (the mean of the two middle values when
    the count is even)."""
    total = sum(c for c in counts.values() if c > 0)
    if total == 0:
        return None
    ordered = sorted((v, c) for v, c in counts.items() if c > 0)
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen = 0
    lower: float | None = None
    for value, count in ordered:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            assert lower is not None
            return (lower + value) / 2
        seen += count
    raise AssertionError("unreachable")


def change(current: float | None, previous: float | None) -> float | None:
    """The difference against the previous period (None when either is missing)."""
    if current is None or previous is None:
        return None
    return current - previous


#: The additive counts a roll-up cell keeps (``store.models.measure.DailyCell`` has a column for each).
COUNTERS: tuple[str, ...] = (
    "volume",
    "rated",
    "rating_sum",
    "rating_sq",
    "analysed",
    "positive",
    "neutral",
    "negative",
    "nps_n",
    "promoters",
    "detractors",
    "csat_n",
    "csat_top",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "answerable",
    "responded",
    "sla_n",
    "sla_breached",
)


@dataclass
class Totals:
    """Counts and sums that add up across days, departments, channels — everything a metric needs.

    ``rating_*`` are on the normalised 0–1 scale; ``ces_*`` on 1–7; ``response_minutes`` is
    ``{minutes: items}`` of the responded items.
    """

    volume: int = 0
    rated: int = 0
    rating_sum: float = 0.0
    rating_sq: float = 0.0
    analysed: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    csat_n: int = 0
    csat_top: int = 0
    ces_n: int = 0
    ces_sum: float = 0.0
    ces_sq: float = 0.0
    answerable: int = 0
    responded: int = 0
    sla_n: int = 0
    sla_breached: int = 0
    response_minutes: dict[int, int] | None = None

    def add(self, other: Totals) -> Totals:
        """Add ``other`` into this one (in place) and return it."""
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.response_minutes:
            merged = self.response_minutes if self.response_minutes is not None else {}
            for minutes, count in other.response_minutes.items():
                merged[minutes] = merged.get(minutes, 0) + count
            self.response_minutes = merged
        return self


@dataclass(frozen=True)
class Metrics:
    """The CX metrics of one set of totals; ``min_n`` is the "too few answers" threshold."""

    totals: Totals
    min_n: int = 10

    @property
    def volume(self) -> int:
        return self.totals.volume

    @property
    def nps(self) -> Estimate:
        t = self.totals
        return nps(t.promoters, t.detractors, t.nps_n, min_n=self.min_n)

    @property
    def csat(self) -> Estimate:
        return csat(self.totals.csat_top, self.totals.csat_n, min_n=self.min_n)

    @property
    def ces(self) -> Estimate:
        t = self.totals
        return mean(t.ces_sum, t.ces_sq, t.ces_n, min_n=self.min_n)

    @property
    def rating(self) -> Estimate:
        """Mean rating on the normalised 0–1 scale (every platform's scale mapped onto it)."""
        t = self.totals
        return mean(t.rating_sum, t.rating_sq, t.rated, min_n=self.min_n)

    @property
    def stars(self) -> float | None:
        """The mean rating shown as 1–5 stars (None when too few)."""
        value = self.rating.shown
        return None if value is None else 1 + 4 * value

    @property
    def sentiment(self) -> Estimate:
        t = self.totals
        return sentiment_index(t.positive, t.negative, t.analysed, min_n=self.min_n)

    @property
    def negative_share(self) -> Estimate:
        return wilson(self.totals.negative, self.totals.analysed, min_n=self.min_n)

    @property
    def response_rate(self) -> Estimate:
        return wilson(self.totals.responded, self.totals.answerable, min_n=self.min_n)

    @property
    def median_response_minutes(self) -> float | None:
        """Median time to first response, in minutes (None when nothing was answered)."""
        return median_of_counts(self.totals.response_minutes or {})

    @property
    def sla_breaches(self) -> int:
        return self.totals.sla_breached

    @property
    def sla_breach_rate(self) -> Estimate:
        return wilson(self.totals.sla_breached, self.totals.sla_n, min_n=self.min_n)


def format_minutes(minutes: float | None) -> str:
    """``95`` → "1 h 35 min"; days past 48 hours."""
    if minutes is None:
        return "–"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    if whole < 48 * 60:
        hours, rest = divmod(whole, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes / 1440:.1f} days"
