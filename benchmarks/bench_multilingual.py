"""Sentiment of reviews in Spanish, French, German, Italian, Portuguese and Dutch: accuracy per language,
before (the English model + the old rule: halve the confidence, let a star rating decide) and after
(voxpop's own lexicons, ``voxpop.analyze.multilingual``).

Data: ``benchmarks/data/multilingual_eval.csv`` — 240 short reviews and questions (40 per language,
negative / positive / neutral, a few with a 1–5 star rating), written for voxpop before the lexicons'
final tuning and never used to tune them. It is ours and small: a 95 % interval on 40 items is about
±15 points, so read the per-language figures as rough.

Both runs go through the pipeline's own language and sentiment enrichers, so an item whose language is
not detected keeps the English model's verdict in both (``--given-language`` shows what the lexicons do
when the language is known).

    .venv/bin/python benchmarks/bench_multilingual.py [--given-language] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from pathlib import Path

from voxpop.analyze.language import LanguageEnricher
from voxpop.analyze.opinion import SentimentEnricher
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.settings import Settings

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "multilingual_eval.csv"
LANGUAGES = ("es", "fr", "de", "it", "pt", "nl")


def load(path: Path = DATA) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def records(rows: list[dict[str, str]]) -> list[Record]:
    """One record per row; a 1–5 star rating is normalised to 0–1 as the importer does."""
    return [
        Record(index, row["text"], rating=(float(row["rating"]) - 1) / 4 if row["rating"] else None)
        for index, row in enumerate(rows)
    ]


def run(rows: list[dict[str, str]], *, lexicons: bool, given_language: bool) -> list[dict[str, object]]:
    """The language and sentiment enrichers' results for every row."""
    context = AnalysisContext(Settings())
    batch = Batch.of(records(rows))
    if given_language:
        for result, row in zip(batch.results, rows, strict=True):
            result["language"] = row["language"]
    else:
        LanguageEnricher(context).enrich(batch)
    enricher = SentimentEnricher(context)
    if not lexicons:
        enricher.lexicon_languages = frozenset()
    enricher.enrich(batch)
    return batch.results


def report(rows: list[dict[str, str]], results: list[dict[str, object]], title: str) -> dict[str, float]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    for row, result in zip(rows, results, strict=True):
        total[row["language"]] += 1
        right[row["language"]] += result["sentiment"] == row["label"]
        detected[row["language"]] += result["language"] == row["language"]
    print(f"\n{title}")
    print("| language | accuracy | right / items | language detected |")
    print("| --- | --- | --- | --- |")
    figures = {}
    for code in LANGUAGES:
        figures[code] = right[code] / total[code]
        print(f"| {code} | {figures[code]:.3f} | {right[code]} / {total[code]} | {detected[code]} / {total[code]} |")
    overall = sum(right.values()) / sum(total.values())
    figures["all"] = overall
    print(f"| all | {overall:.3f} | {sum(right.values())} / {sum(total.values())} | {sum(detected.values())} |")
    return figures


def confusion(rows: list[dict[str, str]], results: list[dict[str, object]]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for row, result in zip(rows, results, strict=True):
        table[row["label"]][str(result["sentiment"])] += 1
    print("truth → predicted:", {label: dict(counts) for label, counts in sorted(table.items())})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--given-language", action="store_true", help="use the set's language, not detection")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    rows = load()
    how = "language given" if args.given_language else "language detected by the pipeline"
    before = run(rows, lexicons=False, given_language=args.given_language)
    report(rows, before, f"Before: English model + rating rule ({how})")
    confusion(rows, before)
    after = run(rows, lexicons=True, given_language=args.given_language)
    report(rows, after, f"After: voxpop lexicons ({how})")
    confusion(rows, after)
    if args.show_misses:
        for row, result in zip(rows, after, strict=True):
            if result["sentiment"] != row["label"]:
                print(f"  {row['language']} {row['label']:>8} → {result['sentiment']!s:8} {row['text']}")


if __name__ == "__main__":
    main()
