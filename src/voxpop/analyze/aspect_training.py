"""Training an :class:`~voxpop.analyze.aspect_head.AspectHead` from labelled texts.

Both models (TF-IDF and embedding logistic regressions) are fitted out-of-fold for a few regularisation
strengths; cross-validation then picks the strength, the blend of the two and the decision points: per
aspect thresholds maximising each aspect's F1 (several labels per text), or one blend maximising macro-F1
of the top aspect (exactly one label per text, so rare reasons are not drowned by common ones).

Several labels per text: the shipped models are the *average of the fold models* that produced the
out-of-fold log-odds, not a refit on all rows, so the thresholds chosen on those log-odds fit the
shipped models' scale (a refit on more rows is more confident than the fold models were). The
thresholds are then tuned together for micro-F1 under the rule the head applies ("no aspect passes →
the top one" when every training row had a label). Finally a second level (see
:func:`voxpop.analyze.aspect_head.stack_logits`) is fitted on the out-of-fold log-odds and replaces
the blend; with ``SPLIT_TEXT`` its inputs also include a word-only and a character-only TF-IDF model,
trained the same way. Measured by 5-fold CV inside the SemEval-2014 restaurants 80 %
(``benchmarks/cv_aspect_category.py``): see BENCHMARKS.md, "Aspect category".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from voxpop.analyze import aspect_head
from voxpop.analyze.aspect_head import AspectHead, log_softmax, logit
from voxpop.analyze.clauses import Encoder
from voxpop.errors import ValidationError

FOLDS = 3
# Inverse regularisation strengths tried for each model; cross-validation picks one (per aspect when
# several labels per text are allowed, since each aspect is then its own binary model).
TEXT_CS = (1.0, 4.0, 16.0)
EMBEDDING_CS = (0.5, 2.0, 8.0)
BLEND_GRID = np.round(np.linspace(0.0, 1.0, 11), 2)
THRESHOLD_GRID = np.linspace(0.05, 0.95, 37)
GUARD_QUANTILE = 0.02
JOINT_ROUNDS = 3
STACK_C = 1.0  # the second level has only 2 × labels inputs (4 × with the split models), all log-odds
#: Multi-label: fit a word-only and a character-only TF-IDF model beside the joint one, as more inputs of
#: the second level (chosen by 5-fold CV inside the SemEval-2014 restaurants 80 %; BENCHMARKS.md).
SPLIT_TEXT = True


def _fit_linear(
    x: Any, y: np.ndarray, exclusive: bool, n_labels: int, c: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(labels, features)`` and intercepts; a label absent from ``y`` gets a very low score.

    ``c`` is one strength (exclusive: one multinomial model) or one per aspect (one binary model each).
    """
    strengths = np.broadcast_to(np.asarray(c, dtype=float), (n_labels,))
    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -12.0, dtype=np.float32)
    if exclusive:
        classes = np.unique(y)
        if len(classes) == 1:
            intercept[classes[0]] = 0.0
            return coef, intercept
        model = LogisticRegression(C=float(strengths[0]), max_iter=3000, class_weight="balanced").fit(x, y)
        if len(classes) == 2:  # sklearn keeps one row for two classes: split it into a symmetric pair
            coef[classes] = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
            intercept[classes] = [-model.intercept_[0] / 2, model.intercept_[0] / 2]
        else:
            coef[classes] = model.coef_
            intercept[classes] = model.intercept_
        return coef, intercept
    for k in range(n_labels):
        target = y[:, k]
        positives = int(target.sum())
        if positives == 0 or positives == len(target):
            rate = (positives + 0.5) / (len(target) + 1.0)
            intercept[k] = float(np.log(rate / (1 - rate)))
            continue
        model = LogisticRegression(
            C=float(strengths[k]), max_iter=3000, class_weight="balanced", solver="liblinear"
        ).fit(x, target)
        coef[k] = model.coef_[0]
        intercept[k] = model.intercept_[0]
    return coef, intercept


def _out_of_fold_averaged(
    x: Any, y: np.ndarray, n_labels: int, c: float, folds: list[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-label: out-of-fold log-odds, and the mean of the fold models' coefficients and intercepts."""
    z = np.zeros((x.shape[0], n_labels))
    coef_sum = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    intercept_sum = np.zeros(n_labels, dtype=np.float32)
    for train, test in folds:
        coef, intercept = _fit_linear(x[train], y[train], False, n_labels, c)
        z[test] = np.asarray(x[test] @ coef.T) + intercept
        coef_sum += coef
        intercept_sum += intercept
    return z, coef_sum / len(folds), intercept_sum / len(folds)


def _out_of_fold(x: Any, y: np.ndarray, exclusive: bool, n_labels: int, c: float, folds: list[Any]) -> np.ndarray:
    """Log-odds (multi-label) or log-probabilities (exclusive) of every row from a model that never saw it."""
    z = np.zeros((x.shape[0], n_labels))
    for train, test in folds:
        coef, intercept = _fit_linear(x[train], y[train], exclusive, n_labels, c)
        z[test] = np.asarray(x[test] @ coef.T) + intercept
    return log_softmax(z) if exclusive else z


def _macro_f1(y: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    scores = []
    for k in range(n_labels):
        tp = np.sum((pred == k) & (y == k))
        fp = np.sum((pred == k) & (y != k))
        fn = np.sum((pred != k) & (y == k))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = np.sum(pred & y)
    denominator = pred.sum() + y.sum()
    return float(2 * tp / denominator) if denominator else 1.0


def _best_threshold(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The log-odds threshold maximising one aspect's F1, and that F1."""
    candidates = logit(THRESHOLD_GRID)
    f1s = [_micro_f1(y, z > t) for t in candidates]
    best = int(np.argmax(f1s))
    return float(candidates[best]), float(f1s[best])


def _select_exclusive(
    x: Any, e: np.ndarray, y: np.ndarray, n_labels: int, folds: list[Any]
) -> tuple[float, float, float]:
    """``(text C, embedding C, blend)`` maximising out-of-fold macro-F1 of the top aspect.

    Per-aspect offsets tuned the same way were tried and dropped: they raised the out-of-fold score but
    lowered held-out macro-F1 on the airline complaint reasons (0.646 → 0.614).
    """

    def pick(matrix: Any, strengths: Sequence[float]) -> tuple[float, np.ndarray]:
        runs = [(c, _out_of_fold(matrix, y, True, n_labels, c, folds)) for c in strengths]
        return max(runs, key=lambda run: _macro_f1(y, run[1].argmax(axis=1), n_labels))

    text_c, text_z = pick(x, TEXT_CS)
    embedding_c, embedding_z = pick(e, EMBEDDING_CS)
    blends = [(w, _macro_f1(y, (w * text_z + (1 - w) * embedding_z).argmax(axis=1), n_labels)) for w in BLEND_GRID]
    return text_c, embedding_c, float(max(blends, key=lambda b: b[1])[0])


def _fit_stack(features: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per aspect, a logistic regression over all first-level log-odds (lbfgs, so the intercept is free)."""
    n_labels = y.shape[1]
    coef = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_labels, dtype=np.float32)
    for k in range(n_labels):
        positives = int(y[:, k].sum())
        if positives == 0 or positives == len(y):  # nothing to learn: the aspect's base rate
            rate = (positives + 0.5) / (len(y) + 1.0)
            intercept[k] = float(np.log(rate / (1 - rate)))
            continue
        model = LogisticRegression(C=STACK_C, max_iter=2000, class_weight="balanced").fit(features, y[:, k])
        coef[k], intercept[k] = model.coef_[0], model.intercept_[0]
    return coef, intercept


def _decide(z: np.ndarray, thresholds: np.ndarray, at_least_one: bool) -> np.ndarray:
    """The head's multi-label rule as a boolean matrix (see :meth:`AspectHead.decide`, without the guard)."""
    margins = z - thresholds
    chosen = margins > 0
    if at_least_one:
        empty = np.flatnonzero(~chosen.any(axis=1))
        chosen[empty, margins[empty].argmax(axis=1)] = True
    return chosen


def _joint_thresholds(z: np.ndarray, y: np.ndarray, start: np.ndarray, at_least_one: bool) -> np.ndarray:
    """Per-aspect thresholds refined together for micro-F1 of the whole rule (coordinate ascent).

    Each aspect's own best threshold ignores the "top aspect when none passes" rule and the other
    aspects' errors; a few rounds over the aspects, each trying every grid point, account for both.
    """
    thresholds = start.astype(float).copy()
    candidates = logit(THRESHOLD_GRID)
    best = _micro_f1(y, _decide(z, thresholds, at_least_one))
    for _ in range(JOINT_ROUNDS):
        improved = False
        for k in range(len(thresholds)):
            keep = thresholds[k]
            for candidate in candidates:
                thresholds[k] = candidate
                score = _micro_f1(y, _decide(z, thresholds, at_least_one))
                if score > best + 1e-9:
                    best, keep, improved = score, candidate, True
            thresholds[k] = keep
        if not improved:
            break
    return thresholds


def _pick_strengths(
    runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per aspect, the run (one per strength) whose out-of-fold log-odds reach the best F1: its log-odds,
    coefficients and intercepts."""
    z = np.zeros((len(y), y.shape[1]))
    coef = np.zeros_like(runs[0][1])
    intercept = np.zeros_like(runs[0][2])
    for k in range(y.shape[1]):
        best = max(range(len(runs)), key=lambda i: _best_threshold(runs[i][0][:, k], y[:, k])[1])
        z[:, k], coef[k], intercept[k] = runs[best][0][:, k], runs[best][1][k], runs[best][2][k]
    return z, coef, intercept


def _select_multilabel(
    x: Any, e: np.ndarray, y: np.ndarray, n_labels: int, folds: list[Any], at_least_one: bool, n_words: int
) -> dict[str, np.ndarray]:
    """Per aspect: strengths and blend from out-of-fold log-odds, the fold-averaged models, and the
    second level (``stack_coef``/``stack_intercept``) with its thresholds (``offsets``). With
    ``SPLIT_TEXT``, also a word-only model on the first ``n_words`` columns of ``x`` and a character-only
    model on the rest (``word_*``/``char_*``), whose log-odds feed the second level too."""
    text_runs = [_out_of_fold_averaged(x, y, n_labels, c, folds) for c in TEXT_CS]
    embedding_runs = [_out_of_fold_averaged(e, y, n_labels, c, folds) for c in EMBEDDING_CS]
    blend = np.ones(n_labels)
    text_z, embedding_z = np.zeros((len(y), n_labels)), np.zeros((len(y), n_labels))
    out = {
        "text_coef": np.zeros((n_labels, x.shape[1]), dtype=np.float32),
        "text_intercept": np.zeros(n_labels, dtype=np.float32),
        "embedding_coef": np.zeros((n_labels, e.shape[1]), dtype=np.float32),
        "embedding_intercept": np.zeros(n_labels, dtype=np.float32),
    }
    for k in range(n_labels):
        target = y[:, k]
        t = max(range(len(TEXT_CS)), key=lambda i: _best_threshold(text_runs[i][0][:, k], target)[1])
        m = max(range(len(EMBEDDING_CS)), key=lambda i: _best_threshold(embedding_runs[i][0][:, k], target)[1])
        text_z[:, k], embedding_z[:, k] = text_runs[t][0][:, k], embedding_runs[m][0][:, k]
        out["text_coef"][k], out["text_intercept"][k] = text_runs[t][1][k], text_runs[t][2][k]
        out["embedding_coef"][k], out["embedding_intercept"][k] = embedding_runs[m][1][k], embedding_runs[m][2][k]
        best = -1.0
        for w in BLEND_GRID:
            f1 = _best_threshold(w * text_z[:, k] + (1 - w) * embedding_z[:, k], target)[1]
            if f1 > best + 1e-9:
                best, blend[k] = f1, w
    out["blend"] = blend  # unused once stacked: a report of how much each model is worth per aspect

    first_level = [text_z]
    if SPLIT_TEXT and 0 < n_words < x.shape[1]:
        for part, block in (("word", x[:, :n_words]), ("char", x[:, n_words:])):
            z, out[f"{part}_coef"], out[f"{part}_intercept"] = _pick_strengths(
                [_out_of_fold_averaged(block, y, n_labels, c, folds) for c in TEXT_CS], y
            )
            first_level.append(z)

    # The second level. Its thresholds come from its own out-of-fold log-odds. It is always kept: a gate
    # comparing it with the blend on these rows favoured the blend (whose strengths, weights and
    # thresholds were all chosen on them), while on held-out folds the stack was the better of the two.
    features = np.hstack([*first_level, embedding_z])
    stacked_z = np.zeros_like(text_z)
    for train, test in KFold(len(folds), shuffle=True, random_state=2).split(features):
        coef, intercept = _fit_stack(features[train], y[train])
        stacked_z[test] = features[test] @ coef.T + intercept
    start = np.array([_best_threshold(stacked_z[:, k], y[:, k])[0] for k in range(n_labels)])
    out["offsets"] = _joint_thresholds(stacked_z, y, start, at_least_one)
    out["stack_coef"], out["stack_intercept"] = _fit_stack(features, y)
    return out


def _guard(embeddings: np.ndarray, y: np.ndarray, exclusive: bool, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per aspect: the unit mean of its training embeddings and the low quantile of cosines to it."""
    centroids = np.zeros((n_labels, embeddings.shape[1]), dtype=np.float32)
    floors = np.full(n_labels, -1.0, dtype=np.float32)
    for k in range(n_labels):
        members = embeddings[y == k] if exclusive else embeddings[y[:, k]]
        if len(members) == 0:
            continue
        mean = members.mean(axis=0)
        centroids[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        floors[k] = float(np.quantile(members @ centroids[k], GUARD_QUANTILE))
    return centroids, floors


def train_head(texts: list[str], labels: list[list[str]], *, embedder: Encoder | None = None) -> AspectHead:
    """Fit a head on ``texts`` and their aspect names (an empty list: the text is about none of them).

    ``embedder=None`` takes voxpop's default sentence embedder.
    """
    names = sorted({name for row in labels for name in row})
    if not texts:
        raise ValidationError("cannot learn aspects from no rows")
    if not names:
        raise ValidationError("cannot learn aspects: no row has a label")
    counts = {name: sum(name in row for row in labels) for name in names}
    exclusive = len(names) > 1 and all(len(row) == 1 for row in labels)
    at_least_one = all(row for row in labels)
    if not exclusive and at_least_one and len(names) == 1:
        raise ValidationError(f"every row has the single label {names[0]!r}: add rows of other aspects or none")
    index = {name: i for i, name in enumerate(names)}
    if exclusive:
        y: np.ndarray = np.array([index[row[0]] for row in labels])
    else:
        y = np.zeros((len(texts), len(names)), dtype=bool)
        for r, row in enumerate(labels):
            for name in row:
                y[r, index[name]] = True

    if embedder is None:
        from voxpop.analyze.embeddings import get_embedder

        embedder = get_embedder()
    embeddings = np.asarray(embedder.encode(texts), dtype=np.float32)
    min_df = 2 if len(texts) >= 200 else 1
    words, chars = (
        TfidfVectorizer(**options, min_df=min_df)
        for options in aspect_head.text_options(aspect_head.WORD_NGRAMS, aspect_head.CHAR_NGRAMS)
    )
    word_matrix = words.fit_transform(texts)
    x = sparse.hstack([word_matrix, chars.fit_transform(texts)]).tocsr()

    # Choose the strengths, the blend and the decision points on out-of-fold predictions.
    n_folds = min(FOLDS, min(counts.values())) if exclusive else FOLDS
    text_c: float | np.ndarray = TEXT_CS[1]
    embedding_c: float | np.ndarray = EMBEDDING_CS[1]
    blend, offsets = np.full(len(names), 0.5), np.zeros(len(names))
    chosen: dict[str, np.ndarray] = {}
    if n_folds >= 2 and len(texts) >= 4 * FOLDS:
        splitter = (StratifiedKFold if exclusive else KFold)(n_folds, shuffle=True, random_state=0)
        folds = list(splitter.split(x, y if exclusive else None))
        if exclusive:
            text_c, embedding_c, weight = _select_exclusive(x, embeddings, y, len(names), folds)
            blend[:] = weight
        else:
            chosen = _select_multilabel(x, embeddings, y, len(names), folds, at_least_one, word_matrix.shape[1])
            blend, offsets = chosen["blend"], chosen["offsets"]
    centroids, floors = _guard(embeddings, y, exclusive, len(names))
    if chosen:  # multi-label: the fold-averaged models the thresholds were chosen for
        text_coef, text_intercept = chosen["text_coef"], chosen["text_intercept"]
        emb_coef, emb_intercept = chosen["embedding_coef"], chosen["embedding_intercept"]
    else:
        text_coef, text_intercept = _fit_linear(x, y, exclusive, len(names), text_c)
        emb_coef, emb_intercept = _fit_linear(embeddings, y, exclusive, len(names), embedding_c)
    return AspectHead(
        labels=names,
        exclusive=exclusive,
        at_least_one=at_least_one,
        word_vocabulary=[str(t) for t in words.get_feature_names_out()],
        word_idf=words.idf_.astype(np.float32),
        char_vocabulary=[str(t) for t in chars.get_feature_names_out()],
        char_idf=chars.idf_.astype(np.float32),
        text_coef=text_coef,
        text_intercept=text_intercept,
        embedding_coef=emb_coef,
        embedding_intercept=emb_intercept,
        blend=blend.astype(np.float32),
        offsets=offsets.astype(np.float32),
        centroids=centroids,
        floors=floors,
        word_ngrams=aspect_head.WORD_NGRAMS,
        char_ngrams=aspect_head.CHAR_NGRAMS,
        stack_coef=chosen.get("stack_coef"),
        stack_intercept=chosen.get("stack_intercept"),
        word_coef=chosen.get("word_coef"),
        word_intercept=chosen.get("word_intercept"),
        char_coef=chosen.get("char_coef"),
        char_intercept=chosen.get("char_intercept"),
    )
