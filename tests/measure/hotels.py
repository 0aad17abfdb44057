"""Real dated hotel reviews (Datafiniti, read from ../shared/data, never copied) as observations.

The stars stand in for the analysis (1–2 negative, 3 neutral, 4–5 positive; score from the stars) and
the aspects are found with the built-in hotel taxonomy's keywords, so these tests and the benchmark do
not depend on the sentiment model. ``inject`` adds real negative reviews about one aspect to one hotel
over a stretch of days: the known shift the change detection must find and explain.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from voxpop.analyze.taxonomy import load_taxonomy
from voxpop.measure.observations import Mention, Observation

DATAFINITI = Path("datafiniti_hotel_reviews_sample") / "datafiniti_hotel_reviews_7282_1_first1427.csv"
LONG_BEACH = "Best Western of Long Beach"


@dataclass(frozen=True)
class Review:
    text: str
    stars: int
    hotel: str
    when: datetime | None


def sentiment_of(stars: int) -> tuple[str, float]:
    return ("negative" if stars <= 2 else "neutral" if stars == 3 else "positive"), (stars - 3) / 2


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    found = []
    for aspect in load_taxonomy("hotel").aspects:
        if aspect.keywords:
            words = "|".join(re.escape(k.lower()) for k in sorted(aspect.keywords, key=len, reverse=True))
            found.append((aspect.name, re.compile(rf"(?<!\w)(?:{words})(?:s|es)?(?!\w)", re.IGNORECASE)))
    return tuple(found)


def aspects_of(text: str) -> list[str]:
    return [name for name, pattern in _patterns() if pattern.search(text)]


def read_reviews(shared_data: Path) -> list[Review]:
    reviews = []
    with (shared_data / DATAFINITI).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                stars = round(float(row["reviews.rating"]))
            except ValueError:
                continue
            if not 1 <= stars <= 5:
                continue
            stamp = row["reviews.date"].strip()
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC) if stamp else None
            reviews.append(Review(text=row["reviews.text"], stars=stars, hotel=row["name"], when=when))
    return reviews


def observation(review: Review, item_id: int, when: datetime, *, hotel: str | None = None) -> Observation:
    sentiment, score = sentiment_of(review.stars)
    mentions = tuple(Mention(name=a, sentiment=sentiment, score=score) for a in aspects_of(review.text))
    return Observation(
        id=item_id,
        created_at=when,
        sentiment=sentiment,
        score=score,
        rating=(review.stars - 1) / 4,
        location=hotel or review.hotel,
        channel="tripadvisor" if item_id % 3 else "google",
        mentions=mentions,
    )


def dated_series(reviews: Sequence[Review], start: date, end: date) -> list[Observation]:
    """The real reviews of ``[start, end]`` at their real dates."""
    rows = []
    for i, review in enumerate(reviews):
        if review.when is not None and start <= review.when.date() <= end:
            rows.append(observation(review, i + 1, review.when))
    return rows


def complaints(reviews: Sequence[Review], aspect: str) -> list[Review]:
    """Real negative reviews that mention ``aspect``."""
    return [r for r in reviews if r.stars <= 2 and aspect in aspects_of(r.text)]


def inject(
    rows: list[Observation],
    pool: Sequence[Review],
    *,
    hotel: str,
    start: date,
    days: int,
    count: int,
    rng: random.Random,
) -> list[Observation]:
    """``rows`` plus ``count`` reviews drawn from ``pool``, posted at ``hotel`` over ``days`` from ``start``."""
    next_id = max((r.id for r in rows), default=0) + 1
    extra = []
    for k in range(count):
        when = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(
            days=rng.randrange(days), hours=rng.randrange(24)
        )
        extra.append(replace(observation(rng.choice(pool), next_id + k, when, hotel=hotel)))
    return sorted(rows + extra, key=lambda r: (r.created_at, r.id))
