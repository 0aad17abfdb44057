"""Airline tweets labelled for voxpop by two annotators (``benchmarks/data/*_airline*.csv``: tweet id, each
annotator's label, the adjudicated label). Only ids and labels are stored here; the texts are read from
``../shared/data``, whose licence is non-commercial. Shared by ``bench_questions.py`` and ``bench_urgency.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"


def tweets_by_id() -> dict[str, dict[str, str]]:
    with TWEETS.open(newline="", encoding="utf-8") as handle:
        return {row["tweet_id"]: row for row in csv.DictReader(handle)}


def labelled(path: Path, tweets: dict[str, dict[str, str]], name: str, what: str) -> tuple[list[dict], list[int]]:
    """The label rows of ``path`` (each tweet's row of the data set under ``"tweet"``) and the adjudicated labels;
    prints the set's size and the annotators' agreement."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = [row["tweet_id"] for row in rows if row["tweet_id"] not in tweets]
    if missing:
        raise SystemExit(f"{TWEETS}: {len(missing)} tweet ids of {path.name} not found, e.g. {missing[:3]}")
    for row in rows:
        row["tweet"] = tweets[row["tweet_id"]]
    gold = [int(row["label"]) for row in rows]
    a, b = [int(row["label_a"]) for row in rows], [int(row["label_b"]) for row in rows]
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    print(f"[{name}] {path.name}: {len(rows)} tweets, {sum(gold)} {what} ({sum(gold) / len(rows):.1%})")
    kappa = cohen_kappa_score(a, b)
    print(f"  annotators agree on {agree} of {len(rows)}, Cohen's kappa {kappa:.3f}; the rest adjudicated")
    return rows, gold
