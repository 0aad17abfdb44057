"""The learned half of the tone check: logistic regression on MiniLM sentence embeddings.

It catches hostile sentences the phrase rules have no pattern for ("Your behaviour at the desk was
disgraceful"). It is trained on replies written for voxpop (``tone_data/*.txt``, Apache-2.0: hostile
ones labelled by category, polite ones including the hard cases) plus the default template library —
no third-party data. Fitting takes a second, so the model is fitted on first use in each process and
kept. ``C`` and the threshold were chosen by 5-fold cross-validation on that data: the lowest threshold
whose out-of-fold false-alarm rate on the polite replies stays at or under 1 % (see BENCHMARKS.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np

from voxpop.act.replies.sandbox import render_template
from voxpop.act.replies.templates import library_files, read_library

C = 3.0
THRESHOLD = 0.7
SAMPLE_VALUES = {"first_name": "Maria", "business": "Acme", "agent_name": "Sam Lee", "agent_first_name": "Sam"}
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")

Encode = Callable[[Sequence[str]], np.ndarray]


def data_path(name: str) -> Path:
    return Path(str(files("voxpop.act.replies") / "tone_data" / name))


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]


def training_data() -> tuple[list[str], list[int]]:
    """(texts, labels): 1 for hostile, 0 for polite."""
    hostile = [line.split("\t", 1)[1] for line in _lines(data_path("hostile.txt"))]
    polite = _lines(data_path("polite.txt"))
    polite += [render_template(e.body, SAMPLE_VALUES) for path in library_files() for e in read_library(path)]
    return hostile + polite, [1] * len(hostile) + [0] * len(polite)


class ToneModel:
    """Scores sentences: the probability that each reads as hostile."""

    def __init__(self, encode: Encode, weights: np.ndarray, bias: float, threshold: float = THRESHOLD) -> None:
        self._encode = encode
        self.weights = weights
        self.bias = bias
        self.threshold = threshold

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        logits = self._encode(texts) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def hostile_span(self, text: str) -> tuple[int, int, float] | None:
        """When the whole reply scores as hostile: (start, end, score) of its most hostile sentence, to
        highlight. The model was trained on whole replies, so it judges whole replies: a terse sentence
        on its own ("We've replaced it.") would look harsher than it reads in context."""
        score = float(self.scores([text])[0])
        if score < self.threshold:
            return None
        spans = []
        for match in _SENTENCE.finditer(text):
            start, end = match.span()
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append((start, end))
        if len(spans) <= 1:
            return (spans[0][0], spans[0][1], score) if spans else None
        worst = int(np.argmax(self.scores([text[s:e] for s, e in spans])))
        return spans[worst][0], spans[worst][1], score


def fit_tone_model(encode: Encode) -> ToneModel:
    from sklearn.linear_model import LogisticRegression

    texts, labels = training_data()
    classifier = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    classifier.fit(encode(texts), np.asarray(labels))
    return ToneModel(encode, classifier.coef_[0].astype(np.float32), float(classifier.intercept_[0]))


_lock = threading.Lock()
_model: ToneModel | None = None


def get_tone_model(encode: Encode) -> ToneModel:
    """The process-wide model, fitted on first use (about a second on 2 cores)."""
    global _model
    with _lock:
        if _model is None:
            _model = fit_tone_model(encode)
        return _model
