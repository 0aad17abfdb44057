"""Choosing the aspect head's features by cross-validation inside the 80 % train part only.

``bench_aspect_category.py`` scores the 20 % once; this script never touches it. It splits the same 80 %
(``random_state=0``) into 5 folds by sentence, fits ``train_head`` on 4 with each candidate configuration
(n-gram ranges, regularisation grid) and pools the micro-F1 over the held-out folds.

Run: ``.venv/bin/python benchmarks/cv_aspect_category.py [name ...]`` (embeddings cached in ``benchmarks/.cache``).
``shipped`` is whatever ``train_head`` does now: on 2026-12-06 0.8395 before and 0.8425 after the fold-averaged
models, jointly tuned thresholds and second-level stack (BENCHMARKS.md, "Aspect category"). The score is the
head's own decision (``predict``), without the tagger's out-of-domain guard.
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

#: name -> module constants to set before training (the rest keep their shipped values).
CONFIGS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "char_wb 1-6": {"CHAR_NGRAMS": (1, 6)},
    "char_wb 2-6": {"CHAR_NGRAMS": (2, 6)},
    "char_wb 1-6, words 1-3": {"CHAR_NGRAMS": (1, 6), "WORD_NGRAMS": (1, 3)},
    "char_wb 2-5, C up to 64": {"TEXT_CS": (1.0, 4.0, 16.0, 64.0)},
    "char_wb 1-6, C up to 64": {"CHAR_NGRAMS": (1, 6), "TEXT_CS": (1.0, 4.0, 16.0, 64.0)},
}


def configure(settings: dict[str, Any]) -> None:
    defaults = {
        "CHAR_NGRAMS": (2, 5),
        "WORD_NGRAMS": (1, 2),
        "TEXT_CS": (1.0, 4.0, 16.0),
        "EMBEDDING_CS": (0.5, 2.0, 8.0),
    }
    for key, value in {**defaults, **settings}.items():
        module = aspect_head if key in ("CHAR_NGRAMS", "WORD_NGRAMS") else aspect_training
        setattr(module, key, value)


def main(names: list[str]) -> None:
    with DATA.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    train, _ = train_test_split(rows, test_size=0.2, random_state=0)  # the 20 % is never used here
    texts = [r["text"] for r in train]
    labels = [sorted({c["category"] for c in r["aspect_categories"]}) for r in train]
    encoder = CachedEncoder()
    vectors = encoder.encode(texts)
    folds = list(KFold(5, shuffle=True, random_state=1).split(texts))
    for name in names or list(CONFIGS):
        configure(CONFIGS[name])
        started = time.perf_counter()
        truth: list[list[str]] = []
        predicted: list[list[str]] = []
        per_fold = []
        for fit, held in folds:
            head = aspect_training.train_head([texts[i] for i in fit], [labels[i] for i in fit], embedder=encoder)
            guess = head.predict([texts[i] for i in held], vectors[held])
            gold = [labels[i] for i in held]
            per_fold.append(micro_f1(gold, guess))
            truth += gold
            predicted += guess
        print(
            f"{name:28s} CV micro-F1 {micro_f1(truth, predicted):.4f} "
            f"(folds {', '.join(f'{s:.3f}' for s in per_fold)}; std {np.std(per_fold):.3f}) "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
