"""Choosing the aspect head's features by cross-validation inside the 80 % train part only.

``bench_aspect_category.py`` scores the 20 % once; this script never touches it. It splits the same 80 %
(``random_state=0``) into 5 folds by sentence, fits ``train_head`` on 4 with each candidate configuration
(n-gram ranges, regularisation grid) and pools the micro-F1 over the held-out folds.

Run: ``.venv/bin/python benchmarks/cv_aspect_category.py [name ...] [--seed=N]`` (folds ``KFold(5, random_state=N)``,
default 1) (embeddings cached in ``benchmarks/.cache``).
``shipped`` is whatever ``train_head`` does now: on 2026-12-06 0.8395 before and 0.8425 after the fold-averaged
models, jointly tuned thresholds and second-level stack, 0.8440 with the word and character models in the stack
(BENCHMARKS.md, "Aspect category"). The first score is the head's own decision (``predict``); the ``guard``
lines score the tagger's out-of-domain guard and a variant, with how many off-topic sentences each leaves quiet.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_aspect_category import DATA, micro_f1
from bench_complaint_reason import CachedEncoder
from voxpop.analyze import aspect_head, aspect_training
from voxpop.analyze.aspect_head import AspectHead
from voxpop.analyze.aspects import OFF_TOPIC

#: name -> module constants to set before training (the rest keep their shipped values).
CONFIGS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "joint TF-IDF only": {"SPLIT_TEXT": False},
    "word + char + joint TF-IDF": {"SPLIT_TEXT": True},
    "char_wb 1-6": {"CHAR_NGRAMS": (1, 6)},
    "char_wb 2-6": {"CHAR_NGRAMS": (2, 6)},
    "char_wb 1-6, words 1-3": {"CHAR_NGRAMS": (1, 6), "WORD_NGRAMS": (1, 3)},
    "char_wb 2-5, C up to 64": {"TEXT_CS": (1.0, 4.0, 16.0, 64.0)},
    "char_wb 1-6, C up to 64": {"CHAR_NGRAMS": (1, 6), "TEXT_CS": (1.0, 4.0, 16.0, 64.0)},
}


#: Out-of-domain guards scored beside the head's own decision: "none" is ``predict``; "top" is what the tagger
#: does (``decide`` with embeddings: a forced top aspect is dropped when the text is farther from that
#: aspect's training texts than nearly all of them were); "any" drops it only when the text is that far from
#: every aspect's training texts (about none of the business's aspects, rather than far from one of them).
GUARDS = ("none", "top", "any")


def guard(head: AspectHead, texts: list[str], vectors: np.ndarray, mode: str) -> list[list[str]]:
    z = head.logits(texts, vectors)
    if mode == "top":
        return [[head.labels[i] for i in row] for row in head.decide(z, vectors)]
    rows = head.decide(z)
    if mode == "any":
        margins = head.margins(z)
        near = (vectors @ head.centroids.T >= head.floors).any(axis=1)
        rows = [[] if not near[r] and not (margins[r] > 0).any() else row for r, row in enumerate(rows)]
    return [[head.labels[i] for i in row] for row in rows]


SHIPPED_SPLIT = aspect_training.SPLIT_TEXT


def configure(settings: dict[str, Any]) -> None:
    defaults = {
        "CHAR_NGRAMS": (2, 5),
        "WORD_NGRAMS": (1, 2),
        "TEXT_CS": (1.0, 4.0, 16.0),
        "EMBEDDING_CS": (0.5, 2.0, 8.0),
        "SPLIT_TEXT": SHIPPED_SPLIT,
    }
    for key, value in {**defaults, **settings}.items():
        module = aspect_head if key in ("CHAR_NGRAMS", "WORD_NGRAMS") else aspect_training
        setattr(module, key, value)


def main(names: list[str], seed: int = 1) -> None:
    with DATA.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    train, _ = train_test_split(rows, test_size=0.2, random_state=0)  # the 20 % is never used here
    texts = [r["text"] for r in train]
    labels = [sorted({c["category"] for c in r["aspect_categories"]}) for r in train]
    encoder = CachedEncoder()
    vectors = encoder.encode(texts)
    off_topic = encoder.encode(OFF_TOPIC)
    folds = list(KFold(5, shuffle=True, random_state=seed).split(texts))
    for name in names or list(CONFIGS):
        configure(CONFIGS[name])
        started = time.perf_counter()
        truth: list[list[str]] = []
        predicted: list[list[str]] = []
        guarded: dict[str, list[list[str]]] = {mode: [] for mode in GUARDS}
        quiet: dict[str, int] = dict.fromkeys(GUARDS, 0)
        per_fold = []
        for fit, held in folds:
            head = aspect_training.train_head([texts[i] for i in fit], [labels[i] for i in fit], embedder=encoder)
            held_texts = [texts[i] for i in held]
            guess = head.predict(held_texts, vectors[held])
            gold = [labels[i] for i in held]
            per_fold.append(micro_f1(gold, guess))
            truth += gold
            predicted += guess
            for mode in GUARDS:
                guarded[mode] += guard(head, held_texts, vectors[held], mode)
                quiet[mode] += sum(not row for row in guard(head, OFF_TOPIC, off_topic, mode))
        print(
            f"{name:28s} CV micro-F1 {micro_f1(truth, predicted):.4f} "
            f"(folds {', '.join(f'{s:.3f}' for s in per_fold)}; std {np.std(per_fold):.3f}) "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        for mode in GUARDS:  # the tagger's out-of-domain guard (and variants): in-domain cost, off-topic kept quiet
            print(
                f"    guard {mode:10s} CV micro-F1 {micro_f1(truth, guarded[mode]):.4f}; off-topic sentences left "
                f"untagged {quiet[mode]}/{len(OFF_TOPIC) * len(folds)}",
                flush=True,
            )


if __name__ == "__main__":
    seeds = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--seed=")]
    main([a for a in sys.argv[1:] if not a.startswith("--seed=")], *seeds[-1:])
