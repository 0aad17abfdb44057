"""Sentiment of rated feedback: an English review's words read with its stars, a survey answer's with its score.

A review that says "second visit" or "room 214" has its feeling in its stars; a 3-star "it was alright" is
lukewarm, not praise. The sentiment enricher multiplies the model's probabilities by P(label | rating),
raised to ``RATING_WEIGHT`` (``voxpop.analyze.opinion``). This benchmark measures it on rated feedback
written for voxpop by writers who had not seen its code, each row labelled from the words and the rating
together, as a CX analyst files it (what the customer means, even when a star was mis-clicked):

* ``survey tuning`` / ``survey held out`` — ``survey_answers_{tuning,eval}.csv``: 400 free-text answers each,
  with the 0–10 score (two writers; also used by ``bench_survey_answers.py``);
* ``stars tuning`` / ``stars held out`` — ``star_reviews_{tuning,eval}.csv``: 300 reviews each with 1–5 stars
  (two more writers), a third of them terse, a third 3-star, 40 where stars and words disagree.

The tuning sets chose the table and the weight (``--fit`` prints both, and the mean log-loss for each weight);
the held-out sets were read once, after. Reported for each set: the words alone (the pipeline without the
rating), the rating alone (the likeliest label of its row of the table), and the pipeline with the rating.

    .venv/bin/python benchmarks/bench_rated_sentiment.py [--fit] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_negation import CLASSES, print_misses, report
from voxpop.analyze.opinion import RATING_LIKELIHOOD, rating_bucket
from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.registry import Record
from voxpop.settings import Settings

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
#: name -> (file, the rating column, its scale)
SETS = {
    "survey tuning": (DATA / "survey_answers_tuning.csv", "score", (0.0, 10.0)),
    "stars tuning": (DATA / "star_reviews_tuning.csv", "stars", (1.0, 5.0)),
    "survey held out": (DATA / "survey_answers_eval.csv", "score", (0.0, 10.0)),
    "stars held out": (DATA / "star_reviews_eval.csv", "stars", (1.0, 5.0)),
}
TUNING = ("survey tuning", "stars tuning")
WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def load(name: str) -> tuple[list[dict[str, str]], list[float]]:
    path, column, (low, high) = SETS[name]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, [(float(row[column]) - low) / (high - low) for row in rows]


def analyse(texts: list[str], ratings: list[float] | None) -> tuple[list[dict], np.ndarray]:
    """The pipeline's language and sentiment results, and the model's own probabilities (words alone)."""
    analyzer = Analyzer(Settings(home=HERE / ".cache" / "home"), None, enrichers=["language", "sentiment"])
    records = [Record(i, text, rating=None if ratings is None else ratings[i]) for i, text in enumerate(texts)]
    batch = analyzer.embed_staged(analyzer.stage(records))
    model = analyzer.context.sentiment
    layered = batch.layered.vectors if batch.layered is not None else None
    probabilities = model.probabilities(batch.texts, embeddings=model.pick(batch.embeddings, layered))
    analyzer.run(batch, corpus=False)
    return batch.results, probabilities


def fit() -> None:
    """Count P(label | rating bucket) on the tuning sets and score each weight by mean log-loss."""
    counts = np.ones((3, 3))  # add-one
    data = []
    for name in TUNING:
        rows, ratings = load(name)
        _, probabilities = analyse([row["text"] for row in rows], None)
        gold = np.array([CLASSES.index(row["label"]) for row in rows])
        buckets = np.array([rating_bucket(r) for r in ratings])
        np.add.at(counts, (buckets, gold), 1)
        data.append((name, probabilities, buckets, gold))
    table = counts / counts.sum(axis=1, keepdims=True)
    print("P(label | rating), rows low / middling / high, columns", ", ".join(CLASSES))
    print(np.array2string(table, precision=3))
    for weight in WEIGHTS:
        losses = []
        for _name, probabilities, buckets, gold in data:
            log = np.log(np.maximum(probabilities, 1e-9)) + weight * np.log(table[buckets])
            log -= np.logaddexp.reduce(log, axis=1, keepdims=True)
            losses.append(-log[np.arange(len(gold)), gold].mean())
        print(
            f"weight {weight:.1f}: log-loss " + " / ".join(f"{loss:.3f}" for loss in losses),
            f"mean {np.mean(losses):.3f}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="count the table and score the weights on the tuning sets")
    parser.add_argument("--only", action="append", choices=sorted(SETS), help="score only this set (repeatable)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    if args.fit:
        fit()
        return
    for name in args.only or list(SETS):
        rows, ratings = load(name)
        texts = [row["text"] for row in rows]
        gold = [row["label"] for row in rows]
        print(f"\n== {name}: {SETS[name][0].name}")
        alone, _ = analyse(texts, None)
        print("-- the words alone:")
        report(gold, [str(result["sentiment"]) for result in alone])
        print("-- the rating alone:")
        report(gold, [CLASSES[int(RATING_LIKELIHOOD[rating_bucket(r)].argmax())] for r in ratings])
        rated, _ = analyse(texts, ratings)
        guessed = [str(result["sentiment"]) for result in rated]
        print("-- words and rating (the pipeline):")
        report(gold, guessed)
        if args.show_misses:
            print_misses(rows, guessed, context=SETS[name][1])


if __name__ == "__main__":
    main()
