"""Change detection over many series: recall on injected shifts, false alarms on unchanged series.

Base series are real hotel reviews (Datafiniti, read from ../shared/data; stars stand in for the
sentiment, the hotel taxonomy's keywords for the aspects, see ``tests/measure/hotels.py``) resampled onto
``--days`` days at a Poisson rate of ``--rates`` items a day: real texts, ratings, hotels and aspects, and
no change by construction. A shifted series adds, for 30 days from a random day, real negative reviews
about one aspect posted at one hotel — enough to raise that month's share of negative items by an
absolute ``--effect-min``…``--effect-max`` (drawn per series). Both kinds go through
``measure.changes.detect_changes`` on the share of negative items.

* recall: shifted series with an upward change detected within 7 days of the injected start;
* false alarms: changes found in unchanged series, per series;
* drivers: of the detected shifts, how often the injected hotel and the injected aspect rank first.

    .venv/bin/python benchmarks/bench_changes.py [--series 100] [--seed 0] [--whole-only]

``--whole-only`` skips the per-location/aspect/channel series (the "any segment" line), which cost most
of the run; the whole-series figures are the same with or without it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.measure.hotels import Review, complaints, inject, observation, read_reviews  # noqa: E402

from voxpop.measure.attribution import explain  # noqa: E402
from voxpop.measure.changes import Change, detect_changes, detect_segment_changes  # noqa: E402
from voxpop.measure.observations import Observation  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
START = date(2025, 1, 1)
ASPECTS = ("cleanliness", "staff", "room", "noise")


def base_series(reviews: list[Review], rate: float, days: int, rng: random.Random) -> list[Observation]:
    numpy_rng = np.random.default_rng(rng.randrange(2**32))
    rows = []
    for day in range(days):
        for _ in range(int(numpy_rng.poisson(rate))):
            when = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(
                days=day, seconds=rng.randrange(86400)
            )
            rows.append(observation(rng.choice(reviews), len(rows) + 1, when))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=100, help="shifted series (and as many unchanged)")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rates", default="3,6,12", help="items per day, one drawn per series")
    parser.add_argument("--effect-min", type=float, default=0.10)
    parser.add_argument("--effect-max", type=float, default=0.20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whole-only", action="store_true", help="skip the per-segment series")
    args = parser.parse_args()

    reviews = read_reviews(SHARED)
    hotels = [h for h, _ in __import__("collections").Counter(r.hotel for r in reviews).most_common(5)]
    pools = {a: complaints(reviews, a) for a in ASPECTS}
    rates = [float(r) for r in args.rates.split(",")]
    rng = random.Random(args.seed)
    end = START + timedelta(days=args.days - 1)

    def changes(rows: list[Observation]) -> tuple[list[Change], list[Change]]:
        _, whole = detect_changes(rows, "negative_share", START, end)
        if args.whole_only:
            return whole, []
        return whole, detect_segment_changes(rows, "negative_share", START, end)

    def near(found: list[Change], begin: date) -> list[Change]:
        return [c for c in found if c.delta > 0 and abs((c.day - begin).days) <= 7]

    hits = {"whole": 0, "any": 0}
    alarms = {"whole": 0, "any": 0}
    alarmed = {"whole": 0, "any": 0}  # unchanged series with at least one alarm
    hotel_first = aspect_first = 0
    started = time.perf_counter()
    for _ in range(args.series):
        rate = rng.choice(rates)
        whole, segments = changes(base_series(reviews, rate, args.days, rng))
        alarms["whole"] += len(whole)
        alarms["any"] += len(whole) + len(segments)
        alarmed["whole"] += bool(whole)
        alarmed["any"] += bool(whole or segments)

        rows = base_series(reviews, rate, args.days, rng)
        hotel, aspect = rng.choice(hotels), rng.choice(ASPECTS)
        begin = START + timedelta(days=rng.randrange(30, args.days - 60))
        share = sum(r.is_negative for r in rows) / max(len(rows), 1)
        month = sum(1 for r in rows if begin <= r.day < begin + timedelta(days=30))
        effect = rng.uniform(args.effect_min, args.effect_max)
        count = max(1, round(effect * month / max(1 - share - effect, 0.05)))
        shifted = inject(rows, pools[aspect], hotel=hotel, start=begin, days=30, count=count, rng=rng)
        whole, segments = changes(shifted)
        hits["whole"] += bool(near(whole, begin))
        hits["any"] += bool(near(whole, begin) or near(segments, begin))
        if near(whole, begin):
            drivers = explain(near(whole, begin)[0], shifted)
            hotel_first += bool(drivers["location"]) and drivers["location"][0].segment == hotel
            aspect_first += bool(drivers["aspect"]) and drivers["aspect"][0].segment == aspect
    elapsed = time.perf_counter() - started
    n = args.series
    print(f"series: {n} shifted + {n} unchanged, {args.days} days, {args.rates} items/day, seed {args.seed}")
    print(f"injected: share negative +{args.effect_min:.2f}..+{args.effect_max:.2f} over the series' own, 30 days")
    lines = (("whole", "whole series"), ("any", "whole series or any segment"))
    for key, label in lines[: 1 if args.whole_only else 2]:
        print(
            f"{label}: recall {hits[key] / n:.3f} ({hits[key]}/{n}), "
            f"false alarms {alarms[key] / n:.3f} per unchanged series ({alarms[key]} in {n}; "
            f"{alarmed[key]} series with any)"
        )
    if hits["whole"]:
        h, a, w = hotel_first / hits["whole"], aspect_first / hits["whole"], hits["whole"]
        print(
            f"drivers of the {w} whole-series detections: injected hotel first {h:.3f}, injected aspect first {a:.3f}"
        )
    print(f"time: {elapsed:.1f} s ({elapsed / (2 * n) * 1000:.0f} ms per series)")


if __name__ == "__main__":
    main()
