"""Fitting a :class:`~voxpop.analyze.sentiment.SentimentModel`: :func:`train` on labelled texts and their
vectors (``scripts/train_sentiment.py`` builds the shipped model with it), and :func:`fit_from_csv`, which
adapts the model to a business's own labelled rows (``voxpop model fit sentiment``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from voxpop.analyze import lexicon
from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.sentiment import (
    CLASSES,
    LAST,
    LAYERED,
    LOG_FLOOR,
    TEXT_VECTORIZERS,
    SentimentModel,
    TextHead,
    _columns,
    fitted_path,
    text_of,
)
from voxpop.analyze.tfidf import Tfidf
from voxpop.errors import IngestError, ValidationError
from voxpop.settings import Settings

#: Rows a business needs, per class, before an adapted model is worth having.
MIN_ROWS_PER_CLASS = 5
#: Regularisation of an adapted model's TF-IDF head, chosen on a validation part of the adapted
#: benchmark's training split (never on its test split).
TEXT_C = 2.0
#: Candidate strengths of an adapted model's final layer: :func:`train` keeps the one that
#: cross-validation on the business's own rows scores best, since the right one depends on how many
#: rows there are and how noisy their labels are.
ADAPTED_CS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
#: Candidate strengths of an adapted model's dense head (over [embedding, lexicon]); the one whose
#: out-of-fold log-probabilities have the smallest log-loss is kept (they are the ones the final layer
#: learns from, so the choice costs no extra fits).
DENSE_CS = (0.01, 0.03, 0.1, 0.3)
#: Folds for the out-of-fold TF-IDF probabilities the final layer learns from.
FOLDS = 5
#: Folds for choosing the final layer's strength.
CV_FOLDS = 3

#: The text heads of an adapted model, each named by the vectorizers it reads. The three views make
#: different mistakes and the final layer weighs them: 3-fold CV inside the adapted benchmark's training
#: 80 % gave 0.8293 -> 0.8346 accuracy against the one joint head (session 7, BENCHMARKS.md).
ADAPTED_HEADS: tuple[tuple[str, ...], ...] = (("word", "char"), ("word",), ("char",))


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    text_features: bool | Sequence[str] = False,
    text_heads: Sequence[Sequence[str]] | None = None,
    text_c: float = TEXT_C,
    dense_head: Sequence[float] = (),
    c: float | Sequence[float] = 1.0,
    prior: SentimentModel | None = None,
    origin: str = "",
    representation: str = LAST,
) -> SentimentModel:
    """Fit a model on labelled texts (labels in :data:`CLASSES`) and their embeddings (their layered
    vectors for ``representation=LAYERED``).

    With ``text_features`` (``True`` for every vectorizer of :data:`TEXT_VECTORIZERS`, or the names of
    some) TF-IDF heads of strength ``text_c``, weighted as the rows are, are fitted first — one over all
    those vectorizers, or one per group of vectorizer names in ``text_heads`` —; the final layer learns
    from their out-of-fold log-probabilities, so it weighs each head as it does on texts the head has not
    seen. Given strengths ``dense_head``, [embedding, lexicon] likewise get a head of their own (the
    strength with the best out-of-fold log-loss) whose log-probabilities replace the raw
    embedding in the final layer's input. Given several
    strengths ``c``, the final layer takes the one with the best cross-validated accuracy. A ``prior``
    (the shipped model) lends its log-probabilities as features, so what it learned from the seed set
    and the lexicon corpora is not lost when a business has few rows.
    """
    y = np.asarray(labels)
    model = SentimentModel(
        mean=np.zeros(0),
        scale=np.ones(0),
        coef=np.zeros(0),
        intercept=np.zeros(0),
        origin=origin,
        representation=representation,
    )
    dense = model.dense_features(texts, embeddings)
    if dense_head:
        if prior is not None:
            raise ValueError("a dense head and a prior do not go together")
        model.dense_head, out_of_fold = _dense_head(dense, y, weights, dense_head)
        dense = np.hstack([dense[:, -len(lexicon.FEATURE_NAMES) :], np.maximum(out_of_fold, LOG_FLOOR)])
    if prior is not None:
        if prior.vectorizers or prior.prior is not None:
            raise ValueError("a prior must be a plain linear model (the shipped one)")
        model.prior = SentimentModel(mean=prior.mean, scale=prior.scale, coef=prior.coef, intercept=prior.intercept)
        dense = np.hstack([dense, np.maximum(model.prior.linear_log_probabilities(dense), LOG_FLOOR)])
    if text_features:
        plain = [text_of(t) for t in texts]
        names = list(TEXT_VECTORIZERS) if text_features is True else list(text_features)
        groups = [tuple(names)] if text_heads is None else [tuple(group) for group in text_heads]
        unknown = {name for group in groups for name in group} - set(names)
        if unknown or not all(groups):
            raise ValueError(f"text heads must name some of the vectorizers {names}, not {sorted(unknown)}")
        model.vectorizers = {name: Tfidf.fitted(TfidfVectorizer(**TEXT_VECTORIZERS[name]).fit(plain)) for name in names}
        matrices = model.text_matrices(texts)
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
        fit_params = {} if weights is None else {"sample_weight": weights}
        for group in groups:
            matrix = _columns(matrices, group)
            head = LogisticRegression(C=text_c, max_iter=5000)
            out_of_fold = cross_val_predict(head, matrix, y, cv=folds, method="predict_log_proba", params=fit_params)
            head.fit(matrix, y, **fit_params)
            if tuple(head.classes_) != CLASSES:
                raise ValidationError(f"training labels must cover {', '.join(CLASSES)}")
            model.text_heads.append(TextHead(group, head.coef_, head.intercept_))
            dense = np.hstack([dense, np.maximum(out_of_fold, LOG_FLOOR)])
    model.mean, model.scale = _standardisation(dense)
    standard = (dense - model.mean) / model.scale
    strength = c if isinstance(c, float | int) else _best_strength(standard, y, weights, c)
    classifier = LogisticRegression(C=strength, max_iter=5000)
    classifier.fit(standard, y, sample_weight=weights)
    model.classes = tuple(str(label) for label in classifier.classes_)
    model.coef = classifier.coef_.astype(np.float32)
    model.intercept = classifier.intercept_.astype(np.float32)
    return model


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (a constant column keeps scale 1)."""
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return x.mean(axis=0), scale


def _dense_head(
    dense: np.ndarray, y: np.ndarray, weights: np.ndarray | None, strengths: Sequence[float]
) -> tuple[SentimentModel, np.ndarray]:
    """A linear layer over ``dense`` ([embedding, lexicon]) and its out-of-fold log-probabilities, at the
    strength whose out-of-fold log-probabilities have the smallest (weighted) log-loss. (Not accuracy:
    a strength so small that every probability is near a third can still rank the classes right, and
    would tie with the useful ones.)"""
    mean, scale = _standardisation(dense)
    standard = (dense - mean) / scale
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    fit_params = {} if weights is None else {"sample_weight": weights}
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    truth = np.searchsorted(np.asarray(CLASSES), y)
    best: tuple[float, float, np.ndarray] | None = None
    for strength in strengths:
        classifier = LogisticRegression(C=strength, max_iter=5000)
        out_of_fold = cross_val_predict(
            classifier, standard, y, cv=folds, method="predict_log_proba", params=fit_params
        )
        loss = -float(w @ out_of_fold[np.arange(len(y)), truth])
        if best is None or loss < best[0]:
            best = (loss, strength, out_of_fold)
    if best is None:
        raise ValueError("a dense head needs at least one strength")
    classifier = LogisticRegression(C=best[1], max_iter=5000).fit(standard, y, **fit_params)
    if tuple(classifier.classes_) != CLASSES:
        raise ValidationError(f"training labels must cover {', '.join(CLASSES)}")
    head = SentimentModel(mean=mean, scale=scale, coef=classifier.coef_, intercept=classifier.intercept_)
    return head, best[2]


def _best_strength(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, strengths: Sequence[float]) -> float:
    """The strength whose logistic regression has the best (weighted) accuracy over CV_FOLDS folds."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    scores = []
    for strength in strengths:
        hits = 0.0
        for fit, held in folds.split(x, y):
            classifier = LogisticRegression(C=strength, max_iter=5000).fit(x[fit], y[fit], sample_weight=w[fit])
            hits += float(w[held] @ (classifier.predict(x[held]) == y[held]))
        scores.append(hits)
    return float(strengths[int(np.argmax(scores))])


def read_labelled_rows(path: Path, *, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV; every label must be one of :data:`CLASSES` (case-insensitive)."""
    from voxpop.analyze.taxonomy import read_labelled_csv

    texts, cells = read_labelled_csv(path, text_column=text_column, label_column=label_column, separator="\0")
    labels = []
    for row, cell in enumerate(cells, start=1):
        label = cell[0].lower() if len(cell) == 1 else ""
        if label not in CLASSES:
            raise IngestError(
                str(path),
                f"label {';'.join(cell)!r} is not one of {', '.join(CLASSES)}",
                row=row,
                field=label_column,
            )
        labels.append(label)
    counts = Counter(labels)
    short = [c for c in CLASSES if counts[c] < MIN_ROWS_PER_CLASS]
    if short:
        raise IngestError(
            str(path), f"needs at least {MIN_ROWS_PER_CLASS} rows of each label; too few: {', '.join(short)}"
        )
    return texts, labels


def fit_from_csv(settings: Settings, path: Path, *, text_column: str, label_column: str) -> str:
    """Adapt the sentiment model to a business's labelled rows and save it for :meth:`SentimentModel.load`."""
    texts, labels = read_labelled_rows(path, text_column=text_column, label_column=label_column)
    layered = get_embedder(settings).encode_layered(texts)
    model = train(
        texts,
        labels,
        layered,
        representation=LAYERED,
        text_features=True,
        text_heads=ADAPTED_HEADS,
        dense_head=DENSE_CS,
        c=ADAPTED_CS,
        origin=f"fitted on {len(texts)} rows of {Path(path).name}",
    )
    saved = model.save(fitted_path(settings))
    counts = Counter(labels)
    split = ", ".join(f"{counts[c]} {c}" for c in CLASSES)
    return f"Sentiment model fitted on {len(texts)} rows ({split}) and saved to {saved}."
