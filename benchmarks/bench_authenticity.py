"""Fake-review detection on the Ott et al. deceptive-opinion corpus, whole folds held out.

Fits the linguistic model through ``voxpop.analyze.authenticity.fit_from_csv`` (exactly what
``voxpop model fit authenticity`` runs) on three of the four public folds, tests on the fourth, and rotates.
Each fold holds whole hotels, so a hotel's name never helps. Reads
``../shared/data/op_spam_folds1to4/op_spam_folds1to4.csv`` relative to the repository root.

    .venv/bin/python benchmarks/bench_authenticity.py
"""

from __future__ import annotations

import csv
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from voxpop.analyze.authenticity import fit_from_csv
from voxpop.analyze.deception import DeceptionModel, model_path
from voxpop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "op_spam_folds1to4" / "op_spam_folds1to4.csv"


def main() -> None:
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    folds = sorted({row["fold"] for row in rows})
    accuracies: list[float] = []
    by_polarity: dict[str, list[float]] = {"positive": [], "negative": []}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        for held_out in folds:
            train = [row for row in rows if row["fold"] != held_out]
            test = [row for row in rows if row["fold"] == held_out]
            path = Path(work) / f"train-{held_out}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=["text", "label"])
                writer.writeheader()
                writer.writerows({"text": row["text"], "label": row["label"]} for row in train)
            settings = Settings(home=Path(work) / f"home-{held_out}")
            fit_from_csv(settings, path, text_column="text", label_column="label")
            model = DeceptionModel.load(model_path(settings))
            predicted = model.predict([row["text"] for row in test])
            truth = np.array([row["label"] == "deceptive" for row in test])
            correct = predicted == truth
            accuracies.append(float(correct.mean()))
            for polarity in by_polarity:
                mask = np.array([row["polarity"] == polarity for row in test])
                by_polarity[polarity].append(float(correct[mask].mean()))
            print(f"fold {held_out} held out: accuracy {accuracies[-1]:.4f} ({len(test)} reviews)")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"mean accuracy over {len(folds)} held-out folds: {np.mean(accuracies):.4f} (target >= 0.88)")
    for polarity, values in by_polarity.items():
        print(f"  {polarity} reviews: {np.mean(values):.4f}")
    print(f"wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
