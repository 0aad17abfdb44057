"""Sentiment of whole reviews against their star ratings: does the shipped model read a hotel review the way
its writer rated it?

The airline benchmark (``bench_sentiment.py``) holds tweets of at most 36 words; reviews on review sites run
to hundreds. Two sets of hotel reviews with the reviewer's 1–5 stars, both in ``../shared/data``:

* ``tuning``: the first 2,000 TripAdvisor reviews (lower-cased and partly stripped of stop words and
  punctuation by their publisher, so not quite what customers write). Changes may be tried on these.
* ``held out``: the 1,427 Datafiniti reviews, raw text (the 19 rows whose rating is not a whole 1–5 star are
  left out). Mostly short: 1,002 of the 1,156 polar ones have at most 64 words.
* ``held out, long``: the 1,280 hotel reviews of the deceptive-opinion corpus (Ott et al., folds 1–4), raw and
  long (median 127 words), each written as a positive or a negative review (truthful and deceptive alike);
  they count as 5 and 1 stars here.

A change is judged on the held-out sets, scored before and after it, never on them alone while choosing.

The text alone is judged: the reviews go through the real ``voxpop analyze`` without their ratings (a rating
decides the label only for items outside the model's language). 1–2 stars should read negative and 4–5 stars
positive ("polar accuracy"; a neutral verdict counts as wrong); 3 stars are mixed reviews and are only
described. Also reported: polar accuracy by length and Spearman's rho between the sentiment score and the stars.

    .venv/bin/python benchmarks/bench_review_sentiment.py [--only "held out, long" ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_questions import wilson

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"
HOME = HERE / ".cache" / "home"
SETS = {
    "tuning": (
        DATA / "tripadvisor_hotel_reviews_sample" / "tripadvisor_hotel_reviews_first2000.csv",
        "Review",
        "Rating",
    ),
    "held out": (
        DATA / "datafiniti_hotel_reviews_sample" / "datafiniti_hotel_reviews_7282_1_first1427.csv",
        "reviews.text",
        "reviews.rating",
    ),
    "held out, long": (DATA / "op_spam_folds1to4" / "op_spam_folds1to4.csv", "text", "polarity"),
}
#: Ratings of sets labelled by polarity instead of stars.
POLARITY_STARS = {"negative": "1", "positive": "5"}
#: Length bands in words (95 % of the shipped model's training texts have at most 32).
BANDS = ((0, 64), (65, 119), (120, 249), (250, 10**9))
LABELS = ("negative", "neutral", "positive")


def reviews(path: Path, text_column: str, rating_column: str) -> list[tuple[str, int]]:
    """(text, stars) of the rows with a whole 1–5 star rating and some text."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kept = []
    for row in rows:
        text, rating = row[text_column].strip(), row[rating_column].strip()
        rating = POLARITY_STARS.get(rating, rating)
        if text and rating in {"1", "2", "3", "4", "5"}:
            kept.append((text, int(rating)))
    print(f"  {path.name}: {len(kept)} of {len(rows)} rows have text and a whole 1–5 star rating")
    return kept


def analyse(texts: list[str], folder: Path) -> list[dict]:
    """``voxpop analyze`` on the texts alone (no rating column); results in input order."""
    source, target = folder / "reviews.csv", folder / "reviews.jsonl"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(enumerate(texts))
    command = [str(Path(sys.executable).with_name("voxpop")), "analyze", str(source), "-o", str(target)]
    command += ["--taxonomy", "hotel", "--skip", "topics"]
    subprocess.run(command, check=True, env=dict(os.environ, VOXPOP_HOME=str(HOME)), capture_output=True)
    with target.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def polar(pairs: list[tuple[int, str]]) -> str:
    """Polar accuracy of (stars, label) pairs with its 95 % Wilson interval."""
    scored = [(stars, label) for stars, label in pairs if stars != 3]
    right = sum((stars <= 2 and label == "negative") or (stars >= 4 and label == "positive") for stars, label in scored)
    low, high = wilson(right, len(scored))
    return f"{right / len(scored):.3f} [{low:.3f}, {high:.3f}] of {len(scored)}" if scored else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(SETS), action="append", help="score only this set (repeatable)")
    args = parser.parse_args()
    HOME.mkdir(parents=True, exist_ok=True)
    for name, (path, text_column, rating_column) in SETS.items():
        if args.only and name not in args.only:
            continue
        print(f"[{name}]")
        rows = reviews(path, text_column, rating_column)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            results = analyse([text for text, _ in rows], Path(folder))
        seconds = time.perf_counter() - started
        labels = [result["sentiment"] for result in results]
        pairs = [(stars, label) for (_, stars), label in zip(rows, labels, strict=True)]
        print(f"  voxpop analyze: {len(rows)} reviews in {seconds:.1f} s (topics skipped)")
        print(f"  polar accuracy (1–2 stars negative, 4–5 positive): {polar(pairs)}")
        for low, high in BANDS:
            band = [pair for (text, _), pair in zip(rows, pairs, strict=True) if low <= len(text.split()) <= high]
            shown = f"{low}+" if high > 10**8 else f"{low}–{high}"
            print(f"    {shown:>8} words: {polar(band)}")
        rho = spearmanr([stars for _, stars in rows], [result["sentiment_score"] for result in results])[0]
        print(f"  Spearman's rho, sentiment score against stars: {rho:.3f}")
        counts = Counter(pairs)
        print("  stars: " + " / ".join(LABELS))
        for stars in range(1, 6):
            print(f"  {stars:>5}: " + " / ".join(str(counts[(stars, label)]) for label in LABELS))


if __name__ == "__main__":
    main()
