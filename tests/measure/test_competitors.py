"""Competitor benchmark: side-by-side rating, sentiment, aspects, and share of voice over time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.measure.hotels import dated_series, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.measure.competitors import OWN, Benchmark, benchmark, competitor_benchmark
from voxpop.measure.observations import Mention, Observation, load_observations
from voxpop.measure.rollups import ensure_fresh
from voxpop.store import Store
from voxpop.store.models.measure import DailyCell


def _split(rows: list[Observation], hotel: str) -> tuple[list[Observation], list[Observation]]:
    return [r for r in rows if r.location == hotel], [r for r in rows if r.location != hotel]


def test_side_by_side_and_share_of_voice_on_real_reviews(store: Store, shared_data: Path) -> None:
    rows = dated_series(read_reviews(shared_data), date(2016, 1, 1), date(2016, 3, 31))
    ours, theirs = _split(rows, "Best Western of Long Beach")
    rival = [r for r in theirs if r.location == "Best Western Plus Waterville Grand Hotel"]
    assert ours
    assert rival
    store_rows(store, ours, make_source(store, "Our reviews"))
    store_rows(store, rival, make_source(store, "Rival on TripAdvisor", competitor="Waterville Grand"))
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        found = competitor_benchmark(s, None, start=date(2016, 1, 1), end=date(2016, 3, 31))
        # the roll-ups give what the items give
        assert found == benchmark(load_observations(s, None, competitors=True))
        assert competitor_benchmark(s, None) == found  # no dates: everything the roll-ups hold
    assert [b.name for b in found.brands] == [OWN, "Waterville Grand"]
    us, them = found.brands
    assert us.items == len(ours)
    assert us.stars == pytest.approx(1 + 4 * sum(r.rating or 0 for r in ours) / len(ours))
    assert them.negative_share == pytest.approx(sum(r.is_negative for r in rival) / len(rival))
    assert found.months == [date(2016, 1, 1), date(2016, 2, 1), date(2016, 3, 1)]
    for i, month in enumerate(found.months):
        mine = sum(1 for r in ours if r.day.replace(day=1) == month)
        other = sum(1 for r in rival if r.day.replace(day=1) == month)
        assert found.share_of_voice[OWN][i] == pytest.approx(mine / (mine + other))
        assert found.share_of_voice[OWN][i] + found.share_of_voice["Waterville Grand"][i] == pytest.approx(1)
    top = found.aspects[0]
    assert us.aspects[top].mentions == sum(top in r.aspects for r in ours)
    positive = sum(r.sentiment == "positive" for r in ours)
    negative = sum(r.sentiment == "negative" for r in ours)
    assert us.sentiment == pytest.approx(100 * (positive - negative) / sum(r.sentiment is not None for r in ours))


def test_no_competitors_means_only_our_own_column(store: Store) -> None:
    with store.read() as s:
        found = competitor_benchmark(s, None)
    assert found.brands == []
    assert found.months == []


def _varied(rows: list[Observation]) -> list[Observation]:
    """The rows with what the analysis can produce beyond one mention per aspect with the item's sentiment:
    an aspect mentioned twice (counted once), a clause whose sentiment differs from the item's, and a
    mention without a sentiment of its own."""
    varied = []
    for i, row in enumerate(rows):
        mentions = list(row.mentions)
        if mentions and i % 3 == 0:
            mentions.append(Mention(name=mentions[0].name, sentiment="negative"))  # a second mention: not counted
        if mentions and i % 4 == 1:
            mentions[0] = replace(mentions[0], sentiment="negative" if row.sentiment != "negative" else "positive")
        if mentions and i % 5 == 2:
            mentions[-1] = replace(mentions[-1], sentiment=None)
        varied.append(replace(row, mentions=tuple(mentions)))
    return varied


def test_aspect_rows_from_the_cells_are_the_items_aspect_rows(store: Store, shared_data: Path) -> None:
    rows = _varied(dated_series(read_reviews(shared_data), date(2016, 1, 1), date(2016, 6, 30)))
    ours, theirs = _split(rows, "Best Western of Long Beach")
    rival = [r for r in theirs if r.location == "Best Western Plus Waterville Grand Hotel"]
    store_rows(store, ours, make_source(store, "Our reviews"))
    store_rows(store, rival[::2], make_source(store, "Rival on TripAdvisor", competitor="Waterville Grand"))
    store_rows(store, rival[1::2], make_source(store, "Rival on Google", competitor="Waterville Grand"))
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        for start, end in ((None, None), (date(2016, 1, 10), date(2016, 5, 20)), (date(2016, 2, 1), date(2016, 2, 29))):
            found = competitor_benchmark(s, None, start=start, end=end)
            items = benchmark(load_observations(s, None, start=start, end=end, competitors=True))
            assert found == items, (start, end)
        cells = s.scalar(select(func.count()).select_from(DailyCell).where(DailyCell.dimension == "aspect_source"))
    assert cells  # the competitor's aspects have cells of their own
    found = competitor_benchmark_of(store)
    us, them = found.brands
    assert them.name == "Waterville Grand"
    for brand, mine in ((us, ours), (them, rival)):
        for name, side in brand.aspects.items():
            assert side.mentions == sum(name in r.aspects for r in mine)  # once per item
            first = [next(m for m in r.mentions if m.name == name) for r in mine if name in r.aspects]
            assert side.negative == sum(m.sentiment == "negative" for m in first)  # the clause's own sentiment
    assert them.aspects


def competitor_benchmark_of(store: Store) -> Benchmark:
    with store.read() as s:
        return competitor_benchmark(s, None)
