"""How often the negative-spike alert cries wolf, and how often it catches a real incident.

Simulated businesses (no real data is needed for a statistical property): hourly negative counts with a
daily rhythm (busy evenings, quiet nights), a weekly one (busier weekends) and day-to-day
over-dispersion (a gamma-mixed Poisson, as real review streams are burstier than Poisson). The rule runs
every hour with its defaults (6 h window, 28 days of baseline, k = 3, min_count = 5), exactly as
``voxpop.act.alerts.windows.negative_spike`` computes it, on the counts directly.

* false alarms: alert episodes (an alert with none in the 6 h before) per 30 days, on clean streams;
* detection: an incident adds ``extra`` negatives over 3 hours; caught when the rule fires within
  6 hours of the incident's start.

    .venv/bin/python benchmarks/bench_alert_spike.py [--businesses 40] [--seed 1]
"""

from __future__ import annotations

import argparse

import numpy as np

from voxpop.act.alerts.spike import spike_test

DAILY = np.array(
    [
        0.2,
        0.1,
        0.1,
        0.1,
        0.1,
        0.2,
        0.4,
        0.7,
        0.9,
        1.0,
        1.0,
        1.2,
        1.6,
        1.4,
        1.0,
        0.9,
        1.0,
        1.5,
        2.2,
        2.4,
        2.0,
        1.4,
        0.8,
        0.4,
    ]
)
WEEKLY = np.array([0.9, 0.9, 0.9, 1.0, 1.2, 1.4, 1.3])
WINDOW, DAYS, K, MIN_COUNT = 6, 28, 3.0, 5


def stream(rng: np.random.Generator, per_day: float, days: int) -> np.ndarray:
    hours = np.arange(days * 24)
    shape = DAILY[hours % 24] / DAILY.mean() * WEEKLY[(hours // 24) % 7] / WEEKLY.mean()
    day_factor = rng.gamma(8.0, 1 / 8.0, size=days)[hours // 24]
    return rng.poisson(per_day / 24 * shape * day_factor)


def fires(counts: np.ndarray, t: int) -> bool:
    current = int(counts[t - WINDOW : t].sum())
    baseline = [int(counts[t - WINDOW - 24 * d : t - 24 * d].sum()) for d in range(1, DAYS + 1)]
    return spike_test(current, baseline, k=K, min_count=MIN_COUNT).is_spike


def false_alarms(rng: np.random.Generator, per_day: float, businesses: int) -> float:
    days, episodes, evaluated = 60, 0, 0
    for _ in range(businesses):
        counts = stream(rng, per_day, days)
        last = -(10**9)
        for t in range((DAYS + 1) * 24, days * 24):
            evaluated += 1
            if fires(counts, t):
                if t - last >= WINDOW:
                    episodes += 1
                last = t
    return episodes / (evaluated / (30 * 24))


def detection(rng: np.random.Generator, per_day: float, extra: int, trials: int) -> float:
    caught = 0
    for _ in range(trials):
        counts = stream(rng, per_day, DAYS + 4)
        start = (DAYS + 1) * 24 + int(rng.integers(0, 48))
        for _ in range(extra):
            counts[start + int(rng.integers(0, 3))] += 1
        caught += any(fires(counts, t) for t in range(start + 1, start + WINDOW + 1))
    return caught / trials


def main() -> None:
    global K
    parser = argparse.ArgumentParser()
    parser.add_argument("--businesses", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", type=float, default=K)
    args = parser.parse_args()
    K = args.k
    rng = np.random.default_rng(args.seed)
    print(f"window {WINDOW} h, baseline {DAYS} days, k={K}, min_count={MIN_COUNT}; {args.businesses} businesses each")
    print("negatives/day | false alarms per 30 days | caught: +5 | +10 | +20 extra negatives in 3 h")
    for per_day in (2.0, 10.0, 40.0):
        fa = false_alarms(rng, per_day, args.businesses)
        caught = [detection(rng, per_day, extra, args.businesses * 5) for extra in (5, 10, 20)]
        print(f"{per_day:>13.0f} | {fa:>24.2f} | " + " | ".join(f"{c:>5.0%}" for c in caught))


if __name__ == "__main__":
    main()
