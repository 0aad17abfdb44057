"""The linguistic fake-review model: TF-IDF word and character n-grams with a linear SVM.

This is the classic strong approach of Ott et al. (2011): deceptive reviews written to order differ from
truthful ones in small, countable ways (more superlatives and first-person "I", fewer concrete nouns of
place and price), which word 1–2-grams and character 2–5-grams capture. The SVM's margin is turned into
a probability by Platt scaling, fitted on cross-validated margins so it is honest.

The model is saved as one ``.npz`` of plain arrays — the n-gram vocabularies, their IDF weights, the
coefficients — never as a pickle, so loading a model file cannot run code.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voxpop.analyze.tfidf import Tfidf
from voxpop.errors import IngestError, ValidationError

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from voxpop.settings import Settings

MODEL_FILE = "authenticity.npz"
FORMAT_VERSION = 1
POSITIVE_LABELS = frozenset({"deceptive", "fake", "spam", "paid", "1", "true", "yes"})
NEGATIVE_LABELS = frozenset({"truthful", "genuine", "real", "authentic", "legit", "0", "false", "no"})
#: The two feature families: (analyzer, n-gram range). Case is kept: capitals and "!!!" are evidence.
FEATURES = (("word", (1, 2)), ("char", (2, 5)))
SVM_C = 1.0


def model_path(settings: Settings) -> Path:
    return settings.models_path / MODEL_FILE


def parse_label(value: str) -> int | None:
    """1 for deceptive/fake, 0 for truthful/genuine, ``None`` when the label is neither."""
    key = value.strip().lower()
    if key in POSITIVE_LABELS:
        return 1
    if key in NEGATIVE_LABELS:
        return 0
    return None


class DeceptionModel:
    """P(deceptive) for texts; ``fit`` on labelled texts, ``save``/``load`` as plain arrays."""

    def __init__(self, blocks: list[Tfidf], coef: np.ndarray, intercept: float, platt: tuple[float, float]) -> None:
        self.blocks = blocks
        self.coef = coef
        self.intercept = intercept
        self.platt = platt

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], *, calibrate: bool = True) -> DeceptionModel:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        y = np.asarray(labels, dtype=np.int64)
        if len(set(y.tolist())) != 2:
            raise ValidationError("the labelled data needs both deceptive and truthful examples")
        blocks, matrices = [], []
        min_df = 2 if len(texts) >= 50 else 1
        for analyzer, ngram_range in FEATURES:
            vectorizer = TfidfVectorizer(
                analyzer=analyzer, ngram_range=ngram_range, lowercase=False, sublinear_tf=True, min_df=min_df
            )
            matrices.append(vectorizer.fit_transform(texts))
            blocks.append(Tfidf.fitted(vectorizer))
        features = hstack(matrices).tocsr()
        svm = LinearSVC(C=SVM_C).fit(features, y)
        platt = (1.0, 0.0)
        if calibrate and min(np.bincount(y)) >= 5:
            platt = _platt(features, y)
        return cls(blocks, svm.coef_.ravel().astype(np.float64), float(svm.intercept_[0]), platt)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        from scipy.sparse import hstack

        features = hstack([block.transform(texts) for block in self.blocks]).tocsr()
        return np.asarray(features @ self.coef).ravel() + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * self.decision(texts) + b)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return (self.decision(texts) > 0).astype(np.int64)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "meta": np.array(
                json.dumps(
                    {
                        "version": FORMAT_VERSION,
                        "blocks": [[b.analyzer, list(b.ngram_range)] for b in self.blocks],
                        "intercept": self.intercept,
                        "platt": list(self.platt),
                    }
                )
            ),
            "coef": self.coef,
        }
        for i, block in enumerate(self.blocks):
            arrays[f"terms{i}"] = np.array(block.terms, dtype=str)
            arrays[f"idf{i}"] = block.idf
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> DeceptionModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != FORMAT_VERSION:
                raise ValidationError(f"{path}: unsupported authenticity model version {meta.get('version')}")
            blocks = [
                Tfidf.from_terms(
                    data[f"terms{i}"].tolist(),
                    data[f"idf{i}"],
                    analyzer=analyzer,
                    ngram_range=(int(lo), int(hi)),
                    lowercase=False,
                    sublinear_tf=True,
                )
                for i, (analyzer, (lo, hi)) in enumerate(meta["blocks"])
            ]
            return cls(
                blocks, data["coef"], float(meta["intercept"]), (float(meta["platt"][0]), float(meta["platt"][1]))
            )


def _platt(features: csr_matrix, y: np.ndarray) -> tuple[float, float]:
    """Fit p = σ(a·margin + b) on 5-fold cross-validated SVM margins."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC

    folds = StratifiedKFold(n_splits=min(5, int(min(np.bincount(y)))), shuffle=True, random_state=0)
    margins = cross_val_predict(LinearSVC(C=SVM_C), features, y, cv=folds, method="decision_function")
    scaler = LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), y)
    return float(scaler.coef_[0, 0]), float(scaler.intercept_[0])


def read_labelled(path: Path, *, text_column: str, label_column: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels from a CSV; errors name the file, row and field."""
    name = str(path)
    texts: list[str] = []
    labels: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for column in (text_column, label_column):
                if column not in columns:
                    raise IngestError(
                        name, f"no column {column!r} (columns: {', '.join(columns) or 'none'})", field=column
                    )
            for row_number, row in enumerate(reader, start=2):
                label = parse_label(row.get(label_column) or "")
                if label is None:
                    raise IngestError(
                        name,
                        f"label {row.get(label_column)!r} is neither deceptive/fake nor truthful/genuine",
                        row=row_number,
                        field=label_column,
                    )
                text = (row.get(text_column) or "").strip()
                if not text:
                    raise IngestError(name, "empty text", row=row_number, field=text_column)
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise IngestError(name, f"not UTF-8 text ({exc.reason})") from exc
    if not texts:
        raise IngestError(name, "no rows")
    return texts, labels


def fit_from_csv(settings: Settings, path: Path, *, text_column: str, label_column: str) -> str:
    """``voxpop model fit authenticity``: fit on a labelled CSV, save, and report in one paragraph."""
    texts, labels = read_labelled(Path(path), text_column=text_column, label_column=label_column)
    model = DeceptionModel.fit(texts, labels)
    target = model.save(model_path(settings))
    deceptive = sum(labels)
    return (
        f"Authenticity model fitted on {len(texts)} rows ({deceptive} deceptive, {len(texts) - deceptive} truthful) "
        f"from {path}; word 1–2-grams and character 2–5-grams, linear SVM. Saved to {target}; "
        "voxpop now adds a 'linguistic' signal to every item's authenticity evidence."
    )
