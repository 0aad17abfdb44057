"""Urgency and viral risk: which post could blow up, so it is at the top of the inbox.

Five factors, each 0–1 and computed for the whole batch at once:

* ``negativity`` — how negative the sentiment is (needs the sentiment enricher);
* ``escalation`` — threats that turn a complaint into a crisis: "lawyer", "sue", "chargeback", "BBB",
  "going to the news", "food poisoning", "unsafe"… (1 − ½ᵏ for *k* distinct phrases);
* ``low_rating`` — 0 at three stars of five and above, 1 at the lowest rating;
* ``reach`` — the audience: followers plus likes plus shares (shares weigh five), on a log scale that
  saturates at a million;
* ``velocity`` — engagement per hour since posting, on a log scale that saturates at 1,000/h.

They are combined as a *noisy-OR* — ``1 − Π(1 − wᵢ·gᵢ)`` over terms ``gᵢ`` that are the factors and the
products reach × negativity and velocity × negativity (a big audience matters mostly when the post is
negative). Every weight is positive and every term grows with its factors, so the score is monotone:
raising any one factor never lowers urgency. The factors are kept as evidence.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from voxpop.analyze.registry import AnalysisContext, Batch, register

ESCALATION_PHRASES = (
    "lawyer", "attorney", "sue", "suing", "lawsuit", "legal action", "small claims", "court",
    "never again", "never coming back", "never fly", "never flying", "never use you", "never using",
    "going to the news", "go to the news", "the media", "the press", "reporter", "journalist", "going viral",
    "bbb", "better business bureau", "chargeback", "charge back", "dispute the charge", "consumer protection",
    "trading standards", "ombudsman", "faa", "department of transportation", "report you",
    "health department", "health inspector", "food poisoning", "poisoned", "unsafe", "dangerous", "injured",
    "injury", "hospital", "allergic reaction", "discrimination", "discriminated", "harassment", "harassed",
    "assaulted", "police", "boycott", "cancel my account", "cancel my membership", "cancelling my",
    "abogado", "demanda", "denuncia", "nunca más", "avocat", "plainte", "procès", "plus jamais",
    "anwalt", "klage", "anzeige", "nie wieder", "avvocato", "mai più", "advogado", "processo", "nunca mais",
    "advocaat", "aanklacht", "nooit meer",
)  # fmt: skip
_ESCALATION = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(ESCALATION_PHRASES, key=len, reverse=True)) + r")\b"
)

#: Noisy-OR weights of the terms.
WEIGHTS = {
    "negativity": 0.45,
    "escalation": 0.6,
    "low_rating": 0.35,
    "reach": 0.1,
    "velocity": 0.1,
    "reach_x_negativity": 0.5,
    "velocity_x_negativity": 0.5,
}
REACH_SATURATION = 1_000_000.0
VELOCITY_SATURATION = 1_000.0
SHARE_WEIGHT = 5.0


def escalation_terms(text: str) -> list[str]:
    """The distinct escalation phrases in ``text``, in order of appearance."""
    seen: dict[str, None] = {}
    for match in _ESCALATION.finditer(text.lower()):
        seen.setdefault(match.group(0), None)
    return list(seen)


def _log_scale(values: np.ndarray, saturation: float) -> np.ndarray:
    return np.clip(np.log1p(np.maximum(values, 0.0)) / np.log1p(saturation), 0.0, 1.0)


def urgency_scores(
    negativity: np.ndarray,
    escalation: np.ndarray,
    low_rating: np.ndarray,
    reach: np.ndarray,
    velocity: np.ndarray,
) -> np.ndarray:
    """Combine the five 0–1 factor arrays into 0–1 urgency (monotone non-decreasing in each)."""
    terms = {
        "negativity": negativity,
        "escalation": escalation,
        "low_rating": low_rating,
        "reach": reach,
        "velocity": velocity,
        "reach_x_negativity": reach * negativity,
        "velocity_x_negativity": velocity * negativity,
    }
    keep = np.ones_like(negativity, dtype=np.float64)
    for name, term in terms.items():
        keep *= 1.0 - WEIGHTS[name] * np.clip(term, 0.0, 1.0)
    return 1.0 - keep


def negativity_of(results: list[dict[str, Any]]) -> np.ndarray:
    """0–1 negativity from the sentiment fields: the negative part of the −1…+1 score, else the label."""
    values = np.zeros(len(results), dtype=np.float64)
    for i, result in enumerate(results):
        score = result.get("sentiment_score")
        if score is not None:
            values[i] = max(0.0, -float(score))
        elif result.get("sentiment") == "negative":
            values[i] = float(result.get("confidence") or 1.0)
    return np.clip(values, 0.0, 1.0)


@register
class UrgencyEnricher:
    """Sets ``urgency`` (0–1) with its factors as evidence."""

    name = "urgency"
    requires: tuple[str, ...] = ("sentiment",)
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    def enrich(self, batch: Batch) -> None:
        n = len(batch)
        negativity = negativity_of(batch.results)
        terms = [escalation_terms(text) for text in batch.texts]
        escalation = 1.0 - 0.5 ** np.array([len(t) for t in terms], dtype=np.float64)
        rating = batch.numbers("rating")
        low_rating = np.nan_to_num(np.clip((0.5 - rating) / 0.5, 0.0, 1.0), nan=0.0)
        followers = np.nan_to_num(batch.numbers("followers"))
        likes = np.nan_to_num(batch.numbers("likes"))
        shares = np.nan_to_num(batch.numbers("shares"))
        reach = _log_scale(followers + likes + SHARE_WEIGHT * shares, REACH_SATURATION)
        now = batch.now.timestamp()
        posted = np.array(
            [r.created_at.timestamp() if r.created_at is not None else np.nan for r in batch.records], dtype=np.float64
        )
        hours = np.maximum((now - posted) / 3600.0, 1.0)
        velocity = np.nan_to_num(_log_scale((likes + SHARE_WEIGHT * shares) / hours, VELOCITY_SATURATION), nan=0.0)
        scores = urgency_scores(negativity, escalation, low_rating, reach, velocity)
        for i in range(n):
            batch.results[i]["urgency"] = round(float(scores[i]), 4)
            evidence: dict[str, Any] = {
                "negativity": round(float(negativity[i]), 3),
                "escalation": round(float(escalation[i]), 3),
                "low_rating": round(float(low_rating[i]), 3),
                "reach": round(float(reach[i]), 3),
                "velocity": round(float(velocity[i]), 3),
            }
            if terms[i]:
                evidence["escalation_terms"] = terms[i]
            batch.evidence[i]["urgency"] = evidence
