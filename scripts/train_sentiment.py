"""Train the sentiment model that ships with voxpop: ``.venv/bin/python scripts/train_sentiment.py``.

It learns only from data whose licence allows shipping the result:

* the VADER ground truth (Hutto & Gilbert 2014, MIT): 23,699 snippets rated -4..+4 by about 20 people
  each. Mean rating <= -NEGATIVE_FROM is negative, >= POSITIVE_FROM positive, and |rating| < NEUTRAL_BELOW
  neutral; the snippets in between are ambiguous and left out;
* the UCI Sentiment Labelled Sentences (Kotzias et al. 2015, CC BY 4.0): 3,000 polar sentences;
* the seed set in ``scripts/sentiment_seed/`` that we wrote for voxpop (see its README), weighted
  SEED_WEIGHT times, since it is the only data that looks like messages customers send a business; its
  ``negation/``, ``survey/`` and ``idioms/`` folders with the weights of :data:`ADOPTED`.

The model stacks a word 1–2-gram TF-IDF head and a dense head over [layered vector, lexicon] (both weighted
as the rows are) under the final layer, which reads their out-of-fold log-probabilities beside the
lexicon features (the raw embedding goes through the dense head only). The confidence is
calibrated: a first model is fitted on four fifths of the rows and the temperature that
minimises its (weighted) log-loss on the held-out fifth is kept for the model fitted on all rows.

Data are read from ``../shared/data`` (relative to the repository root) or ``--data``. Embeddings are
cached in ``benchmarks/.cache/``. Writes ``src/voxpop/analyze/resources/sentiment.npz``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from voxpop.analyze import sentiment, sentiment_training
from voxpop.analyze.embeddings import get_embedder
from voxpop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "scripts" / "sentiment_seed"
CACHE = ROOT / "benchmarks" / ".cache"
NEGATIVE_FROM = 0.8
POSITIVE_FROM = 0.8
NEUTRAL_BELOW = 0.3
SEED_WEIGHT = 20.0
#: ``scripts/sentiment_seed/negation/``: praise through a negated complaint ("couldn't fault it"), complaints and
#: statements with the same words. Weighted less than the other seed lines: see NEGATION_WEIGHT's note in
#: BENCHMARKS.md ("Sentiment", session 13) for the cross-validation that chose it.
NEGATION = SEED / "negation"
NEGATION_WEIGHT = 5.0
#: ``scripts/sentiment_seed/survey/``: short answers from survey free-text boxes ("nothing to improve", "too
#: expensive", "n/a"). Weighted as the main seed lines: the cross-validation that chose it is in BENCHMARKS.md
#: ("Sentiment", session 15).
SURVEY = SEED / "survey"
SURVEY_WEIGHT = SEED_WEIGHT
#: ``scripts/sentiment_seed/idioms/``: idioms, set phrases, slang and scores in words ("to die for", "thanks for
#: nothing", "zero stars if I could"). Weighted as the main seed lines: the cross-validation that chose it is in
#: BENCHMARKS.md ("Idioms", session 16).
IDIOMS = SEED / "idioms"
IDIOMS_WEIGHT = SEED_WEIGHT
#: Seed folders beside the main lines, with their weights; in every cross-validation fold's training too.
ADOPTED = {NEGATION: NEGATION_WEIGHT, SURVEY: SURVEY_WEIGHT, IDIOMS: IDIOMS_WEIGHT}
C = 1.0
#: The TF-IDF head stacked under the final layer: word 1–2-grams only (character n-grams would cost
#: about 0.2 ms more per item), strength TEXT_C.
TEXT_FEATURES = ("word",)
TEXT_C = 1.0
#: Strengths tried for the dense head (the one with the best out-of-fold log-loss is kept). Since
#: 2026-12-06 (session 7): 5-fold CV on the seed lines 0.8989 / 0.8921 -> 0.9102 / 0.9042, SemEval-2014
#: (evaluation only) 0.7309 / 0.6342 -> 0.7380 / 0.6334 against the raw embedding in the final layer.
#: Since 2026-12-06 (session 8) the dense head reads the layered vector instead of the sentence
#: embedding: seed CV 0.9102 / 0.9047 -> 0.9172 / 0.9116, SemEval-2014 0.7388 / 0.6357 -> 0.7509 / 0.6509.
DENSE_CS = sentiment_training.DENSE_CS
#: Temperatures tried when calibrating the confidence on the held-out fifth.
TEMPERATURES = np.round(np.arange(0.5, 3.01, 0.05), 2)


def embed(texts: list[str], tag: str) -> np.ndarray:
    """Layered vectors (``Embedder.encode_layered``) with the shipped dynamic-int8 model, cached by the texts
    and the model file."""
    embedder = get_embedder(Settings(home=CACHE / "home"))
    key = hashlib.sha256(("\x1f".join(texts) + embedder.fingerprint).encode()).hexdigest()[:16]
    path = CACHE / f"layered-{tag}-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = embedder.encode_layered(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def vader_rows(data: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted((data / "vader_ground_truth").glob("*_GroundTruth.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            parts = line.rstrip("\r").split("\t")
            if len(parts) < 3:
                continue
            rating, text = float(parts[1]), parts[2]
            if rating <= -NEGATIVE_FROM:
                rows.append((text, "negative"))
            elif rating >= POSITIVE_FROM:
                rows.append((text, "positive"))
            elif abs(rating) < NEUTRAL_BELOW:
                rows.append((text, "neutral"))
    return rows


def uci_rows(data: Path) -> list[tuple[str, str]]:
    with (data / "uci_sentiment_labelled_sentences" / "sentences.csv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], "positive" if r["label"] == "1" else "negative") for r in csv.DictReader(f)]


def seed_rows(folder: Path = SEED) -> list[tuple[str, str]]:
    rows = []
    for label in sentiment.CLASSES:
        for line in (folder / f"{label}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((line.strip(), label))
    return rows


def calibrated_temperature(texts: list[str], labels: list[str], vectors: np.ndarray, weights: np.ndarray) -> float:
    """The temperature that minimises the weighted log-loss of a model fitted without a held-out fifth."""
    strata = [f"{label}-{weight}" for label, weight in zip(labels, weights, strict=True)]
    fit, held = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=0, stratify=strata)
    model = sentiment_training.train(
        [texts[i] for i in fit],
        [labels[i] for i in fit],
        vectors[fit],
        weights=weights[fit],
        text_features=TEXT_FEATURES,
        text_c=TEXT_C,
        dense_head=DENSE_CS,
        c=C,
        representation=sentiment.LAYERED,
    )
    log_probs = np.log(np.clip(model.probabilities([texts[i] for i in held], vectors[held]), 1e-12, 1.0))
    truth = np.array([sentiment.CLASSES.index(labels[i]) for i in held])
    losses = []
    for temperature in TEMPERATURES:
        scaled = log_probs / temperature
        scaled -= np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        losses.append(-float(weights[held] @ scaled[np.arange(len(held)), truth]))
    return float(TEMPERATURES[int(np.argmin(losses))])


def semeval_rows(data: Path) -> list[tuple[str, str]]:
    """SemEval-2014 train sentences whose aspect polarities all agree (research licence: evaluation only)."""
    rows = []
    for name in ("restaurants", "laptops"):
        path = data / "semeval2014_absa_train" / f"{name}_train_sentences.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            found = item.get("aspect_terms", []) + item.get("aspect_categories", [])
            polarities = {a["polarity"] for a in found}
            if len(polarities) == 1 and next(iter(polarities)) in sentiment.CLASSES:
                rows.append((item["text"], next(iter(polarities))))
    return rows


def cross_validate(data: Path, extra: Path | None, extra_weight: float = SEED_WEIGHT) -> None:
    """5-fold CV over the seed lines (VADER and UCI rows always in training), then SemEval-2014 (evaluation only).

    The lines of the adopted folders (:data:`ADOPTED`) join every training fold with their weights and are never
    scored, as they are in the shipped model. With ``extra`` (a folder of candidate
    ``negative/neutral/positive.txt`` lines), the candidates do the same, so the figures compare with a run
    without them.
    """
    vader, uci = vader_rows(data), uci_rows(data)
    base = vader + uci
    base_vectors = np.vstack([embed([t for t, _ in vader], "vader"), embed([t for t, _ in uci], "uci")])
    seed = seed_rows()
    folders = dict(ADOPTED)
    if extra is not None:
        folders[extra] = extra_weight
    added: list[tuple[str, str]] = []
    added_weights: list[float] = []
    for folder, weight in folders.items():
        rows = seed_rows(folder)
        added += rows
        added_weights += [weight] * len(rows)
    seed_vectors = embed([t for t, _ in seed], "seed")
    added_vectors = embed([t for t, _ in added], "seed-extra") if added else np.zeros((0, base_vectors.shape[1]))
    truth = np.array([y for _, y in seed])
    predicted = np.empty(len(seed), dtype=object)

    def fit(rows: list[tuple[str, str]], vectors: np.ndarray) -> sentiment.SentimentModel:
        texts, labels = [t for t, _ in base + rows], [y for _, y in base + rows]
        # The adopted and candidate lines (``added``) come last in ``rows`` and take their own weights.
        seeds = len(rows) - len(added)
        weights = np.array([1.0] * len(base) + [SEED_WEIGHT] * seeds + added_weights)
        return sentiment_training.train(
            texts,
            labels,
            np.vstack([base_vectors, vectors]),
            weights=weights,
            text_features=TEXT_FEATURES,
            text_c=TEXT_C,
            dense_head=DENSE_CS,
            c=C,
            representation=sentiment.LAYERED,
        )

    for train_at, held in StratifiedKFold(5, shuffle=True, random_state=0).split(truth, truth):
        model = fit([seed[i] for i in train_at] + added, np.vstack([seed_vectors[train_at], added_vectors]))
        predicted[held] = [r.label for r in model.predict([seed[i][0] for i in held], seed_vectors[held])]
        print(f"fold done ({len(held)} held-out seed lines)", flush=True)
    labels = predicted.astype(str)
    macro = f1_score(truth, labels, average="macro")
    print(f"seed CV: accuracy {accuracy_score(truth, labels):.4f}, macro-F1 {macro:.4f}")
    model = fit(seed + added, np.vstack([seed_vectors, added_vectors]))
    check = semeval_rows(data)
    guessed = [r.label for r in model.predict([t for t, _ in check], embed([t for t, _ in check], "semeval14"))]
    gold = [y for _, y in check]
    macro = f1_score(gold, guessed, average="macro")
    print(f"SemEval-2014 ({len(check)}): accuracy {accuracy_score(gold, guessed):.4f}, macro-F1 {macro:.4f}")
    if extra is None:
        model.save(CACHE / "sentiment-cv.npz")  # what the tuning sets may be scored with (bench --model)
    else:
        model.save(CACHE / f"sentiment-cv-{extra.name}-{extra_weight:g}.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=sentiment.shipped_path())
    parser.add_argument("--cv", action="store_true", help="cross-validate on the seed lines instead of training")
    parser.add_argument("--extra", type=Path, help="with --cv: a folder of candidate seed lines, in training only")
    parser.add_argument("--extra-weight", type=float, default=SEED_WEIGHT, help="with --extra: their weight")
    args = parser.parse_args()
    if args.cv:
        cross_validate(args.data, args.extra, args.extra_weight)
        return

    parts = {"vader": vader_rows(args.data), "uci": uci_rows(args.data), "seed": seed_rows()}
    parts.update({folder.name: seed_rows(folder) for folder in ADOPTED})
    weight = {"seed": SEED_WEIGHT} | {folder.name: w for folder, w in ADOPTED.items()}
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    blocks = []
    for tag, rows in parts.items():
        texts += [t for t, _ in rows]
        labels += [y for _, y in rows]
        weights += [weight.get(tag, 1.0)] * len(rows)
        blocks.append(embed([t for t, _ in rows], tag))
        print(f"{tag}: {len(rows)} rows {dict(Counter(y for _, y in rows))}")
    vectors, sample_weights = np.vstack(blocks), np.asarray(weights)
    temperature = calibrated_temperature(texts, labels, vectors, sample_weights)
    print(f"temperature {temperature} (log-loss on a held-out fifth)")
    model = sentiment_training.train(
        texts,
        labels,
        vectors,
        weights=sample_weights,
        text_features=TEXT_FEATURES,
        text_c=TEXT_C,
        dense_head=DENSE_CS,
        c=C,
        origin="shipped: VADER ground truth (MIT), UCI sentences (CC BY 4.0), voxpop seed set",
        representation=sentiment.LAYERED,
    )
    model.temperature = temperature
    print(f"wrote {model.save(args.out)}")


if __name__ == "__main__":
    main()
