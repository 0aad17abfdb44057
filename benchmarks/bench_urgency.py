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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import analyze_command
from labelled_tweets import labelled, tweets_by_id

HERE = Path(__file__).resolve().parent
SETS = {"tuning": HERE / "data" / "urgency_airline.csv", "held out": HERE / "data" / "urgency_airline_heldout.csv"}
HOME = HERE / ".cache" / "home"


def analyse(rows: list[dict[str, str]], folder: Path) -> dict[str, dict]:
    """Run ``voxpop analyze`` on the tweets ``rows``; results by tweet id."""
    source, target = folder / "tweets.csv", folder / "tweets.jsonl"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = analyze_command(source, target, ["--skip", "topics"])
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
    tweets = tweets_by_id()
    for name, path in SETS.items():
        if args.only and name != args.only:
            continue
        labels, labelled_gold = labelled(path, tweets, name, "urgent")
        with tempfile.TemporaryDirectory() as folder:
            results = analyse([row["tweet"] for row in labels], Path(folder))
        gold = np.array(labelled_gold)
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
            texts = [row["tweet"]["text"] for row in labels]
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
