"""Questions addressed to the business, and the recurring ones that deserve an FAQ entry.

The rule, sentence by sentence (an item is a question when at least one sentence qualifies):

* A sentence **asks** when it ends with "?" (or opens with "¿"), or — even without a question mark — when
  it opens with an asking phrase ("can I", "is there", "how do I", "does anyone know", "¿dónde…",
  "est-ce que", "gibt es", …) in any configured language, or contains a request for information
  ("please let me know", "I was wondering").
* It is **rhetorical** — a complaint dressed as a question — when it carries "?!"/"!?" or a run of
  "???" (after an asking phrase only "?!" counts: "any update???" asks), or opens with an exasperated form
  ("how come", "are you kidding", "how many times", "what kind of", "seriously") or a suggestion ("why
  not …?"), or is a "why" question loaded with judgement ("why is your service *so bad*?",
  "why do you *always* lose bags?"). A plain "why was my flight cancelled?" still asks.
* An asking phrase wins over rhetoric in the same sentence: "seriously, can I get a refund or not?" asks —
  unless the rhetorical phrase is the longer one ("are you kidding" over "are you").
* What the writer quotes ("the waiter asked "is everything ok?"", a retweeted reply) and asides like "(sp?)"
  are not read.

Measured against two annotators' labels on airline tweets by ``benchmarks/bench_questions.py``.

So "Why is your service so bad?!" is a complaint (``is_question`` false), "Is there parking nearby?" and
"does anyone know if they deliver on Sundays" are questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from voxpop.analyze.phrases import alternation
from voxpop.analyze.registry import AnalysisContext, Batch, register

# Phrases that ask even without a question mark, per language; matched at the start of a sentence (after a
# greeting or a lead-in such as "seriously," is stripped). Lower case. Single interrogative words ("como",
# "wie") are left out: they also mean "like"/"who" and a sentence that asks with them has its "?".
ASKING_OPENERS: dict[str, tuple[str, ...]] = {
    "en": (
        "can i",
        "can we",
        "can you",
        "can someone",
        "can anyone",
        "could someone",
        "could anyone",
        "is anyone",
        "is someone",
        "could i",
        "could you",
        "could we",
        "may i",
        "would you",
        "will you",
        "will i",
        "will there",
        "is there",
        "are there",
        "was there",
        "were there",
        "are you",
        "is it possible",
        "is it ok",
        "do you",
        "does your",
        "does the",
        "does anyone",
        "do i",
        "do we",
        "did anyone",
        "has anyone",
        "have you",
        "how do i",
        "how can i",
        "how do we",
        "how can we",
        "how long",
        "how much",
        "how many",
        "where can",
        "where do",
        "where is",
        "when will",
        "when is",
        "when does",
        "when do",
        "what time",
        "what is the",
        "what are the",
        "which",
        "what do i",
        "what should i",
        "what can i",
        "who do i",
        "who can",
        "anyone know",
        "any idea",
        "any update",
        "i was wondering",
        "wondering if",
        "should i",
    ),
    "es": ("¿", "hay algún", "hay alguna", "alguien sabe", "es posible", "puedo", "pueden ustedes", "a qué hora"),
    "fr": (
        "est-ce que",
        "est-ce qu",
        "puis-je",
        "pouvez-vous",
        "y a-t-il",
        "avez-vous",
        "quelqu'un sait",
        "est-il possible",
    ),
    "de": (
        "kann ich",
        "können sie",
        "könnten sie",
        "gibt es",
        "haben sie",
        "weiß jemand",
        "ist es möglich",
        "wie kann",
    ),
    "it": ("c'è un", "ci sono", "avete", "qualcuno sa", "è possibile", "posso avere", "a che ora"),
    "pt": ("alguém sabe", "é possível", "vocês têm", "posso ter", "a que horas", "existe algum"),
    "nl": ("kan ik", "kunnen jullie", "kunt u", "is er", "zijn er", "hebben jullie", "weet iemand", "is het mogelijk"),
}
REQUEST_PHRASES = (
    "please let me know", "please advise", "let me know if", "i was wondering", "could you tell me", "can you tell me",
    "would like to know", "want to know", "does anyone know", "anyone know", "any idea", "any advice",
)  # fmt: skip
RHETORICAL_OPENERS = (
    "how come", "how dare", "how hard", "how many times", "how is it possible", "how is this", "what kind of",
    "what the", "who the", "are you kidding", "are you serious", "you kidding", "seriously", "really",
    "is this a joke", "is it too much", "is that too much", "what's wrong with", "what is wrong with",
    "why on earth", "why the hell", "why not",
)  # fmt: skip
LOADED_WORDS = (
    "so", "such", "always", "never", "even", "ever", "still", "bad", "worst", "terrible", "awful", "horrible",
    "rude", "useless", "incompetent", "slow", "stupid", "ridiculous", "pathetic", "hate", "suck", "sucks",
    "can't", "cannot", "won't", "don't", "doesn't", "isn't",
)  # fmt: skip

_SENTENCE = re.compile(r"[^.!?¿\n]*(?:[.!?\n]+|$)|¿[^?]*\?+[!]*")
_GREETING = re.compile(r"^(?:(?:[@#]\w+|hi|hello|hey|hola|bonjour|hallo|ciao|olá|dear \w+)\b[\s,:!]*)+")


def _compile_openers(languages: Sequence[str]) -> re.Pattern[str]:
    phrases = [p for code in languages for p in ASKING_OPENERS.get(code, ())] or list(ASKING_OPENERS["en"])
    return re.compile(rf"^(?:{alternation(phrases)})(?:\b|(?<=¿))")


_REQUEST = re.compile(rf"\b(?:{alternation(REQUEST_PHRASES)})\b")
_RHETORICAL = re.compile(rf"^(?:{alternation(RHETORICAL_OPENERS)})\b")
_LOADED = re.compile(rf"\b(?:{alternation(LOADED_WORDS)})\b")
_WHY = re.compile(r"^(?:why|porque|pourquoi|warum|perché|por que|por qué|waarom)\b")
_EXASPERATED = re.compile(r"\?+!|!\?|\?{3,}")
_SHOUTED = re.compile(r"\?+!|!\?")
_WORD = re.compile(r"[^\W\d_]{2}")
_LEAD_IN = re.compile(r"^(?:(?:seriously|really|so|ok|okay|well|please|also|and|but|then|thanks|thank you)\b[\s,]+)+")
# Words the writer quotes (a retweeted reply, what the staff said) and asides such as "(sp?)" ask nothing of
# the business: they are blanked out before the sentences are read. An old-style quote of a tweet,
# "… @brand: text", runs to the end.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"|\([^()?]{0,24}\?\)|(?:\bRT\s+|(?<=\s)[\"“]?)@\w+:\s.*", re.S)


# Question marks and sentence ends of other scripts: Chinese and Japanese full-width ones, the Arabic "؟".
_MARKS = str.maketrans({"？": "?", "؟": "?", "！": "!", "。": "."})


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


class QuestionDetector:
    """Applies the module's rule; built once per set of languages."""

    def __init__(self, languages: Sequence[str] = ("en",)) -> None:
        self.openers = _compile_openers([code.lower() for code in languages])

    def sentence_asks(self, sentence: str) -> bool:
        lowered = _GREETING.sub("", sentence.lower()).strip()
        if not _WORD.search(lowered):  # "?", "🙄?" — nothing is asked
            return False
        unled = _LEAD_IN.sub("", lowered)
        opened, rhetoric = self.openers.match(unled), _RHETORICAL.match(unled)
        # "are you kidding" is rhetoric although "are you" asks: the longer phrase decides.
        opener = bool(opened) and not (rhetoric and opened and rhetoric.end() > opened.end())
        request = bool(_REQUEST.search(lowered))
        asks = opener or request or lowered.endswith("?") or lowered.startswith("¿")
        if not asks:
            return False
        if opener or request:
            # An explicit asking phrase is a question even in an angry or impatient sentence ("any
            # update???") — unless the whole thing is shouted as "?!".
            return not (_SHOUTED.search(lowered) and not request)
        if _EXASPERATED.search(lowered) or _RHETORICAL.match(lowered):
            return False
        return not (_WHY.match(lowered) and _LOADED.search(lowered))

    def is_question(self, text: str) -> bool:
        text = text.translate(_MARKS)
        if "?" not in text and not text.strip():
            return False
        # A very long text is read at its start and its end, where a question usually stands.
        text = _QUOTED.sub(" ", text if len(text) <= 7000 else f"{text[:5000]}\n{text[-2000:]}")
        return any(self.sentence_asks(sentence) for sentence in _sentences(text))


@register
class QuestionEnricher:
    """Sets ``is_question``."""

    name = "questions"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.detector = QuestionDetector(context.settings.languages)

    def enrich(self, batch: Batch) -> None:
        for result, text in zip(batch.results, batch.texts, strict=True):
            result["is_question"] = self.detector.is_question(text)


@dataclass(frozen=True, slots=True)
class FaqCandidate:
    """Questions asked again and again: the most central one stands for the group."""

    question: str
    count: int
    examples: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)  # the members, in input order
    central: list[int] = field(default_factory=list)  # the members, most central first


def faq_candidates(
    questions: Sequence[str],
    embeddings: np.ndarray | None = None,
    *,
    similarity: float = 0.75,
    min_count: int = 2,
    max_examples: int = 5,
) -> list[FaqCandidate]:
    """Group questions whose embeddings are within ``similarity`` (cosine, average linkage) of each other.

    ``embeddings`` are the questions' unit vectors (computed with the default embedder when omitted).
    Groups of at least ``min_count`` become candidates, largest first; the representative question is the
    one closest to its group's mean.
    """
    if len(questions) < max(2, min_count):
        return []
    if embeddings is None:
        from voxpop.analyze.embeddings import get_embedder

        embeddings = get_embedder().encode(list(questions))
    vectors = np.asarray(embeddings, dtype=np.float32)
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - similarity
    ).fit_predict(vectors)
    candidates = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_count:
            continue
        centre = vectors[members].mean(axis=0)
        ranked = members[np.argsort(-(vectors[members] @ centre))]
        candidates.append(
            FaqCandidate(
                question=questions[int(ranked[0])],
                count=len(members),
                examples=[questions[int(i)] for i in ranked[:max_examples]],
                indices=sorted(int(i) for i in members),
                central=[int(i) for i in ranked],
            )
        )
    candidates.sort(key=lambda c: (-c.count, c.indices[0]))
    return candidates
