"""Complaint reason on the Twitter US Airline tweets, learned through ``fit_taxonomy``.

Split: stratified 80/20 by sentiment over all 14,640 tweets (``random_state=0``), then the negative tweets
whose ``negativereason`` is not "Can't Tell" (9 reasons) in each part. The taxonomy is fitted on the train
part (single label per tweet) and scored by macro-F1 of the top aspect on the test part.

Run: ``.venv/bin/python benchmarks/bench_complaint_reason.py`` (embeddings cached in ``benchmarks/.cache``).
"""

from __future__ import annotations

import csv
import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import train_test_split

from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.taxonomy import fit_taxonomy, load_taxonomy, save_taxonomy

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
CACHE = ROOT / "benchmarks" / ".cache"


class CachedEncoder:
    """The default embedder, with each input list's vectors kept on disk (keyed by a hash of the texts)."""

    def __init__(self) -> None:
        self.embedder = get_embedder()
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / ".gitignore").write_text("*\n")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        key = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:24]
        path = CACHE / f"minilm-{key}.npy"
        if path.is_file():
            return np.load(path)
        vectors = self.embedder.encode(list(texts))
        np.save(path, vectors)
        return vectors


def load() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    train, test = train_test_split(
        rows, test_size=0.2, random_state=0, stratify=[row["airline_sentiment"] for row in rows]
    )

    def keep(part: list[dict[str, str]]) -> list[dict[str, str]]:
        return [r for r in part if r["airline_sentiment"] == "negative" and r["negativereason"] != "Can't Tell"]

    return keep(train), keep(test)


def main() -> None:
    train, test = load()
    print(f"train {len(train)} negative tweets with a reason, test {len(test)}")
    encoder = CachedEncoder()
    started = time.perf_counter()
    taxonomy = fit_taxonomy(
        [r["text"] for r in train], [[r["negativereason"]] for r in train], embedder=encoder, name="airline-reasons"
    )
    fitted = time.perf_counter() - started
    path = CACHE / "airline-reasons.yaml"
    save_taxonomy(taxonomy, path)
    head = load_taxonomy(path).head  # score what was saved, not what is in memory
    assert head is not None
    texts = [r["text"] for r in test]
    predicted = [row[0] if row else "" for row in head.predict(texts, encoder.encode(texts))]
    truth = [r["negativereason"] for r in test]
    print(classification_report(truth, predicted, digits=3, zero_division=0))
    print(
        f"blend (TF-IDF weight) {float(head.blend[0]):.2f}; fit {fitted:.0f} s (2 shared cores, noisy); "
        f"taxonomy file {path.stat().st_size / 1e6:.1f} MB"
    )
    print(f"complaint reason macro-F1 {f1_score(truth, predicted, average='macro'):.4f} (target >= 0.62)")


if __name__ == "__main__":
    sys.exit(main())
