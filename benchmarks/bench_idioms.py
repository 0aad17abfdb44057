"""Sentiment of idioms, set phrases, slang and sarcasm: "the pasta was to die for", "thanks for nothing",
"I'd give zero stars if I could", "not great, not terrible" — messages a word-by-word reader gets wrong.

Two sets of 220 messages (about 90 positive, 90 negative, 40 neutral), each written for voxpop on 2026-12-07 by a
writer who had not seen voxpop's code or its training lines:

* ``tuning`` — ``benchmarks/data/idioms_tuning.tsv``: candidate training lines may be scored against it;
* ``held out`` — ``benchmarks/data/idioms_eval.tsv``: by another writer, read only to score a change chosen
  without it.

The lines that teach the shipped model such phrases (``scripts/sentiment_seed/idioms/``) are a third writer's.
Runs the pipeline's language and sentiment enrichers (``--model FILE`` scores another sentiment model, e.g.
one that ``scripts/train_sentiment.py --cv`` saved in ``benchmarks/.cache/``).

    .venv/bin/python benchmarks/bench_idioms.py [--only tuning] [--show-misses] [--model FILE]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_negation import print_misses, read, report
from bench_survey_answers import parse_args, seed_lines, words

HERE = Path(__file__).resolve().parent
SEED = HERE.parent / "scripts" / "sentiment_seed" / "idioms"
SETS = {"tuning": HERE / "data" / "idioms_tuning.tsv", "held out": HERE / "data" / "idioms_eval.tsv"}


def main() -> None:
    args = parse_args(__doc__, SETS)
    seeded = seed_lines(SEED)
    for name in args.only or list(SETS):
        with SETS[name].open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        guessed = [str(result["sentiment"]) for result in read([row["text"] for row in rows], args.model)]
        gold = [row["label"] for row in rows]
        print(f"\n== {name}: {SETS[name].name}")
        report(gold, guessed)
        unseen = [i for i, row in enumerate(rows) if words(row["text"]) not in seeded]
        if len(unseen) < len(rows):
            print(f"-- messages not among the idiom seed lines ({len(rows) - len(unseen)} are):")
            report([gold[i] for i in unseen], [guessed[i] for i in unseen])
        if args.show_misses:
            print_misses(rows, guessed)


if __name__ == "__main__":
    main()
