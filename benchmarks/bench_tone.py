"""The tone check: false alarms on polite business replies, recall on hostile ones.

Data (see BENCHMARKS.md):

* real polite replies: the hotel management responses embedded in the Datafiniti hotel reviews in
  ``../shared/data`` (the text after "Dear <reviewer> -"); read at run time, never copied here;
* written polite replies: ``benchmarks/data/tone/polite.txt`` (hard cases included: a policy explained
  kindly, a fact corrected gently, a declined request, acronyms);
* the default template library, filled in for a sample customer;
* hostile replies: ``benchmarks/data/tone/hostile.txt``, labelled by category;
* held-out sets (``*_heldout.txt``), written after the rules were tuned on the two files above and never
  used to tune them: the honest figures for how the rules generalise.

    .venv/bin/python benchmarks/bench_tone.py [--shared ../shared/data] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import Counter
from pathlib import Path

from voxpop.act.replies.sandbox import render_template
from voxpop.act.replies.templates import library_files, read_library
from voxpop.act.replies.tone import check_tone

HERE = Path(__file__).resolve().parent
DATAFINITI = "datafiniti_hotel_reviews_sample/datafiniti_hotel_reviews_7282_1_first1427.csv"
SAMPLE = {
    "first_name": "Maria",
    "customer_name": "Maria Lopez",
    "business": "Acme",
    "location": "Leeds",
    "aspect": "delivery",
    "agent_name": "Sam Lee",
    "agent_first_name": "Sam",
    "review_link": "https://example.com/r/1",
    "channel": "google",
}


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]


def real_replies(shared: Path) -> list[str]:
    """Management responses found inside the Datafiniti review texts."""
    path = shared / DATAFINITI
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = re.search(r"(?:(?<=[.!?])|(?<=\.\.\.))\s*(Dear\s.*)$", row["reviews.text"], re.S)
            if found and len(found.group(1)) > 60:
                out.append(found.group(1).strip())
    return out


def library_replies() -> list[str]:
    return [render_template(e.body, SAMPLE) for path in library_files() for e in read_library(path)]


def false_alarms(name: str, texts: list[str], show: bool) -> tuple[int, int]:
    flagged = [(t, check_tone(t)) for t in texts]
    bad = [(t, r) for t, r in flagged if not r.ok]
    rate = len(bad) / len(texts) if texts else float("nan")
    print(f"  {name:<34} n={len(texts):>4}  false alarms {len(bad):>3}  rate {rate:6.1%}")
    if show:
        for text, report in bad:
            print(f"      FLAGGED {[(f.category, f.phrase) for f in report.flags]}: {text[:110]}")
    return len(bad), len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared" / "data")
    parser.add_argument("--show-misses", action="store_true", help="print each false alarm and each miss")
    args = parser.parse_args()

    print("False alarms on polite business replies (lower is better)")
    totals = [
        false_alarms("real hotel responses (Datafiniti)", real_replies(args.shared), args.show_misses),
        false_alarms("written polite replies", _lines(HERE / "data" / "tone" / "polite.txt"), args.show_misses),
        false_alarms("default template library", library_replies(), args.show_misses),
    ]
    bad, n = sum(t[0] for t in totals), sum(t[1] for t in totals)
    print(f"  {'all polite':<34} n={n:>4}  false alarms {bad:>3}  rate {bad / n:6.1%}")

    print("  held out (written after the rules were tuned, never tuned on):")
    false_alarms(
        "written polite replies, held out", _lines(HERE / "data" / "tone" / "polite_heldout.txt"), args.show_misses
    )

    started = time.perf_counter()
    checked = recall("Recall on hostile replies (tuned on)", HERE / "data" / "tone" / "hostile.txt", args.show_misses)
    elapsed = time.perf_counter() - started
    recall("Recall on hostile replies, held out", HERE / "data" / "tone" / "hostile_heldout.txt", args.show_misses)
    print(f"\n{checked / elapsed:,.0f} replies checked per second (one core)")


def recall(title: str, path: Path, show: bool) -> int:
    """Flagged at all, and flagged with the intended category, per category."""
    hostile = [line.split("\t", 1) for line in _lines(path)]
    caught: Counter[str] = Counter()
    right_kind: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for category, text in hostile:
        report = check_tone(text)
        total[category] += 1
        if not report.ok:
            caught[category] += 1
            right_kind[category] += category in report.categories()
        elif show:
            print(f"      MISSED ({category}): {text}")
    print(f"\n{title} (higher is better): flagged at all / with the intended category")
    for category in sorted(total):
        print(
            f"  {category:<16} n={total[category]:>3}  recall {caught[category] / total[category]:6.1%}"
            f"  right category {right_kind[category] / total[category]:6.1%}"
        )
    n = sum(total.values())
    print(
        f"  {'all':<16} n={n:>3}  recall {sum(caught.values()) / n:6.1%}"
        f"  right category {sum(right_kind.values()) / n:6.1%}"
    )
    return n


if __name__ == "__main__":
    main()
