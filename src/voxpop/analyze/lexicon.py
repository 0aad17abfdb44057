"""Lexicon features for sentiment: VADER's scores plus cues of customer feedback that VADER misses.

VADER scores words that carry feeling ("awful", "love"). Customer feedback is often a plain report of
a failure ("parcel still not here", "charged twice", "on hold for an hour") or a plain question; the cue
counts below let the classifier tell those apart. The word lists were written for voxpop from general
customer-service vocabulary (retail, delivery, restaurants, hotels, travel, apps, utilities, banking).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_MENTION = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[a-z0-9']+")

#: Words and phrases that report something going wrong, with no feeling word needed.
PROBLEM_CUES = (
    "delayed", "delay", "delays", "late", "cancelled", "canceled", "cancellation", "cancel",
    "refund", "refunded", "reimburse", "compensation", "lost", "missing", "broken", "damaged",
    "stuck", "stranded", "overcharged", "charged twice", "double charged", "wrong", "error",
    "crash", "crashes", "crashed", "not working", "doesn't work", "does not work", "stopped working",
    "won't", "can't", "cannot", "couldn't", "unable", "failed", "fails", "failure", "issue", "issues",
    "problem", "problems", "complaint", "complain", "still waiting", "still no", "still not",
    "no one", "nobody", "no response", "no reply", "no answer", "never", "on hold", "hold",
    "waiting", "waited", "hours", "hour", "again", "yet", "outage", "down", "disconnected",
    "hung up", "hangs up", "leak", "leaking", "dirty", "cold", "rude", "fee", "fees", "charged",
    "overbooked", "oversold", "denied", "declined", "rejected", "unacceptable", "ridiculous",
    "worst", "fix", "supposed to", "instead", "why", "seriously", "really", "ever", "lose",
)  # fmt: skip

#: Thanks and praise that customer-service messages use but VADER scores weakly.
THANKS_CUES = (
    "thank", "thanks", "thx", "ty", "appreciate", "appreciated", "kudos", "shoutout", "shout out",
    "well done", "great job", "props", "grateful", "cheers", "love", "loved", "awesome", "best",
)  # fmt: skip

_QUESTION_START = re.compile(
    r"^(?:how|what|when|where|which|who|whom|why|is|are|am|do|does|did|can|could|will|would|should|"
    r"shall|may|has|have|any|anyone)\b"
)


def clean(text: str) -> str:
    """Drop @mentions and URLs, which carry no sentiment and confuse the lexicons."""
    return " ".join(_URL.sub(" ", _MENTION.sub(" ", text)).split())


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(p) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9'])(?:" + "|".join(alternatives) + r")(?![a-z0-9'])")


_PROBLEM = _phrase_pattern(PROBLEM_CUES)
_THANKS = _phrase_pattern(THANKS_CUES)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


FEATURE_NAMES = (
    "vader_compound",
    "vader_pos",
    "vader_neg",
    "vader_neu",
    "problem_cues",
    "thanks_cues",
    "question",
    "exclamations",
    "shouting",
    "numbers",
    "length",
)


def features(texts: Sequence[str]) -> np.ndarray:
    """One row of :data:`FEATURE_NAMES` per text (float32), all roughly in [0, 1] or [-1, 1]."""
    analyzer = _vader()
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
    for row, raw in enumerate(texts):
        text = clean(raw or "")
        lower = text.lower()
        scores = analyzer.polarity_scores(text)
        words = _WORD.findall(lower)
        letters = [c for c in text if c.isalpha()]
        capitals = sum(1 for w in text.split() if len(w) > 2 and w.isupper())
        out[row] = (
            scores["compound"],
            scores["pos"],
            scores["neg"],
            scores["neu"],
            min(len(_PROBLEM.findall(lower)), 4) / 4,
            min(len(_THANKS.findall(lower)), 2) / 2,
            1.0 if "?" in text or _QUESTION_START.match(lower) else 0.0,
            min(text.count("!"), 3) / 3,
            min(capitals, 3) / 3 if letters else 0.0,
            min(sum(1 for w in words if w.isdigit()), 3) / 3,
            min(len(words), 60) / 60,
        )
    return out
