"""Language detection (``voxpop.analyze.language``) and what it does to sentiment, on customer texts in 22
languages; and its speed on the airline tweets.

Data: ``benchmarks/data/language_eval.csv`` (id, language, sentiment, text): 420 texts written for voxpop on
2026-12-07 by a writer who did not see voxpop's code — 45 in each of the seven languages voxpop configures by
default (en es fr de it pt nl; about 18 of each are reviews of one to six words, the way star-rating reviews
are, often with no article or pronoun at all), and 7 in each of 15 others (ru uk pl tr sv da ro cs el ar he zh
ja ko hi). Held out: scored once before and once after the change it was made for, never tuned on.

A second set, ``benchmarks/data/language_other_eval.csv`` (id, language, text), holds 144 texts written the same
way in 12 Latin-script languages voxpop is not configured for (pl cs sk hu ro tr sv da no fi hr ca; 12 each, two
of them typed without diacritics). lingua chooses only among the configured languages, so each of these should
come out ``None``; a configured language is a wrong guess. It was written to check the rule that drops a verdict
whose spelling does not fit, and scored once before and once after it.

For the seven configured languages the detected language should be the text's; for the others, which voxpop
cannot name unless their script does, it should be the script's language (el he zh ja ko) or ``None``, and a
configured language is a wrong guess. Sentiment runs through the pipeline's language and sentiment enrichers
(English model, voxpop's lexicons for es fr de it pt nl); for the other languages the share left without a
sentiment (``None``: unread) is reported beside the accuracy of those given one.

    .venv/bin/python benchmarks/bench_language.py [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict
from pathlib import Path

from voxpop.analyze.language import LanguageEnricher, detect_languages
from voxpop.analyze.opinion import SentimentEnricher
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.settings import Settings

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "language_eval.csv"
OTHER = HERE / "data" / "language_other_eval.csv"
TWEETS = HERE.parents[1] / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
CONFIGURED = ("en", "es", "fr", "de", "it", "pt", "nl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="print every wrong language and sentiment")
    args = parser.parse_args()
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    context = AnalysisContext(Settings(languages=list(CONFIGURED)))
    batch = Batch.of([Record(row["id"], row["text"]) for row in rows])
    LanguageEnricher(context).enrich(batch)
    SentimentEnricher(context).enrich(batch)
    found = batch.column("language")
    sentiments = batch.column("sentiment")

    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    for row, language, sentiment in zip(rows, found, sentiments, strict=True):
        truth = row["language"]
        counts = by_language[truth]
        counts["items"] += 1
        counts["right language"] += language == truth
        counts["no language"] += language is None
        counts["a configured language, wrongly"] += language in CONFIGURED and language != truth
        counts["sentiment given"] += sentiment is not None
        counts["sentiment right"] += sentiment == row["sentiment"]
        if args.show_misses and (language != truth or sentiment != row["sentiment"]):
            print(f"  {truth} → {language}, {row['sentiment']} → {sentiment}: {row['text'][:90]}")

    print(f"{DATA.name}: {len(rows)} texts")
    print("| language | items | language right | none | a configured one, wrongly | sentiment right | unread |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    groups = {"configured": CONFIGURED, "others": tuple(sorted(set(by_language) - set(CONFIGURED)))}
    for name, languages in groups.items():
        total: Counter[str] = Counter()
        for language in languages:
            counts = by_language[language]
            total.update(counts)
            print(_line(language, counts))
        print(_line(f"**{name}**", total))

    with OTHER.open(encoding="utf-8", newline="") as handle:
        others = list(csv.DictReader(handle))
    guesses = detect_languages([row["text"] for row in others], CONFIGURED)
    wrong = Counter(row["language"] for row, guess in zip(others, guesses, strict=True) if guess is not None)
    shown = ", ".join(f"{code} {wrong[code]}" for code in sorted({row["language"] for row in others}))
    print(f"{OTHER.name}: {sum(wrong.values())} of {len(others)} given a configured language ({shown})")

    texts = _tweets()
    detect_languages(texts[:100], CONFIGURED)  # the detector's models are read once, outside the timing
    started = time.process_time()
    detect_languages(texts, CONFIGURED)
    seconds = time.process_time() - started
    print(f"speed: {len(texts)} airline tweets in {seconds:.2f} CPU s, {len(texts) / seconds:,.0f} texts/s")


def _line(name: str, counts: Counter[str]) -> str:
    items = counts["items"]
    given = counts["sentiment given"]
    return (
        f"| {name} | {items} | {counts['right language'] / items:.3f} | {counts['no language']} | "
        f"{counts['a configured language, wrongly']} | {counts['sentiment right']} / {items} "
        f"({counts['sentiment right'] / items:.3f}) | {items - given} |"
    )


def _tweets() -> list[str]:
    with TWEETS.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


if __name__ == "__main__":
    main()
