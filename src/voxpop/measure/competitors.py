"""Benchmark against named competitors: rating, sentiment and aspects side by side, share of voice.

A competitor's reviews and mentions come in through sources marked ``is_competitor`` with the
competitor's name in ``competitor`` (the source's name when that is empty). Our own items are the
brand ``OWN``. Share of voice is each brand's share of all the items of a month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from voxpop.measure.observations import Observation, load_observations
from voxpop.store.models import User

OWN = "us"
TOP_ASPECTS = 8


@dataclass
class AspectSide:
    mentions: int = 0
    negative: int = 0

    @property
    def friction(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None


@dataclass
class Brand:
    name: str
    items: int = 0
    rated: int = 0
    rating_sum: float = 0.0
    scored: int = 0
    score_sum: float = 0.0
    with_sentiment: int = 0
    negative: int = 0
    aspects: dict[str, AspectSide] = field(default_factory=lambda: defaultdict(AspectSide))

    @property
    def stars(self) -> float | None:
        """Average rating on a 1–5 scale (from the normalised 0–1 ratings)."""
        return 1 + 4 * self.rating_sum / self.rated if self.rated else None

    @property
    def sentiment(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.with_sentiment if self.with_sentiment else None

    def aspect_share(self, aspect: str) -> float | None:
        side = self.aspects.get(aspect)
        return side.mentions / self.items if side and self.items else None


@dataclass
class Benchmark:
    brands: list[Brand]
    aspects: list[str]
    months: list[date]
    share_of_voice: dict[str, list[float]]  # brand -> share per month, in ``months`` order
    volume: dict[str, list[int]]


def _brand_of(row: Observation) -> str:
    return row.brand or OWN


def benchmark(rows: Sequence[Observation], *, top_aspects: int = TOP_ASPECTS) -> Benchmark:
    brands: dict[str, Brand] = {}
    by_month: dict[date, Counter[str]] = defaultdict(Counter)
    mentions: Counter[str] = Counter()
    for row in rows:
        name = _brand_of(row)
        brand = brands.setdefault(name, Brand(name))
        brand.items += 1
        if row.rating is not None:
            brand.rated += 1
            brand.rating_sum += row.rating
        if row.score is not None:
            brand.scored += 1
            brand.score_sum += row.score
        if row.sentiment:
            brand.with_sentiment += 1
            brand.negative += row.is_negative
        for mention in row.mentions:
            side = brand.aspects[mention.name]
            side.mentions += 1
            side.negative += (mention.sentiment or row.sentiment) == "negative"
            mentions[mention.name] += 1
        by_month[row.day.replace(day=1)][name] += 1
    order = sorted(brands, key=lambda n: (n != OWN, -brands[n].items, n))
    months = sorted(by_month)
    share = {n: [by_month[m][n] / sum(by_month[m].values()) for m in months] for n in order}
    volume = {n: [by_month[m][n] for m in months] for n in order}
    return Benchmark(
        brands=[brands[n] for n in order],
        aspects=[a for a, _ in mentions.most_common(top_aspects)],
        months=months,
        share_of_voice=share,
        volume=volume,
    )


def competitor_benchmark(
    session: Session, viewer: User | None, *, start: date | None = None, end: date | None = None
) -> Benchmark:
    """Our items and every competitor's over ``[start, end]``, side by side."""
    return benchmark(load_observations(session, viewer, start=start, end=end, competitors=True))
