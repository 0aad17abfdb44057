"""Sentiment of feedback that carries emoji: answers made of emoji alone, short messages whose emoji carry the
feeling, sarcasm, and emoji that are only decoration.

The embedding model has no emoji in its vocabulary and the training sentences hold almost none, so voxpop
reads each emoji that carries a feeling as a word (``voxpop.analyze.emoji``). Data:
``benchmarks/data/emoji_feedback_eval.csv`` — 240 messages over seven channels, written for voxpop on
2026-12-07 by a writer who had not seen voxpop's code or its emoji table, labelled with the customer's
feeling from the whole message. Held out: read only to score the change.

    .venv/bin/python benchmarks/bench_emoji.py [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_negation import print_misses, read, report

DATA = Path(__file__).resolve().parent / "data" / "emoji_feedback_eval.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    guessed = [str(result["sentiment"]) for result in read([row["text"] for row in rows])]
    gold = [row["label"] for row in rows]
    print(f"== {DATA.name}")
    report(gold, guessed)
    bare = [i for i, row in enumerate(rows) if not re.search(r"[A-Za-z]", row["text"])]
    print("-- messages of emoji alone:")
    report([gold[i] for i in bare], [guessed[i] for i in bare])
    worded = [i for i in range(len(rows)) if i not in set(bare)]
    print("-- messages with words:")
    report([gold[i] for i in worded], [guessed[i] for i in worded])
    if args.show_misses:
        print_misses(rows, guessed, context="channel")


if __name__ == "__main__":
    main()
