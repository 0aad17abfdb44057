"""Urgency and viral risk: which post could blow up, so it is at the top of the inbox.

Six factors, each 0–1 and computed for the whole batch at once:

* ``negativity`` — how negative the sentiment is (needs the sentiment enricher);
* ``escalation`` — threats that turn a complaint into a crisis: "lawyer", "sue", "chargeback", "BBB",
  "going to the news", "food poisoning", "unsafe"… (1 − ½ᵏ for *k* distinct phrases; a threat to leave —
  "never again", "cancel my account" — counts half);
* ``time_pressure`` — the customer is stuck now or about to lose something soon, so an answer within the hour
  can still help: "stranded", "at the gate", "locked out", "miss my connection", "leaves in 20 minutes",
  "tonight", "asap", a child or a wheelchair user waiting… (1 − ½ᵏ for *k* distinct cues, times one minus the
  item's positivity: praise that mentions tonight needs no answer within the hour);
* ``low_rating`` — 0 at three stars of five and above, 1 at the lowest rating;
* ``reach`` — the audience: followers plus likes plus shares (shares weigh five), on a log scale that
  saturates at a million;
* ``velocity`` — engagement per hour since posting, on a log scale that saturates at 1,000/h.

They are combined as a *noisy-OR* — ``1 − Π(1 − wᵢ·gᵢ)`` over terms ``gᵢ`` that are the factors and the
products reach × negativity and velocity × negativity (a big audience matters mostly when the post is
negative). Every weight is positive and every term grows with its factors, so the score is monotone:
raising any one factor never lowers urgency. The factors are kept as evidence.

``benchmarks/bench_urgency.py`` measures the order against two annotators' labels on airline tweets.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from voxpop.analyze.phrases import alternation
from voxpop.analyze.registry import AnalysisContext, Batch, register

ESCALATION_PHRASES = (
    "lawyer", "attorney", "sue", "suing", "lawsuit", "legal action", "small claims", "court",
    "going to the news", "go to the news", "the media", "the press", "reporter", "journalist", "going viral",
    "bbb", "better business bureau", "chargeback", "charge back", "dispute the charge", "consumer protection",
    "trading standards", "ombudsman", "faa", "department of transportation", "report you",
    "health department", "health inspector", "food poisoning", "poisoned", "unsafe", "dangerous", "injured",
    "injury", "hospital", "allergic reaction", "safety", "discrimination", "discriminated", "harassment",
    "harassed", "assaulted", "police", "boycott",
    "abogado", "demanda", "denuncia", "avocat", "plainte", "procès", "anwalt", "klage", "anzeige", "avvocato",
    "advogado", "processo", "advocaat", "aanklacht",
)  # fmt: skip
#: Threats to leave: escalation language too, but a customer who says "never again" is lost rather than about
#: to start a crisis, so each counts half of an escalation phrase.
CHURN_PHRASES = (
    "never again", "never coming back", "never fly", "never flying", "never use you", "never using",
    "cancel my account", "cancel my membership", "cancelling my",
    "nunca más", "plus jamais", "nie wieder", "mai più", "nunca mais", "nooit meer",
)  # fmt: skip
CHURN_WEIGHT = 0.5


_ESCALATION = re.compile(rf"\b(?:{alternation(ESCALATION_PHRASES + CHURN_PHRASES)})\b")
_CHURN = frozenset(CHURN_PHRASES)
TIME_PRESSURE_PHRASES = (
    # stuck where they are, now
    "stranded", "stuck at", "stuck in", "stuck on", "stuck here", "locked out", "trapped", "left behind",
    "tarmac", "on the runway", "on this plane", "still on the plane", "still on the train", "still on the bus",
    "let us off", "at the gate", "at the airport", "at the station", "at the counter", "at the desk",
    "at reception", "in the lobby", "waiting outside", "overnight", "no hotel", "nowhere to stay",
    "nowhere to sleep", "sleeping in the airport", "sleep in the airport", "sleeping at the airport", "no way home",
    "get me home", "can't get home", "cannot get home",
    # about to lose something
    "right now", "asap", "as soon as possible", "urgent", "urgently", "emergency", "immediately", "need help now",
    "today", "tonight", "this morning", "this afternoon", "this evening", "about to miss", "going to miss",
    "gonna miss", "will miss", "miss my connection", "missed my connection", "missing my connection",
    "miss my flight", "miss my train", "rebook", "rebooked", "rebooking", "can't rebook", "cannot rebook",
    # someone who cannot wait
    "baby", "toddler", "infant", "my child", "my kids", "my children", "wheelchair", "elderly", "pregnant",
    "disabled", "medical", "my medication", "insulin",
    # es, fr, de, it, pt, nl
    "urgente", "ahora mismo", "atrapado", "atrapados", "tirado", "urgence", "tout de suite", "bloqué", "bloqués",
    "coincé", "coincés", "dringend", "sofort", "gestrandet", "festsitzen", "subito", "bloccato", "bloccati",
    "agora mesmo", "preso", "presos", "gestrand", "vast op", "meteen",
)  # fmt: skip
_TIME_PRESSURE = re.compile(
    rf"\b(?:{alternation(TIME_PRESSURE_PHRASES)}"
    # "leaves in 20 minutes", "is in 4 hours", "boarding in 10 min"
    r"|in\s+(?:\d+|an?|one|two|three|four|five|ten|twenty|thirty)\s*(?:min|mins|minutes|hour|hours|hr|hrs)"
    # "I left my wallet on the plane", "left our bag at the desk"
    r"|left\s+(?:my|our)\s+(?:\w+\s+)?\w+\s+(?:on|in|at))\b"
)

#: Noisy-OR weights of the terms.
WEIGHTS = {
    "negativity": 0.45,
    "escalation": 0.6,
    "time_pressure": 0.6,
    "low_rating": 0.35,
    "reach": 0.1,
    "velocity": 0.1,
    "reach_x_negativity": 0.5,
    "velocity_x_negativity": 0.5,
}
REACH_SATURATION = 1_000_000.0
VELOCITY_SATURATION = 1_000.0
SHARE_WEIGHT = 5.0


def _distinct(pattern: re.Pattern[str], text: str) -> list[str]:
    return list(dict.fromkeys(match.group(0) for match in pattern.finditer(text.lower())))


def escalation_terms(text: str) -> list[str]:
    """The distinct escalation phrases in ``text``, in order of appearance."""
    return _distinct(_ESCALATION, text)


def time_pressure_terms(text: str) -> list[str]:
    """The distinct time-pressure cues in ``text``, in order of appearance."""
    return _distinct(_TIME_PRESSURE, text)


def _log_scale(values: np.ndarray, saturation: float) -> np.ndarray:
    return np.clip(np.log1p(np.maximum(values, 0.0)) / np.log1p(saturation), 0.0, 1.0)


def urgency_scores(
    negativity: np.ndarray,
    escalation: np.ndarray,
    low_rating: np.ndarray,
    reach: np.ndarray,
    velocity: np.ndarray,
    time_pressure: np.ndarray | None = None,
) -> np.ndarray:
    """Combine the six 0–1 factor arrays into 0–1 urgency (monotone non-decreasing in each)."""
    terms = {
        "negativity": negativity,
        "escalation": escalation,
        "time_pressure": np.zeros_like(negativity) if time_pressure is None else time_pressure,
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


def _polarity(results: list[dict[str, Any]], sign: float, label: str) -> np.ndarray:
    values = np.zeros(len(results), dtype=np.float64)
    for i, result in enumerate(results):
        score = result.get("sentiment_score")
        if score is not None:
            values[i] = max(0.0, sign * float(score))
        elif result.get("sentiment") == label:
            values[i] = float(result.get("confidence") or 1.0)
    return np.clip(values, 0.0, 1.0)


def negativity_of(results: list[dict[str, Any]]) -> np.ndarray:
    """0–1 negativity from the sentiment fields: the negative part of the −1…+1 score, else the label."""
    return _polarity(results, -1.0, "negative")


def positivity_of(results: list[dict[str, Any]]) -> np.ndarray:
    """0–1 positivity: the positive part of the −1…+1 sentiment score, else the label's confidence."""
    return _polarity(results, 1.0, "positive")


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
        escalation = 1.0 - 0.5 ** np.array(
            [sum(CHURN_WEIGHT if term in _CHURN else 1.0 for term in found) for found in terms], dtype=np.float64
        )
        cues = [time_pressure_terms(text) for text in batch.texts]
        # Praise that mentions tonight or a baby needs no answer within the hour: the cues weigh less the more
        # positive the item is ("Lovely dinner tonight!" must not outrank a complaint).
        time_pressure = (1.0 - 0.5 ** np.array([len(c) for c in cues], dtype=np.float64)) * (
            1.0 - positivity_of(batch.results)
        )
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
        scores = urgency_scores(negativity, escalation, low_rating, reach, velocity, time_pressure)
        for i in range(n):
            batch.results[i]["urgency"] = round(float(scores[i]), 4)
            evidence: dict[str, Any] = {
                "negativity": round(float(negativity[i]), 3),
                "escalation": round(float(escalation[i]), 3),
                "time_pressure": round(float(time_pressure[i]), 3),
                "low_rating": round(float(low_rating[i]), 3),
                "reach": round(float(reach[i]), 3),
                "velocity": round(float(velocity[i]), 3),
            }
            if terms[i]:
                evidence["escalation_terms"] = terms[i]
            if cues[i]:
                evidence["time_pressure_terms"] = cues[i]
            batch.evidence[i]["urgency"] = evidence
