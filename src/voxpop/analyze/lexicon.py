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

from voxpop.analyze.emoji import gloss
from voxpop.analyze.phrases import alternation

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

#: A span of waiting: "3 hours", "two weeks", "an hour", "45 mins" (how long a failure has lasted).
_DURATION = re.compile(
    r"(?<![a-z0-9'])(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|"
    r"fifty|several|few|many|couple of)\s*(?:\+\s*)?(?:mins?|minutes?|hrs?|hours?|days?|weeks?|months?)(?![a-z])"
)
#: Words saying a failure goes on or comes back.
PERSISTENCE_CUES = (
    "still", "again", "since", "yet", "anymore", "any more", "no longer", "every time", "each time",
    "keeps", "keep", "kept", "second time", "third time", "fourth time", "once more", "as usual", "always",
)  # fmt: skip
#: Something expected that did not happen: nobody answered, nothing came.
ABSENCE_CUES = (
    "no one", "nobody", "noone", "nothing", "no response", "no reply", "no answer", "no update", "no updates",
    "no call", "no email", "no sign", "no info", "no information", "no help", "no refund", "no explanation",
    "never", "not received", "not arrived", "not here", "not delivered", "not working", "not fixed",
)  # fmt: skip
#: A negated service verb: "didn't arrive", "won't refund", "can't log in", "not answering".
_NEGATED_SERVICE = re.compile(
    r"(?<![a-z0-9'])(?:not|never|no|n't|cannot|didnt|doesnt|dont|wont|cant|isnt|hasnt|havent)\s+(?:\w+\s+){0,2}?"
    r"(?:arriv|come|came|work|answer|repl|respond|call|fix|deliver|refund|show|turn|pick|get|got|help|receiv|"
    r"load|open|connect|log|sign|accept|honou?r|process|ship|dispatch|return|contact|hear|heard)"
)

#: Praise through a negated complaint — "no complaints", "couldn't fault it", "never had a problem", "nothing was
#: too much trouble", "didn't bother us" — reports no problem: these spans are blanked out before the problem,
#: absence and negated-service cues are counted (a few filler words may stand between the negation and the
#: complaint word, but not an action: "couldn't fix the problem" stays a problem; so do "didn't bother to reply"
#: and "none of the issues were fixed").
_REASSURANCE = re.compile(
    r"(?<![a-z0-9'])(?:no|not|nothing|never|none|zero|without|hardly|n't|cannot|cant|couldnt|didnt|wasnt|isnt|"
    r"dont|doesnt|wont|wouldnt|havent|hasnt)"
    r"(?:\s+(?:a|an|any|single|one|real|major|big|slightest|the|too|much|so|many|more|further|other|of|to|about|"
    r"whatsoever|at|all|had|have|has|was|were|be|been|find|found|say|said|word|words|there|ever)){0,3}"
    r"\s+(?:complaints?|complain|complaining|problems?|issues?|faults?|fault|bother(?:ed)?(?!\s+to\b)|regrets?|"
    r"trouble|hassles?|worr(?:y|ies|ied)|fuss|glitch(?:es)?|hiccups?|bad|wrong|disappoint\w*|quibbles?|gripes?|"
    r"niggles?|negatives?)(?![a-z0-9'])"
    r"(?!\s+(?:were|was|have|has|got|are|is|being)\s+(?:\w+\s+)?(?:fixed|solved|resolved|addressed|sorted|dealt|"
    r"handled|answered|explained|refunded))"
)

# A cheap test first: most texts have none of these words, and the long pattern need not run on them.
_MAYBE_REASSURING = re.compile(
    r"complain|problem|issue|fault|bother|regret|trouble|hassle|worr|fuss|glitch|hiccup|bad|wrong|disappoint|"
    r"quibble|gripe|niggle|negative"
)

_QUESTION_START = re.compile(
    r"^(?:how|what|when|where|which|who|whom|why|is|are|am|do|does|did|can|could|will|would|should|"
    r"shall|may|has|have|any|anyone)\b"
)


def clean(text: str) -> str:
    """Drop @mentions and URLs, which carry no sentiment and confuse the lexicons, and read each emoji that
    carries a feeling as a word (:func:`voxpop.analyze.emoji.gloss`)."""
    return " ".join(gloss(_URL.sub(" ", _MENTION.sub(" ", text))).split())


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9'])(?:{alternation(phrases)})(?![a-z0-9'])")


_PROBLEM = _phrase_pattern(PROBLEM_CUES)
_THANKS = _phrase_pattern(THANKS_CUES)
_PERSISTENCE = _phrase_pattern(PERSISTENCE_CUES)
_ABSENCE = _phrase_pattern(ABSENCE_CUES)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_words() -> frozenset[str]:
    """The plain words (letters only) of VADER's English lexicon."""
    return frozenset(word for word in _vader().lexicon if word.isalpha())


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
    "durations",
    "persistence",
    "absence",
    "negated_service",
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
        # Cue counts skip praise phrased as a negated complaint ("no complaints", "couldn't fault it").
        # ("n't" is split off for the match and joined back: "can't" and "doesn't work" are problem cues.)
        cues = lower
        if _MAYBE_REASSURING.search(lower):
            cues = _REASSURANCE.sub(" ", lower.replace("n't", " n't")).replace(" n't", "n't")
        # An all-capitals word has letters, so a text without letters scores 0 here as it should.
        capitals = sum(1 for w in text.split() if len(w) > 2 and w.isupper())
        out[row] = (
            scores["compound"],
            scores["pos"],
            scores["neg"],
            scores["neu"],
            min(len(_PROBLEM.findall(cues)), 4) / 4,
            min(len(_THANKS.findall(lower)), 2) / 2,
            1.0 if "?" in text or _QUESTION_START.match(lower) else 0.0,
            min(text.count("!"), 3) / 3,
            min(capitals, 3) / 3,
            min(sum(1 for w in words if w.isdigit()), 3) / 3,
            min(len(words), 60) / 60,
            min(len(_DURATION.findall(lower)), 2) / 2,
            min(len(_PERSISTENCE.findall(lower)), 2) / 2,
            min(len(_ABSENCE.findall(cues)), 2) / 2,
            min(len(_NEGATED_SERVICE.findall(cues.replace("n't", " n't"))), 2) / 2,
        )
    return out
