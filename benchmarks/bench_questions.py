"""The question detector (``voxpop.analyze.questions``) against hand labels on 1,200 airline tweets.

Two label files (tweet id, two annotators' labels, the adjudicated label), made for voxpop on 2026-12-07 from
``../shared/data/twitter_airline_sentiment/Tweets.csv``, each tweet labelled by two annotators working apart
from each other and from the detector's code, after ``benchmarks/data/questions_guideline.md``: 1 when the
writer genuinely asks something a reply could answer, 0 for statements, demands and rhetorical questions.

* ``questions_airline.csv``: 600 tweets drawn with ``random.Random(20261207)``. The rules were then adjusted
  while reading the detector's errors on them, so its figures there are in-sample ("tuning").
* ``questions_airline_heldout.csv``: 600 other tweets (``random.Random(20261208)``), labelled before those
  adjustments and scored once they were done: the honest figures.

The texts stay in ``../shared/data`` (their licence is non-commercial); only ids and labels are stored here.

Reports the annotators' agreement (Cohen's kappa), then precision, recall and F1 of the detector and of the
baseline "contains a question mark", with a Wilson 95 % interval for each rate. ``--show-misses`` prints
the tweets it gets wrong.

    .venv/bin/python benchmarks/bench_questions.py [--show-misses]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled_tweets import labelled, tweets_by_id
from voxpop.analyze.questions import QuestionDetector

HERE = Path(__file__).resolve().parent
SETS = {"tuning": HERE / "data" / "questions_airline.csv", "held out": HERE / "data" / "questions_airline_heldout.csv"}


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound for small counts and rates near 0 or 1)."""
    if not total:
        return float("nan"), float("nan")
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def score(name: str, predict: Callable[[str], bool], texts: list[str], gold: list[int], show: bool) -> None:
    predicted = [predict(t) for t in texts]
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    fp = sum(p and not g for p, g in zip(predicted, gold, strict=True))
    fn = sum(g and not p for p, g in zip(predicted, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
    p_low, p_high = wilson(tp, tp + fp)
    r_low, r_high = wilson(tp, tp + fn)
    print(
        f"  {name:<44} precision {precision:.3f} [{p_low:.2f}–{p_high:.2f}]  recall {recall:.3f} "
        f"[{r_low:.2f}–{r_high:.2f}]  F1 {f1:.3f}  (tp {tp}, fp {fp}, fn {fn})"
    )
    if show:
        for text, p, g in zip(texts, predicted, gold, strict=True):
            if p != g:
                print(f"      {'FALSE ALARM' if p else 'MISSED':<11} {' '.join(text.split())[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="print the detector's errors")
    args = parser.parse_args()
    tweets = tweets_by_id()
    detector = QuestionDetector(("en",))
    for name, path in SETS.items():
        rows, gold = labelled(path, tweets, name, "questions")
        texts = [row["tweet"]["text"] for row in rows]
        score("baseline: contains '?'", lambda t: "?" in t, texts, gold, False)
        score("voxpop QuestionDetector (en)", detector.is_question, texts, gold, args.show_misses)


if __name__ == "__main__":
    main()
