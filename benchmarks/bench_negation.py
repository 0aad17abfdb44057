"""Sentiment of messages full of negation and problem words: praise through a negated complaint ("couldn't
fault them", "no complaints"), real complaints with the same words ("no one bothered to call back"), and
plain statements ("breakfast is not included").

Data: ``benchmarks/data/negation_eval.tsv`` — 150 lines (55 positive, 55 negative, 40 neutral) written for
voxpop on 2026-12-07 by a writer who had not seen voxpop's code or its training lines; the lines that teach the
shipped model such phrases (``scripts/sentiment_seed/negation/``) were written separately, by another writer,
and the evaluation lines were not read while the model was changed. Small: a 95 % interval on 150 items is
about ±8 points.

Runs the pipeline's language and sentiment enrichers with the shipped model (the embedding model is derived
under ``benchmarks/.cache/home`` once).

    .venv/bin/python benchmarks/bench_negation.py [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.registry import Record
from voxpop.analyze.sentiment import SentimentModel
from voxpop.settings import Settings

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "negation_eval.tsv"
CLASSES = ("negative", "neutral", "positive")


def read(texts: list[str], model: Path | None = None) -> list[dict]:
    """The pipeline's language and sentiment results for ``texts`` (in-process), with the shipped sentiment
    model or the one saved at ``model`` (e.g. a candidate that ``scripts/train_sentiment.py --cv`` saved)."""
    analyzer = Analyzer(Settings(home=HERE / ".cache" / "home"), None, enrichers=["language", "sentiment"])
    if model is not None:
        analyzer.context.sentiment = SentimentModel.read(model)
    batch = analyzer.embed_staged(analyzer.stage([Record(i, text) for i, text in enumerate(texts)]))
    analyzer.run(batch, corpus=False)
    return batch.results


def report(gold: list[str], guessed: list[str]) -> None:
    """Accuracy, macro-F1 and each class's recall with what its misses were read as."""
    print(f"{len(gold)} lines: {dict(sorted(Counter(gold).items()))}")
    print(f"accuracy {accuracy_score(gold, guessed):.3f}, macro-F1 {f1_score(gold, guessed, average='macro'):.3f}")
    for label in CLASSES:
        mine = [g == label for g in gold]
        right = sum(m and p == label for m, p in zip(mine, guessed, strict=True))
        print(
            f"  {label:<9} recall {right / max(1, sum(mine)):.3f}  (read as: "
            f"{dict(sorted(Counter(p for m, p in zip(mine, guessed, strict=True) if m).items()))})"
        )


def print_misses(rows: list[dict[str, str]], guessed: list[str], context: str = "") -> None:
    """Each row read otherwise than its ``label``, with ``context`` (a column's value, in brackets) before its text."""
    for row, label in zip(rows, guessed, strict=True):
        if label != row["label"]:
            where = f"[{row[context]}] " if context else ""
            print(f"    {row['label']:>8} read as {label:<8} {where}{row['text']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--model", type=Path, help="a sentiment model file to score instead of the shipped one")
    args = parser.parse_args()
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    gold = [row["label"] for row in rows]
    guessed = [str(result["sentiment"]) for result in read([row["text"] for row in rows], args.model)]
    report(gold, guessed)
    if args.show_misses:
        print_misses(rows, guessed)


if __name__ == "__main__":
    main()
