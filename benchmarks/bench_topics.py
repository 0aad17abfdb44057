"""Topics found without a taxonomy: how many items get one, how well they agree with human labels, and
whether their names describe them. ``.venv/bin/python benchmarks/bench_topics.py``

``discover_topics`` (what ``voxpop analyze`` and the store's topic refresh run) on each corpus of
``../shared/data``, from the sentence vectors of the default embedder (cached in ``benchmarks/.cache``):

- airline tweets (all 14,640; the gold label of the negative ones is their ``negativereason``, "Can't Tell"
  left out), SemEval-2014 and SemEval-2016 restaurant sentences (gold: the category of the sentences that
  have one), Datafiniti hotel reviews (no gold);
- **coverage**: the share of items given a topic;
- **NMI** and **purity** against the gold label, over the labelled items given a topic (purity: the share of
  them whose topic's most common label is theirs);
- **name support**: per topic, the share of its members (distinct texts) that contain at least one of its key
  phrases, averaged over topics weighted by size; and the **weakest name**: the lowest share of any topic. A
  name taken from a few copies of one text (a retweet) describes almost none of its topic.

There is no target in the issue; the figures exist so that a change to clustering or naming is measured.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import normalized_mutual_info_score

from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.topics import _NOISE, WORD_PATTERN, TopicModel, discover_topics

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "benchmarks" / ".cache"


@dataclass
class Corpus:
    name: str
    texts: list[str]
    gold: list[str | None]  # None: no label for this item


def tweets() -> Corpus:
    with (DATA / "twitter_airline_sentiment" / "Tweets.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    gold = [r["negativereason"] if r["negativereason"] not in ("", "Can't Tell") else None for r in rows]
    return Corpus("airline tweets", [r["text"] for r in rows], gold)


def semeval(path: Path, name: str, key: str) -> Corpus:
    texts: list[str] = []
    gold: list[str | None] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            categories = {c[key] for c in row.get("aspect_categories") or row.get("opinions") or []}
            texts.append(row["text"])
            gold.append(categories.pop() if len(categories) == 1 else None)
    return Corpus(name, texts, gold)


def hotels() -> Corpus:
    path = DATA / "datafiniti_hotel_reviews_sample" / "datafiniti_hotel_reviews_7282_1_first1427.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["reviews.text"] for r in rows if r.get("reviews.text", "").strip()]
    return Corpus("Datafiniti hotel reviews", texts, [None] * len(texts))


def corpora() -> list[Corpus]:
    return [
        tweets(),
        semeval(
            DATA / "semeval2014_absa_train" / "restaurants_train_sentences.jsonl",
            "SemEval-2014 restaurants",
            "category",
        ),
        semeval(
            DATA / "semeval2016_absa_restaurants_train" / "restaurants_train_sentences.jsonl",
            "SemEval-2016 restaurants",
            "category",
        ),
        hotels(),
    ]


def embed(texts: Sequence[str]) -> np.ndarray:
    embedder = get_embedder()
    key = hashlib.sha256(("\x00".join(texts) + embedder.fingerprint).encode("utf-8")).hexdigest()[:24]
    path = CACHE / f"topics-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = embedder.encode(list(texts))
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    np.save(path, vectors)
    return vectors


def name_support(texts: Sequence[str], model: TopicModel) -> tuple[float, float, str]:
    """Size-weighted mean and minimum, over topics, of the share of distinct members holding a key phrase."""
    analyse = CountVectorizer(ngram_range=(1, 3), stop_words="english", token_pattern=WORD_PATTERN).build_analyzer()
    shares: list[tuple[float, int, str]] = []
    for topic in model.topics:
        members = {_NOISE.sub(" ", texts[int(i)]).lower() for i in np.flatnonzero(model.labels == topic.id)}
        phrases = set(topic.key_phrases)
        holding = sum(1 for text in members if phrases & set(analyse(text)))
        shares.append((holding / max(len(members), 1), topic.size, topic.name))
    if not shares:
        return 0.0, 0.0, ""
    weights = np.array([size for _, size, _ in shares], dtype=np.float64)
    mean = float(np.average([share for share, _, _ in shares], weights=weights))
    weakest = min(shares)
    return mean, weakest[0], weakest[2]


def purity(labels: np.ndarray, gold: Sequence[str]) -> float:
    total = 0
    for topic in np.unique(labels):
        total += Counter(g for g, t in zip(gold, labels, strict=True) if t == topic).most_common(1)[0][1]
    return total / max(len(gold), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print the names of the N largest topics per corpus")
    args = parser.parse_args()
    print(
        "| corpus | items | topics | coverage | NMI / purity (labelled, covered) "
        "| name support (mean / weakest) | CPU s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    shown: list[str] = []
    for corpus in corpora():
        vectors = embed(corpus.texts)
        started = time.process_time()
        model = discover_topics(corpus.texts, vectors)
        seconds = time.process_time() - started
        covered = model.labels >= 0
        labelled = np.array([g is not None for g in corpus.gold]) & covered
        gold = [g for g, keep in zip(corpus.gold, labelled, strict=True) if keep and g is not None]
        agreement = "—"
        if gold:
            topics = model.labels[labelled]
            agreement = f"{normalized_mutual_info_score(gold, topics):.3f} / {purity(topics, gold):.3f} (n={len(gold)})"
        mean, weakest, weakest_name = name_support(corpus.texts, model)
        print(
            f"| {corpus.name} | {len(corpus.texts)} | {len(model.topics)} | {covered.mean():.3f} | {agreement} "
            f"| {mean:.3f} / {weakest:.3f} ({weakest_name}) | {seconds:.1f} |"
        )
        if args.show:
            shown.append(f"{corpus.name}:")
            for topic in sorted(model.topics, key=lambda t: -t.size)[: args.show]:
                shown.append(f"  {topic.size:5d}  {topic.name}")
    if shown:
        print("\n".join(shown))


if __name__ == "__main__":
    main()
