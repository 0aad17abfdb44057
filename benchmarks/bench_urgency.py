"""Urgency (``voxpop.analyze.urgency``) against hand labels on 1,200 airline tweets: does it put first what a
care team should answer within the hour?

Two label files (tweet id, two annotators' labels, the adjudicated label) in ``benchmarks/data/``, made for
voxpop on 2026-12-07 from ``../shared/data/twitter_airline_sentiment/Tweets.csv`` (ids and labels only; the
texts' licence is non-commercial): 1,200 tweets drawn with ``random.Random(20261209)`` from those not in the
question sets, each labelled by two annotators working apart from each other and from voxpop's code, after
``benchmarks/data/urgency_guideline.md`` (1 = time pressure now, safety, escalation or a blow-up in the making).

* ``urgency_airline.csv``: the first 600, to tune on (the rules were adjusted while reading its errors);
* ``urgency_airline_heldout.csv``: the other 600, labelled before the adjustments and scored once after.

The tweets go through the real ``voxpop analyze`` (shares from ``retweet_count``, as ``bench_analyze.py`` maps
them; these 2015 tweets carry no follower counts, so reach and velocity are mostly 0 and urgency rests on the
text). Reported per set: ROC AUC and average precision of the urgency score and of its factors alone, and the
share of urgent tweets among the top 5 % and 10 % (an inbox is read from the top).

    .venv/bin/python benchmarks/bench_urgency.py [--show N] [--only tuning]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

HERE = Path(__file__).resolve().parent
TWEETS = HERE.parent.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
SETS = {"tuning": HERE / "data" / "urgency_airline.csv", "held out": HERE / "data" / "urgency_airline_heldout.csv"}
HOME = HERE / ".cache" / "home"


def kappa(a: list[int], b: list[int]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected)


def analyse(rows: list[dict[str, str]], folder: Path) -> dict[str, dict]:
    """Run ``voxpop analyze`` on the tweets ``rows``; results by tweet id."""
    source, target = folder / "tweets.csv", folder / "tweets.jsonl"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = [
        str(Path(sys.executable).with_name("voxpop")),
        "analyze",
        str(source),
        "-o",
        str(target),
        "--id-column",
        "tweet_id",
        "--map",
        "created_at=tweet_created,author=name,shares=retweet_count,source=airline",
        "--skip",
        "topics",
    ]
    subprocess.run(command, check=True, env=dict(os.environ, VOXPOP_HOME=str(HOME)), capture_output=True)
    with target.open(encoding="utf-8") as handle:
        return {(result := json.loads(line))["id"]: result for line in handle}


def top_share(scores: np.ndarray, gold: np.ndarray, fraction: float) -> float:
    k = max(1, round(len(scores) * fraction))
    order = np.argsort(-scores, kind="stable")
    return float(gold[order[:k]].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print the N worst-ranked urgent and non-urgent tweets")
    parser.add_argument("--only", choices=list(SETS), help="score one set only")
    args = parser.parse_args()
    HOME.mkdir(parents=True, exist_ok=True)
    with TWEETS.open(newline="", encoding="utf-8") as handle:
        by_id = {row["tweet_id"]: row for row in csv.DictReader(handle)}
    for name, path in SETS.items():
        if args.only and name != args.only:
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            labels = list(csv.DictReader(handle))
        missing = [row["tweet_id"] for row in labels if row["tweet_id"] not in by_id]
        if missing:
            raise SystemExit(f"{TWEETS}: {len(missing)} tweet ids of {path.name} not found, e.g. {missing[:3]}")
        with tempfile.TemporaryDirectory() as folder:
            results = analyse([by_id[row["tweet_id"]] for row in labels], Path(folder))
        gold = np.array([int(row["label"]) for row in labels])
        a, b = [int(row["label_a"]) for row in labels], [int(row["label_b"]) for row in labels]
        agree = sum(x == y for x, y in zip(a, b, strict=True))
        print(f"[{name}] {path.name}: {len(labels)} tweets, {gold.sum()} urgent ({gold.mean():.1%})")
        print(f"  annotators agree on {agree} of {len(labels)}, Cohen's kappa {kappa(a, b):.3f}; the rest adjudicated")
        ordered = [results[row["tweet_id"]] for row in labels]
        factors = sorted({key for r in ordered for key, v in r["evidence"]["urgency"].items() if isinstance(v, float)})
        columns = {"urgency": np.array([r["urgency"] for r in ordered])}
        columns |= {f"  {key} alone": np.array([r["evidence"]["urgency"][key] for r in ordered]) for key in factors}
        for label, scores in columns.items():
            if np.ptp(scores) == 0:
                print(f"  {label:<24} constant on this set")
                continue
            print(
                f"  {label:<24} ROC AUC {roc_auc_score(gold, scores):.3f}  average precision "
                f"{average_precision_score(gold, scores):.3f}  urgent in top 5 % {top_share(scores, gold, 0.05):.0%}"
                f", top 10 % {top_share(scores, gold, 0.10):.0%}"
            )
        if args.show:
            scores = columns["urgency"]
            texts = [by_id[row["tweet_id"]]["text"] for row in labels]
            ranked = np.argsort(-scores, kind="stable")
            rank = {int(i): position for position, i in enumerate(ranked)}
            urgent = sorted((i for i in range(len(gold)) if gold[i]), key=lambda i: -rank[i])[: args.show]
            calm = sorted((i for i in range(len(gold)) if not gold[i]), key=lambda i: rank[i])[: args.show]
            for title, picked in (("urgent, ranked lowest", urgent), ("not urgent, ranked highest", calm)):
                print(f"  {title}:")
                for i in picked:
                    print(f"    #{rank[i] + 1:<4} {scores[i]:.3f}  {' '.join(texts[i].split())[:140]}")


if __name__ == "__main__":
    main()
