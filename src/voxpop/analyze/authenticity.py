"""Suspected fake or paid reviews — shown with the evidence, never silently hidden.

The risk (0–1) is a noisy-OR of independent signals, each of which leaves a line of evidence:

* ``near_duplicate`` — (almost) the same text posted under another author: candidates by embedding
  cosine, confirmed by rapidfuzz's token-sort ratio, looked for in the batch and in a bounded window of
  recent items (see ``signals.py``);
* ``burst`` — many ratings for one place or source within a day, well above its usual pace;
* ``author_pattern`` — one author posting many reviews in a short time, all of them extreme;
* ``linguistic`` — a text classifier of deceptive vs truthful writing. voxpop cannot ship one: the public
  corpus (Ott et al.) is non-commercial. Out of the box this signal is absent; it appears once a business
  runs ``voxpop model fit authenticity LABELED.csv`` on its own labelled data (see ``deception.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from voxpop.analyze.deception import DeceptionModel, fit_from_csv, model_path
from voxpop.analyze.registry import AnalysisContext, Batch, register
from voxpop.analyze.signals import RecentWindow, author_patterns, bursts, near_duplicates

__all__ = ["SUSPECTED", "WEIGHTS", "AuthenticityEnricher", "combine", "fit_from_csv"]

#: How much each signal alone raises the risk (noisy-OR weights).
WEIGHTS = {
    "near_duplicate": 0.6,
    "near_duplicate_same_author": 0.3,
    "burst": 0.3,
    "burst_extreme": 0.45,
    "author_pattern": 0.45,
    "linguistic": 0.85,
}


#: The risk from which an item is shown as a suspected fake: a near-duplicate under another author alone, two
#: weaker signals together, or a model fairly sure of a deceptive wording.
SUSPECTED = 0.5


def combine(strengths: list[tuple[str, float]]) -> float:
    """Noisy-OR of (signal, strength 0–1) pairs: ``1 − Π(1 − w·s)``."""
    keep = 1.0
    for signal, strength in strengths:
        keep *= 1.0 - WEIGHTS[signal] * min(max(strength, 0.0), 1.0)
    return round(1.0 - keep, 4)


@register
class AuthenticityEnricher:
    """Sets ``authenticity_risk`` (0–1) and the evidence list under ``evidence["authenticity"]``."""

    name = "authenticity"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = True

    def __init__(self, context: AnalysisContext) -> None:
        path: Path = model_path(context.settings)
        self.model: DeceptionModel | None = DeceptionModel.load(path) if path.is_file() else None
        self.window = RecentWindow()

    def enrich(self, batch: Batch) -> None:
        found: list[list[dict[str, Any]]] = [[] for _ in range(len(batch))]
        strengths: list[list[tuple[str, float]]] = [[] for _ in range(len(batch))]
        for index, signal, strength, evidence in (
            *near_duplicates(batch, self.window),
            *bursts(batch, self.window),
            *author_patterns(batch, self.window),
        ):
            found[index].append(evidence)
            strengths[index].append((signal, strength))
        if self.model is not None:
            texts = batch.texts
            nonblank = np.array([bool(t.strip()) for t in texts])
            probabilities = np.zeros(len(batch))
            if nonblank.any():
                probabilities[nonblank] = self.model.predict_proba([t for t in texts if t.strip()])
            for index in np.flatnonzero(nonblank).tolist():
                p = float(probabilities[index])
                found[index].append({"signal": "linguistic", "probability": round(p, 3)})
                # Only a lean towards "deceptive" raises the risk; 0.5 is "cannot tell".
                strengths[index].append(("linguistic", max(0.0, 2.0 * p - 1.0)))
        self.window.add(batch)
        for i in range(len(batch)):
            batch.results[i]["authenticity_risk"] = combine(strengths[i])
            batch.evidence[i]["authenticity"] = found[i]
