"""Raw embedding rate, fp32 (as shipped) vs the derived dynamic-int8 model, on the airline tweets.

``.venv/bin/python benchmarks/bench_embed.py [--limit N]`` prints texts/s for each model and the cosine
between their vectors (mean, 1st percentile, minimum). Reads ``../shared/data`` relative to the repository
root. Timing on a shared 2-core machine is noisy: run it when the machine is quiet and take the best of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np

from voxpop.analyze.embeddings import Embedder, get_embedder, source_model_path
from voxpop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TWEETS = ROOT.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
CACHE = ROOT / "benchmarks" / ".cache"


def rate(embedder: Embedder, texts: list[str], repeat: int) -> tuple[float, np.ndarray]:
    best, vectors = 0.0, np.zeros(0)
    for _ in range(repeat):
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best, vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=14640, help="how many tweets (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with TWEETS.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][: args.limit]
    quick = get_embedder(Settings(home=CACHE / "home"))
    exact = Embedder(source_model_path())
    print(f"{len(texts)} tweets, {len(os.sched_getaffinity(0))} cores, best of {args.repeat}")
    quick_rate, quick_vectors = rate(quick, texts, args.repeat)
    exact_rate, exact_vectors = rate(exact, texts, args.repeat)
    cosine = np.sum(quick_vectors * exact_vectors, axis=1)
    print(f"fp32 (as shipped)  {exact_rate:7.1f} texts/s")
    print(f"dynamic int8       {quick_rate:7.1f} texts/s  ({quick_rate / exact_rate:.2f}x)")
    print(f"cosine int8 vs fp32: mean {cosine.mean():.4f}, p1 {np.percentile(cosine, 1):.4f}, min {cosine.min():.4f}")


if __name__ == "__main__":
    main()
