"""When demo items happen: more at weekends, slowly growing, at the hours each channel is busy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from voxpop.demo import business as biz

# Relative activity by hour of day (0–23) for each kind of item.
_HOURS = {
    "review": [0, 0, 0, 0, 0, 0, 1, 3, 6, 7, 7, 6, 6, 6, 5, 5, 5, 5, 5, 6, 7, 6, 4, 2],
    "mention": [2, 1, 1, 0, 0, 1, 2, 4, 6, 6, 5, 5, 6, 5, 4, 4, 5, 6, 7, 8, 8, 7, 5, 3],
    "survey": [0, 0, 0, 0, 0, 0, 1, 2, 4, 5, 6, 6, 6, 6, 5, 5, 5, 6, 6, 6, 5, 4, 2, 1],
    "ticket": [0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 8, 7, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1, 1],
    "feedback": [0, 0, 0, 0, 0, 1, 1, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 4, 2, 1],
    "note": [0, 0, 0, 0, 0, 0, 2, 6, 8, 8, 7, 6, 7, 6, 5, 4, 3, 1, 0, 0, 0, 0, 0, 0],
}


class Timeline:
    """Picks days and moments in the ``biz.DAYS`` days before ``now``; never a moment after ``now``."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now.astimezone(UTC)
        self.midnight = datetime.combine(self.now.date(), time(0), tzinfo=UTC)
        self.days = list(range(biz.DAYS))
        self.weights = [self._weight(d) for d in self.days]

    def _weight(self, days_ago: int) -> float:
        weekday = (self.now.date() - timedelta(days=days_ago)).weekday()
        weight = 1.0 + 0.6 * (1 - days_ago / biz.DAYS)  # the brand is growing
        if weekday >= 5:
            weight *= 1.35
        for story, bump in ((biz.SEASONAL, 1.35), (biz.PRICE_RISE, 1.2), (biz.PARTNER, 1.15)):
            if 0 <= story.starts_days_ago - days_ago < 7:
                weight *= bump
        return weight

    def day(self) -> int:
        return self.rng.choices(self.days, self.weights)[0]

    def moment(self, kind: str, days_ago: int | None = None) -> datetime:
        """A time on a (random, or the given) day, at an hour that suits ``kind``."""
        if days_ago is None:
            days_ago = self.day()
        hour = self.rng.choices(range(24), _HOURS[kind])[0]
        at = self.midnight - timedelta(days=days_ago) + timedelta(hours=hour, seconds=self.rng.randrange(3600))
        while at > self.now - timedelta(minutes=2):
            at -= timedelta(days=1)
        return at

    def days_ago(self, at: datetime) -> float:
        return (self.now - at).total_seconds() / 86400

    def stories(self, at: datetime, location: str | None) -> frozenset[str]:
        """The story lines under way at ``at``. The courier only serves the Northgate kitchen."""
        ago = self.days_ago(at)
        active = {s.key for s in biz.STORIES if ago <= s.starts_days_ago}
        if location != "Northgate":
            active.discard(biz.PARTNER.key)
        return frozenset(active)
