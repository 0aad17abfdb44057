"""Sentiment of survey answers: what customers type in the free-text box of an NPS / CSAT / CES survey.

Survey answers are short ("Nothing", "too expensive", "friendly staff", "n/a"), answer a question the model
never sees, and often say that nothing needs to change — which a model trained to hear problem reports
("nothing arrived", "no one called") can read as a complaint.

Two sets of 400 answers, each written for voxpop by a writer who had not seen voxpop's code, labelled by the
writer from the text read as the answer to its question (``question``, ``score`` 0–10, ``text``, ``label``):

* ``tuning`` — ``benchmarks/data/survey_answers_tuning.csv``: changes may be tried against it;
* ``held out`` — ``benchmarks/data/survey_answers_eval.csv``: by another writer, read only to score a change
  chosen without it.

The text alone goes through the pipeline's language and sentiment enrichers (shipped model). Reported:
accuracy, macro-F1 and each class's recall, for all answers and for the short ones (at most 4 words), and
Spearman's rho between the sentiment score and the 0–10 score. The commonest answers ("nothing", "n/a", "too
expensive") are also among the survey lines the shipped model learns from (``scripts/sentiment_seed/survey/``,
a third writer's), so the answers whose words are not among them are also scored apart.

    .venv/bin/python benchmarks/bench_survey_answers.py [--only tuning] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_negation import print_misses, read, report

HERE = Path(__file__).resolve().parent
SEED = HERE.parent / "scripts" / "sentiment_seed" / "survey"
SETS = {
    "tuning": HERE / "data" / "survey_answers_tuning.csv",
    "held out": HERE / "data" / "survey_answers_eval.csv",
}
SHORT = 4  # words


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def seed_lines(folder: Path) -> set[str]:
    """A seed folder's lines, by their words (case and punctuation aside)."""
    return {words(line) for path in folder.glob("*.txt") for line in path.read_text("utf-8").splitlines()}


def parse_args(doc: str, sets: dict[str, Path]) -> argparse.Namespace:
    """The options of a sentiment benchmark over named labelled sets: ``--only``, ``--show-misses``, ``--model``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(sets), help="score only this set (repeatable)")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--model", type=Path, help="a sentiment model file to score instead of the shipped one")
    return parser.parse_args()


def main() -> None:
    args = parse_args(__doc__, SETS)
    seeded = seed_lines(SEED)
    for name in args.only or list(SETS):
        with SETS[name].open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        results = read([row["text"] for row in rows], args.model)
        gold = [row["label"] for row in rows]
        guessed = [str(result["sentiment"]) for result in results]
        print(f"\n== {name}: {SETS[name].name}")
        report(gold, guessed)
        short = [i for i, row in enumerate(rows) if len(words(row["text"]).split()) <= SHORT]
        print(f"-- answers of at most {SHORT} words:")
        report([gold[i] for i in short], [guessed[i] for i in short])
        unseen = [i for i, row in enumerate(rows) if words(row["text"]) not in seeded]
        print(f"-- answers not among the survey seed lines ({len(rows) - len(unseen)} are):")
        report([gold[i] for i in unseen], [guessed[i] for i in unseen])
        scores = [float(result["sentiment_score"] or 0.0) for result in results]
        rho = spearmanr(scores, [int(row["score"]) for row in rows]).statistic
        print(f"Spearman rho, sentiment score vs 0-10 score: {rho:.3f}")
        if args.show_misses:
            print_misses(rows, guessed, context="question")


if __name__ == "__main__":
    main()
