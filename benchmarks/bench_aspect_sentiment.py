"""Aspect-level sentiment: is each aspect read with the feeling the customer has about *it*?

voxpop gives an aspect the sentiment of the clause that carries it (``AspectTagger.tag``), not the whole
item's. Two measures, on human polarity labels (``conflict`` left out; voxpop has no such class):

1. **Carrier given** — SemEval aspect *terms* with their character offsets ("the *staff* was rude"):
   SemEval-2014 restaurants and laptops, SemEval-2016 restaurants (train files). The aspect's sentiment is
   that of the clause holding the term (``clauses.clause_at``), read as the tagger reads it (layered clause
   vectors pooled from the sentence's own forward pass). Compared with giving every term the sentence's
   sentiment, overall and on the sentences whose terms disagree ("great food, rude staff").
2. **Product path** — SemEval-2014 restaurant *categories*, the 80/20 split of ``bench_aspect_category.py``:
   the taxonomy is fitted on 80 % and ``AspectTagger.tag`` runs on the 20 %; for every gold (category,
   polarity) the tagger also found, is its sentiment the gold one? Also the micro-F1 of (category,
   polarity) pairs, which counts detection and sentiment together.

Run: ``.venv/bin/python benchmarks/bench_aspect_sentiment.py [--skip-fit]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_aspect_category import DATA as RESTAURANTS14
from bench_complaint_reason import CACHE, CachedEncoder
from voxpop.analyze.aspects import AspectTagger
from voxpop.analyze.clauses import clauses_of
from voxpop.analyze.embeddings import Encoded, get_embedder
from voxpop.analyze.sentiment import CLASSES, SentimentModel
from voxpop.analyze.taxonomy import fit_taxonomy, load_taxonomy, save_taxonomy

DATA = RESTAURANTS14.parents[1]
LAPTOPS14 = DATA / "semeval2014_absa_train" / "laptops_train_sentences.jsonl"
RESTAURANTS16 = DATA / "semeval2016_absa_restaurants_train" / "restaurants_train_sentences.jsonl"
POLARITIES = set(CLASSES)

#: (sentence, term start, term end, gold polarity)
Term = tuple[str, int, int, str]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def terms_2014(path: Path) -> list[Term]:
    return [
        (row["text"], int(t["from"]), int(t["to"]), t["polarity"])
        for row in read_jsonl(path)
        for t in row.get("aspect_terms", [])
        if t["polarity"] in POLARITIES
    ]


def terms_2016(path: Path) -> list[Term]:
    """Opinions with an explicit target; several opinions on one span count once (if they agree)."""
    out: list[Term] = []
    for row in read_jsonl(path):
        spans: dict[tuple[int, int], set[str]] = {}
        for opinion in row.get("opinions", []):
            if opinion.get("target") not in (None, "", "NULL") and opinion["polarity"] in POLARITIES:
                spans.setdefault((int(opinion["from"]), int(opinion["to"])), set()).add(opinion["polarity"])
        out.extend((row["text"], a, b, next(iter(p))) for (a, b), p in spans.items() if len(p) == 1)
    return out


class Reader:
    """Sentences and their clauses through the embedder and the shipped sentiment model, as the tagger reads them."""

    def __init__(self) -> None:
        self.embedder = get_embedder()
        self.sentiment = SentimentModel.load()

    def encode(self, texts: Sequence[str]) -> tuple[list[list[str]], Encoded]:
        """The texts' clauses, and every vector of one forward pass per text (as ``voxpop analyze`` embeds)."""
        clauses = clauses_of(texts)
        return clauses, self.embedder.encode_all(self.embedder.tokenize(texts, clauses))

    def sentences_and_clauses(self, texts: Sequence[str]) -> tuple[list[str], list[list[str]]]:
        """Each sentence's label and its clauses' labels."""
        clauses, encoded = self.encode(texts)
        vectors = self.sentiment.pick(encoded.vectors, encoded.layered)
        parts = self.sentiment.pick(encoded.parts, encoded.layered_parts)
        assert vectors is not None
        assert parts is not None
        whole = self.sentiment.predict(list(texts), vectors)
        # A one-clause sentence's clause is the sentence: its vector is the sentence's (as in the tagger).
        stacked = np.vstack([parts[i] if len(row) > 1 else vectors[i : i + 1] for i, row in enumerate(clauses)])
        labels = iter(r.label for r in self.sentiment.predict([c for row in clauses for c in row], stacked))
        return [r.label for r in whole], [[next(labels) for _ in row] for row in clauses]


def clause_at(text: str, clauses: Sequence[str], start: int, end: int) -> int:
    """The index of the clause holding most of ``text[start:end]`` (clauses are slices of ``text`` in order)."""
    best, overlap, cursor = 0, -1, 0
    for i, clause in enumerate(clauses):
        at = text.find(clause, cursor)
        if at < 0:
            continue
        cursor = at + len(clause)
        shared = min(end, cursor) - max(start, at)
        if shared > overlap:
            best, overlap = i, shared
    return best


def score(truth: list[str], predicted: list[str]) -> str:
    if not truth:
        return "n/a"
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    macro = f1_score(truth, predicted, labels=list(CLASSES), average="macro", zero_division=0)
    return f"accuracy {accuracy:.4f}, macro-F1 {macro:.4f}"


def carrier_given(name: str, terms: list[Term], reader: Reader) -> None:
    texts = sorted({t[0] for t in terms})
    index = {text: i for i, text in enumerate(texts)}
    whole, clauses = reader.sentences_and_clauses(texts)
    split = clauses_of(texts)
    mixed = {text for text in texts if len({p for s, _, _, p in terms if s == text}) > 1}
    rows = []
    for text, start, end, gold in terms:
        i = index[text]
        rows.append((gold, whole[i], clauses[i][clause_at(text, split[i], start, end)], text in mixed))
    counts = Counter(gold for gold, *_ in rows)
    disagreeing = sum(r[3] for r in rows)
    print(f"\n{name}: {len(rows)} terms in {len(texts)} sentences ({dict(counts)})")
    print(f"  {disagreeing} terms in {len(mixed)} sentences whose terms disagree")
    for label, pick in (("sentence's sentiment", 1), ("carrying clause's", 2)):
        print(f"  {label:22} all: {score([r[0] for r in rows], [r[pick] for r in rows])}")
        sub = [r for r in rows if r[3]]
        print(f"  {'':22} disagreeing: {score([r[0] for r in sub], [r[pick] for r in sub])}")


def product_path(reader: Reader) -> None:
    rows = read_jsonl(RESTAURANTS14)
    train, test = train_test_split(rows, test_size=0.2, random_state=0)
    path = CACHE / "semeval2014-restaurants.yaml"
    if not path.is_file():  # bench_aspect_category.py writes the same file
        taxonomy = fit_taxonomy(
            [r["text"] for r in train],
            [[c["category"] for c in r["aspect_categories"]] for r in train],
            embedder=CachedEncoder(),
            name="semeval2014-restaurants",
        )
        save_taxonomy(taxonomy, path)
    tagger = AspectTagger(load_taxonomy(path), reader.embedder, reader.sentiment)
    texts = [r["text"] for r in test]
    clauses, encoded = reader.encode(texts)
    tagged = tagger.tag(texts, encoded.vectors, list(zip(clauses, encoded.parts, strict=True)), encoded.layered_parts)
    whole = reader.sentiment.predict(texts, reader.sentiment.pick(encoded.vectors, encoded.layered))
    truth_pairs, found_pairs, gold, ours, sentence = set(), set(), [], [], []
    for i, (row, hits) in enumerate(zip(test, tagged, strict=True)):
        truth = {c["category"]: c["polarity"] for c in row["aspect_categories"] if c["polarity"] in POLARITIES}
        truth_pairs |= {(i, c, p) for c, p in truth.items()}
        found_pairs |= {(i, h.name, h.sentiment) for h in hits}
        for hit in hits:
            if hit.name in truth:
                gold.append(truth[hit.name])
                ours.append(hit.sentiment)
                sentence.append(whole[i].label)
    right = len(truth_pairs & found_pairs)
    precision, recall = right / max(len(found_pairs), 1), right / max(len(truth_pairs), 1)
    print(f"\nSemEval-2014 restaurant categories, fitted on 80 %, tagger on {len(test)} sentences:")
    print(f"  {len(gold)} of {len(truth_pairs)} gold (category, polarity) found as categories")
    print(f"  aspect's own sentiment: {score(gold, ours)}")
    print(f"  sentence's sentiment:   {score(gold, sentence)}")
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"  (category, polarity) pairs: precision {precision:.4f}, recall {recall:.4f}, micro-F1 {f1:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-fit", action="store_true", help="only the carrier-given measure")
    args = parser.parse_args()
    reader = Reader()
    carrier_given("SemEval-2014 restaurants, aspect terms", terms_2014(RESTAURANTS14), reader)
    carrier_given("SemEval-2014 laptops, aspect terms", terms_2014(LAPTOPS14), reader)
    carrier_given("SemEval-2016 restaurants, opinion targets", terms_2016(RESTAURANTS16), reader)
    if not args.skip_fit:
        product_path(reader)


if __name__ == "__main__":
    sys.exit(main())
