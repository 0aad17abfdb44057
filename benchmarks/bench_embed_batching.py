"""How the embedder cuts and runs its batches: rate, peak memory and vectors, on short and on long texts.

Four ways, each in a fresh subprocess (so its peak RSS is its own), interleaved over ``--rounds`` rounds:

* ``one at a time``: 64 texts per batch, one batch at a time on every core's intra-op thread (voxpop
  before 2026-12-07, except that ONNX Runtime's memory patterns are now off in every way);
* ``+ token budget``: the same, but a batch also holds at most ``TOKEN_BUDGET`` texts × length²;
* ``+ batches side by side``: 64 texts per batch, as many batches at once as cores, one thread each;
* ``both`` (voxpop now).

On the first ``--tweets`` airline tweets and the first ``--reviews`` TripAdvisor hotel reviews (long:
up to the 256 word pieces the model reads). Prints texts/s (best round), the peak RSS of the process, and
the largest difference of any vector component from the first way's (the model quantises per token, so
a text's vector should not depend on how it was batched).

    .venv/bin/python benchmarks/bench_embed_batching.py [--tweets N] [--reviews N] [--rounds N]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TWEETS = DATA / "twitter_airline_sentiment" / "Tweets.csv"
REVIEWS = DATA / "tripadvisor_hotel_reviews_sample" / "tripadvisor_hotel_reviews_first2000.csv"
HOME = ROOT / "benchmarks" / ".cache" / "home"
WAYS = {
    "one at a time": {"parallel": False, "token_budget": None},
    "+ token budget": {"parallel": False},
    "+ batches side by side": {"token_budget": None},
    "both (voxpop now)": {},
}


def _texts(path: Path, column: str, limit: int) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[column] for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]


def child(way: str, corpus: str, limit: int, out: Path) -> None:
    """Runs in the subprocess: embed the corpus once to warm up, once timed; save the vectors."""
    from voxpop.analyze.embeddings import Embedder, get_embedder
    from voxpop.settings import Settings

    path = get_embedder(Settings(home=HOME)).model_path
    embedder = Embedder(path, **WAYS[way])  # type: ignore[arg-type]
    texts = _texts(TWEETS, "text", limit) if corpus == "tweets" else _texts(REVIEWS, "Review", limit)
    embedder.encode(texts[:16])
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    seconds = time.perf_counter() - started
    np.save(out, vectors)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rate": len(texts) / seconds, "rss": peak}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tweets", type=int, default=4000)
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        way, corpus, out = args.child
        child(way, corpus, args.tweets if corpus == "tweets" else args.reviews, Path(out))
        return
    from voxpop.analyze.embeddings import TOKEN_BUDGET

    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; token budget {TOKEN_BUDGET:,}")
    with tempfile.TemporaryDirectory() as work:
        for corpus, count in (("tweets", args.tweets), ("reviews", args.reviews)):
            rates: dict[str, list[float]] = {way: [] for way in WAYS}
            peaks: dict[str, float] = {}
            vectors: dict[str, np.ndarray] = {}
            for _ in range(args.rounds):
                for way in WAYS:
                    out = Path(work) / f"{len(vectors)}.npy"
                    command = [sys.executable, __file__, f"--{corpus}", str(count), "--child", way, corpus, str(out)]
                    result = subprocess.run(command, capture_output=True, text=True, check=True)
                    figures = json.loads(result.stdout.strip().splitlines()[-1])
                    rates[way].append(figures["rate"])
                    peaks[way] = max(peaks.get(way, 0.0), figures["rss"])
                    vectors[way] = np.load(out)
            first = vectors[next(iter(WAYS))]
            print(f"\n{count} {corpus}:")
            print(f"  {'way':24} {'texts/s (best)':>15} {'rounds':>16} {'peak RSS':>10} {'max |diff|':>11}")
            for way in WAYS:
                shown = " / ".join(f"{r:.0f}" for r in rates[way])
                diff = float(np.abs(vectors[way] - first).max())
                print(f"  {way:24} {max(rates[way]):15.1f} {shown:>16} {peaks[way]:8.0f} MB {diff:11.2e}")


if __name__ == "__main__":
    main()
