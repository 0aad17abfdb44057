"""Sentiment on the Twitter US Airline set: ``.venv/bin/python benchmarks/bench_sentiment.py``.

(a) out of the box: the shipped model (never trained on these tweets) on all 14,640 tweets;
(b) adapted: stratified 80/20 split (random_state=0); ``fit_from_csv`` on the 80 %, scored on the 20 %.

Prints accuracy, macro-F1, per-class F1, the confusion matrix and the expected calibration error of the
confidence (10 equal-width bins). Embeddings of the tweets are cached in ``benchmarks/.cache/``.
Reads ``../shared/data`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import train_test_split

from voxpop.analyze import sentiment
from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.sentiment import CLASSES, SentimentModel
from voxpop.analyze.sentiment_training import fit_from_csv
from voxpop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TWEETS = ROOT.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
CACHE = ROOT / "benchmarks" / ".cache"


def load_tweets() -> tuple[list[str], np.ndarray]:
    with TWEETS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], np.array([r["airline_sentiment"] for r in rows])


def embed(texts: list[str], tag: str) -> np.ndarray:
    """The layered vectors (``Embedder.encode_layered``), which both models read."""
    embedder = get_embedder(Settings(home=CACHE / "home"))
    key = hashlib.sha256(("\x1f".join(texts) + embedder.fingerprint).encode()).hexdigest()[:16]
    path = CACHE / f"layered-{tag}-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = embedder.encode_layered(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def report(name: str, truth: np.ndarray, model: SentimentModel, texts: list[str], vectors: np.ndarray) -> None:
    if not model.reads_layered:
        raise SystemExit(f"{name}: this benchmark gives models the layered vectors; this one reads the last layer's")
    results = model.predict(texts, vectors)
    predicted = np.array([r.label for r in results])
    confidence = np.array([r.confidence for r in results])
    per_class = f1_score(truth, predicted, labels=list(CLASSES), average=None)
    print(f"\n== {name}: {len(texts)} tweets ({model.origin})")
    print(f"accuracy  {accuracy_score(truth, predicted):.4f}")
    print(f"macro-F1  {f1_score(truth, predicted, average='macro'):.4f}")
    print("F1        " + "  ".join(f"{c} {f:.3f}" for c, f in zip(CLASSES, per_class, strict=True)))
    print(
        f"ECE       {expected_calibration_error(confidence, predicted == truth):.4f} (mean confidence "
        f"{confidence.mean():.3f})"
    )
    print("confusion (rows truth, columns predicted: negative, neutral, positive)")
    print(confusion_matrix(truth, predicted, labels=list(CLASSES)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-adapted", action="store_true")
    args = parser.parse_args()
    texts, truth = load_tweets()
    vectors = embed(texts, "tweets")
    report("out of the box", truth, SentimentModel.read(sentiment.shipped_path()), texts, vectors)
    if args.skip_adapted:
        return
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=0, stratify=truth)
    with tempfile.TemporaryDirectory() as work:
        csv_path = Path(work) / "train.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows((texts[i], truth[i]) for i in train)
        settings = Settings(home=Path(work) / "home")
        started = time.perf_counter()
        print("\n" + fit_from_csv(settings, csv_path, text_column="text", label_column="label"))
        print(f"fit_from_csv took {time.perf_counter() - started:.0f} s (2 shared cores: noisy)")
        adapted = SentimentModel.load(settings)
    report("adapted (80/20, random_state=0)", truth[test], adapted, [texts[i] for i in test], vectors[test])


if __name__ == "__main__":
    main()
