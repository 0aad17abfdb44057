"""Emerging topics: a theme that grows faster than its baseline is flagged; steady ones are not."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

from tests.measure.hotels import dated_series, read_reviews
from voxpop.measure.emerging import emerging_topics

END = date(2016, 6, 30)


def test_a_growing_topic_is_flagged_and_a_steady_one_is_not(shared_data: Path) -> None:
    rows = dated_series(read_reviews(shared_data), date(2016, 3, 1), END)
    rng = random.Random(0)
    tagged = []
    for row in rows:
        topics: list[str] = []
        if rng.random() < 0.2:
            topics.append("breakfast buffet")  # steady all along
        if row.day >= date(2016, 6, 17) and rng.random() < 0.3:
            topics.append("shuttle bus")  # new in the last two weeks
        tagged.append(replace(row, topics=tuple(topics)))
    found = emerging_topics(tagged, END)
    assert [t.name for t in found] == ["shuttle bus"]
    shuttle = found[0]
    assert shuttle.baseline == 0
    assert shuttle.recent >= 5
    assert shuttle.p_value < 0.01
    assert shuttle.since == date(2016, 6, 17)
    # With the same topic spread evenly over the whole period, nothing emerges.
    even = [replace(r, topics=("shuttle bus",) if rng.random() < 0.1 else ()) for r in rows]
    assert emerging_topics(even, END) == []
    assert emerging_topics([], END) == []
