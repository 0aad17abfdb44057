"""Sentiment of support conversations exported as one text per conversation ("Customer: … / Agent: …").

The agent's side of a support chat is scripted cheer whatever the customer feels, so a conversation read whole
sounds happier than its customer. The pipeline reads a transcript as its customer's turns
(``voxpop.analyze.turns``). Two sets of 160 conversations, each by a writer who had not seen voxpop's code,
labelled with the customer's own feeling by the end of the exchange, in many speaker-label styles (roles,
time stamps, chatbot hand-overs, first names with and without a team):

* ``tuning`` — ``benchmarks/data/support_transcripts_tuning.csv``: the reading (all the customer's turns, the
  last one, the last two or three) and the label rules were tried against it;
* ``held out`` — ``benchmarks/data/support_transcripts_eval.csv``: by another writer, read once to score them.

Reported for each set: how many conversations had their customer found (by label style), and the
sentiment read whole against the pipeline's reading.

    .venv/bin/python benchmarks/bench_transcripts.py [--only tuning] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_negation import print_misses, read, report
from voxpop.analyze.turns import customer_turns

HERE = Path(__file__).resolve().parent
SETS = {
    "tuning": HERE / "data" / "support_transcripts_tuning.csv",
    "held out": HERE / "data" / "support_transcripts_eval.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SETS), help="score only this set (repeatable)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    for name in args.only or list(SETS):
        with SETS[name].open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        texts = [row["text"] for row in rows]
        gold = [row["label"] for row in rows]
        print(f"\n== {name}: {SETS[name].name}")
        formats = Counter(row["format"] for row in rows)
        unread = Counter(row["format"] for row in rows if customer_turns(row["text"]) is None)
        print(f"customer found in {len(rows) - sum(unread.values())} of {len(rows)}; not found, by label style:")
        for style, count in sorted(unread.items()):
            print(f"  {style}: {count} of {formats[style]}")
        with mock.patch("voxpop.analyze.pipeline.customer_turns", return_value=None):
            whole = [str(result["sentiment"]) for result in read(texts)]
        print("-- read whole:")
        report(gold, whole)
        guessed = [str(result["sentiment"]) for result in read(texts)]
        print("-- the pipeline (the customer's turns):")
        report(gold, guessed)
        if args.show_misses:
            print_misses(rows, guessed, context="format")


if __name__ == "__main__":
    main()
