"""The tone check: false alarms on polite business replies, recall on hostile ones — the phrase rules
alone, and the rules with the learned classifier (``voxpop.act.replies.tone_model``).

Data (see BENCHMARKS.md):

* real polite replies: the hotel management responses embedded in the Datafiniti hotel reviews in
  ``../shared/data`` (the text after "Dear <reviewer> -"); read at run time, never copied here;
* the tuning set, shipped with voxpop: ``src/voxpop/act/replies/tone_data/{polite,hostile}.txt`` (written
  for voxpop; the rules were tuned on it and the classifier is trained on it, so its figures are
  in-sample) and the default template library, filled in for a sample customer;
* held-out sets, ``benchmarks/data/tone/*_heldout.txt``, written after the rules were tuned and never
  used to tune or train anything: the honest figures for how the check generalises.

    .venv/bin/python benchmarks/bench_tone.py [--shared ../shared/data] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from voxpop.act.replies.sandbox import render_template
from voxpop.act.replies.templates import library_files, read_library
from voxpop.act.replies.tone import check_tone
from voxpop.act.replies.tone_model import ToneModel, data_path, fit_tone_model
from voxpop.analyze.embeddings import get_embedder
from voxpop.settings import Settings

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


def false_alarms(name: str, texts: list[str], model: ToneModel | None, show: bool) -> tuple[int, int]:
    bad = [(t, r) for t, r in ((t, check_tone(t, model)) for t in texts) if not r.ok]
    rate = len(bad) / len(texts) if texts else float("nan")
    print(f"  {name:<38} n={len(texts):>4}  false alarms {len(bad):>3}  rate {rate:6.1%}")
    if show:
        for text, report in bad:
            print(f"      FLAGGED {[(f.category, f.phrase) for f in report.flags]}: {text[:110]}")
    return len(bad), len(texts)


def recall(title: str, path: Path, model: ToneModel | None, show: bool) -> int:
    """Flagged at all, and flagged with the intended category, per category."""
    hostile = [line.split("\t", 1) for line in _lines(path)]
    caught: Counter[str] = Counter()
    right_kind: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for category, text in hostile:
        report = check_tone(text, model)
        total[category] += 1
        if not report.ok:
            caught[category] += 1
            right_kind[category] += category in report.categories()
        elif show:
            print(f"      MISSED ({category}): {text}")
    print(f"  {title}: flagged at all / with the intended category")
    for category in sorted(total):
        print(
            f"    {category:<16} n={total[category]:>3}  recall {caught[category] / total[category]:6.1%}"
            f"  right category {right_kind[category] / total[category]:6.1%}"
        )
    n = sum(total.values())
    print(
        f"    {'all':<16} n={n:>3}  recall {sum(caught.values()) / n:6.1%}"
        f"  right category {sum(right_kind.values()) / n:6.1%}"
    )
    return n


def run(label: str, model: ToneModel | None, shared: Path, show: bool) -> None:
    print(f"\n=== {label} ===")
    print("False alarms on polite business replies (lower is better)")
    real = false_alarms("real hotel responses (Datafiniti)", real_replies(shared), model, show)
    held = false_alarms(
        "written polite replies, held out", _lines(HERE / "data" / "tone" / "polite_heldout.txt"), model, show
    )
    print(
        f"  {'real + held out':<38} n={real[1] + held[1]:>4}  false alarms {real[0] + held[0]:>3}  "
        f"rate {(real[0] + held[0]) / (real[1] + held[1]):6.1%}"
    )
    false_alarms("tuning set: written polite replies", _lines(data_path("polite.txt")), model, show)
    false_alarms("tuning set: default template library", library_replies(), model, show)
    print("Recall on hostile replies (higher is better)")
    recall("held out", HERE / "data" / "tone" / "hostile_heldout.txt", model, show)
    started = time.perf_counter()
    n = recall("tuning set", data_path("hostile.txt"), model, show)
    print(f"  {n / (time.perf_counter() - started):,.0f} replies checked per second (one process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared" / "data")
    parser.add_argument("--show-misses", action="store_true", help="print each false alarm and each miss")
    args = parser.parse_args()
    run("phrase rules only", None, args.shared, args.show_misses)
    with tempfile.TemporaryDirectory() as home:
        embedder = get_embedder(Settings(home=Path(home)))
        started = time.perf_counter()
        model = fit_tone_model(embedder.encode)
        print(f"\n(tone model fitted in {time.perf_counter() - started:.1f} s)")
        run("phrase rules + learned classifier", model, args.shared, args.show_misses)


if __name__ == "__main__":
    main()
