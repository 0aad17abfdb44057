"""Raw embedding rate, fp32 (as shipped) vs the derived dynamic-int8 model, on the airline tweets.

``.venv/bin/python benchmarks/bench_embed.py [--limit N]`` prints texts/s for each model, the cosine between
their vectors (mean, 1st percentile, minimum), and how far a text's vector moves when it is batched with other
texts (batches of 64 against 7). The derived model as voxpop uses it (activations quantised per token) is
compared with the same model quantised per tensor, as ``quantize_dynamic`` leaves it. Reads ``../shared/data``
relative to the repository root. Timing on a shared 2-core machine is noisy: run it when the machine is quiet
and take the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np

from voxpop.analyze.embeddings import Embedder, get_embedder, quantize, source_model_path
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
    models = {"int8, per token (voxpop)": get_embedder(Settings(home=CACHE / "home"))}
    per_tensor = CACHE / "per-tensor" / "minilm-l6-v2-dynint8.onnx"
    if not per_tensor.is_file():
        quantize(source_model_path(), per_tensor, per_token=False)
    models["int8, per tensor"] = Embedder(per_tensor)
    models["fp32 (as shipped)"] = Embedder(source_model_path())
    print(f"{len(texts)} tweets, {len(os.sched_getaffinity(0))} cores, best of {args.repeat}, models interleaved")
    rates: dict[str, list[float]] = {name: [] for name in models}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for name, embedder in models.items():
            speed, vectors[name] = rate(embedder, texts, 1)
            rates[name].append(speed)
    exact = vectors["fp32 (as shipped)"]
    for name, embedder in models.items():
        best = max(rates[name])
        print(f"{name:26} {best:7.1f} texts/s  ({best / max(rates['fp32 (as shipped)']):.2f}x fp32)")
        if embedder is models["fp32 (as shipped)"]:
            continue
        cosine = np.sum(vectors[name] * exact, axis=1)
        print(f"  cosine to fp32: mean {cosine.mean():.4f}, p1 {np.percentile(cosine, 1):.4f}, min {cosine.min():.4f}")
        moved = np.sum(vectors[name] * embedder.encode(texts, batch_size=7), axis=1)
        print(f"  same text, batches of 64 vs 7: cosine mean {moved.mean():.6f}, min {moved.min():.6f}")


if __name__ == "__main__":
    main()
