"""Aspect-level sentiment with clause vectors pooled from the item's own pass vs clauses embedded alone.

The aspect tagger scores each aspect with the sentiment of the clause that carries it. Since the clause
vectors are mean-pooled from the item's single forward pass (``Embedder.encode_parts``), this checks that
nothing is lost against embedding each clause on its own:

* SemEval-2014 restaurants (train file, every multi-clause sentence; the built-in ``restaurant`` taxonomy,
  zero-shot, nothing fitted): accuracy of the aspect-level sentiment where a tagged aspect maps onto a gold
  category with a positive/negative/neutral polarity;
* the first 3,000 airline tweets (``airline`` taxonomy): how often both ways give the same aspects and the
  same aspect sentiments.

Run: ``.venv/bin/python benchmarks/bench_clause_vectors.py``
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import DATA as TWEETS
from bench_aspect_category import DATA, ZERO_SHOT_MAP
from voxpop.analyze.aspects import AspectHit, AspectTagger
from voxpop.analyze.clauses import clauses_of
from voxpop.analyze.embeddings import Embedder, get_embedder
from voxpop.analyze.sentiment import SentimentModel
from voxpop.analyze.taxonomy import load_taxonomy

POLARITIES = {"positive", "negative", "neutral"}


class Alone:
    """The embedder without ``encode_parts``: the tagger then embeds every clause on its own."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.encode(texts)


def both_ways(taxonomy: str, texts: list[str]) -> tuple[list[list[AspectHit]], list[list[AspectHit]]]:
    embedder, sentiment = get_embedder(), SentimentModel.load()
    clauses = clauses_of(texts)
    encoded = embedder.encode_all(embedder.tokenize(texts, clauses))
    vectors, segments = encoded.vectors, list(zip(clauses, encoded.parts, strict=True))
    alone = AspectTagger(load_taxonomy(taxonomy), Alone(embedder), sentiment).tag(texts, vectors)
    tagger = AspectTagger(load_taxonomy(taxonomy), embedder, sentiment)
    pooled = tagger.tag(texts, vectors, segments, encoded.layered_parts)
    return alone, pooled


def main() -> None:
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    rows = [row for row, parts in zip(rows, clauses_of([r["text"] for r in rows]), strict=True) if len(parts) > 1]
    for label, tagged in zip(
        ("clauses alone", "pooled"), both_ways("restaurant", [r["text"] for r in rows]), strict=True
    ):
        right = total = 0
        for row, hits in zip(rows, tagged, strict=True):
            truth = {c["category"]: c["polarity"] for c in row["aspect_categories"] if c["polarity"] in POLARITIES}
            for hit in hits:
                category = ZERO_SHOT_MAP.get(hit.name)
                if category in truth:
                    total += 1
                    right += hit.sentiment == truth[category]
        print(
            f"SemEval restaurants, {len(rows)} multi-clause sentences, {label}: "
            f"aspect sentiment {right}/{total} = {right / max(total, 1):.4f}"
        )
    with TWEETS.open(encoding="utf-8", newline="") as handle:
        tweets = [row["text"] for row in csv.DictReader(handle)][:3000]
    alone, pooled = both_ways("airline", tweets)
    same = sum({h.name for h in a} == {h.name for h in b} for a, b in zip(alone, pooled, strict=True))
    pairs = [
        (h.sentiment, {g.name: g.sentiment for g in b}.get(h.name))
        for a, b in zip(alone, pooled, strict=True)
        for h in a
    ]
    agree = sum(x == y for x, y in pairs)
    print(
        f"airline tweets, first {len(tweets)}: same aspects {same / len(tweets):.3f}, "
        f"same aspect sentiment {agree}/{len(pairs)} = {agree / max(len(pairs), 1):.3f}"
    )


if __name__ == "__main__":
    main()
