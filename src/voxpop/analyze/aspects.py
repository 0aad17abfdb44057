"""Which aspects of a taxonomy a text talks about, how the customer feels about each, and who owns it.

Detection works at two levels of knowledge:

- **zero-shot** (a taxonomy as written by a person): a text is compared with each aspect's description
  and examples by embedding cosine similarity (the mean of the best ``TOP_K`` matches), and an aspect is
  tagged when that beats the taxonomy's threshold or one of its keywords appears. Without a ``threshold:``
  in the file, one is calibrated from the taxonomy itself: leave-one-out similarity of each example to its
  own aspect versus the other aspects and a set of off-topic sentences, so that "see you next week"
  gets no aspect at all.
- **learned** (a taxonomy after ``fit_taxonomy``): the head decides for the aspects it was trained on;
  aspects it never saw stay zero-shot.

The sentiment of an aspect is that of the clause that carries it (see :mod:`voxpop.analyze.clauses`):
the clause with the aspect's keyword, else the one most similar to / most typical of the aspect.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voxpop.analyze.clauses import Encoder, Segments, clauses_of
from voxpop.analyze.sentiment import SentimentModel
from voxpop.analyze.taxonomy import Taxonomy

TOP_K = 3
DEFAULT_THRESHOLD = 0.45  # used only when calibration has too little to go on
RELEVANCE_SCALE = 0.05  # how fast relevance rises past the threshold (cosine units)
MARGIN = 0.05  # a zero-shot aspect this much less similar than the best one is a neighbour, not a topic
NEGATIVE_WEIGHT = 1.25  # a complaint outranks praise of equal relevance when choosing the owner

#: Sentences about nothing a business would route: calibration's "no aspect" examples.
OFF_TOPIC = [
    "See you next week.",
    "I went there on a Tuesday with my sister.",
    "Hello, is anyone reading these?",
    "This is my third review this year.",
    "We will see what happens.",
    "Posted from my phone.",
    "My husband and I were in town for a conference.",
    "Happy new year everyone!",
    "It was our first time there.",
    "I have been meaning to write this for a while.",
    "Thanks.",
    "Just got back yesterday.",
    "My friend told me about this place.",
    "Not sure what else to say.",
    "It was raining all day.",
    "We are from Chicago.",
    "Anyway, that is my story.",
    "Going again next month with the kids.",
    "Update to my earlier review.",
    "Read the other reviews before you decide.",
]


@dataclass
class AspectHit:
    """One aspect found in one text.

    ``sentiment``/``score``/``confidence`` are the sentiment label, score and confidence of the clause that
    carries the aspect; ``relevance`` (0–1) is how surely the aspect is present; ``clause`` is that clause.
    """

    name: str
    sentiment: str
    score: float
    confidence: float
    department: str | None
    relevance: float = 1.0
    clause: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "sentiment": self.sentiment,
            "score": round(float(self.score), 4),
            "confidence": round(float(self.confidence), 4),
            "department": self.department,
            "relevance": round(float(self.relevance), 4),
            "clause": self.clause,
        }


def _keyword_pattern(keywords: Sequence[str], *, starts: bool = False) -> re.Pattern[str] | None:
    """A keyword (or its plural) as a whole word; with ``starts``, a zero-width match where one begins.

    The keywords are written as a prefix tree (``_alternatives``), so at each word the engine follows
    the text's own letters instead of trying every keyword in turn; callers only ask *whether* (or
    where) a keyword matches, which does not depend on the order the alternatives are tried in.
    """
    if not keywords:
        return None
    body = _alternatives({k.lower() for k in keywords}) + r"(?:s|es)?(?!\w)"
    return re.compile(r"(?<!\w)(?=" + body + ")" if starts else r"(?<!\w)" + body, re.IGNORECASE)


def _alternatives(words: set[str]) -> str:
    """A regex matching exactly ``words`` (non-empty, none empty), factored by common prefixes:
    ``{"bag", "bags", "baggage"}`` → ``(?:bag(?:gage|s)?)``."""
    return "(?:" + _tree(words) + ")"


def _tree(words: set[str]) -> str:
    heads: dict[str, set[str]] = {}
    for word in words:
        if word:
            heads.setdefault(word[0], set()).add(word[1:])
    branches = [re.escape(head) + _tree(tails) for head, tails in sorted(heads.items())]
    if "" not in words:
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + "|".join(branches) + ")?" if branches else ""


def _prompt_layout(owner: np.ndarray, aspects: int) -> np.ndarray:
    """``(aspects, widest)``: each aspect's prompt columns in order, ``-1`` past its last one."""
    columns = [np.flatnonzero(owner == index) for index in range(aspects)]
    layout = np.full((aspects, max((len(c) for c in columns), default=0)), -1, dtype=np.int64)
    for index, found in enumerate(columns):
        layout[index, : len(found)] = found
    return layout


class AspectTagger:
    """Tags texts with a taxonomy's aspects, each with the sentiment of its own clause."""

    def __init__(
        self, taxonomy: Taxonomy, embedder: Encoder | None = None, sentiment: SentimentModel | None = None
    ) -> None:
        self.taxonomy = taxonomy
        self._embedder = embedder
        self._sentiment = sentiment
        self._keywords = [_keyword_pattern(aspect.keywords) for aspect in taxonomy.aspects]
        #: Where any aspect's keyword begins: only there can one aspect's pattern match.
        every_keyword = [k for aspect in taxonomy.aspects for k in aspect.keywords]
        self._keyword_starts = _keyword_pattern(every_keyword, starts=True)
        head = taxonomy.head
        self._learned = {name: i for i, name in enumerate(head.labels)} if head else {}
        self._prompt_vectors: np.ndarray | None = None
        self._prompt_owner: np.ndarray | None = None
        self._threshold: float | None = taxonomy.threshold

    # --- the parts, loaded on first use -----------------------------------------------------------------

    @property
    def embedder(self) -> Encoder:
        if self._embedder is None:
            from voxpop.analyze.embeddings import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    @property
    def sentiment(self) -> SentimentModel:
        """The sentiment model scoring each aspect's clause (voxpop's own unless one was given)."""
        if self._sentiment is None:
            self._sentiment = SentimentModel.load()
        return self._sentiment

    def _prompts(self) -> tuple[np.ndarray, np.ndarray]:
        if self._prompt_vectors is None or self._prompt_owner is None:
            texts: list[str] = []
            owner: list[int] = []
            for index, aspect in enumerate(self.taxonomy.aspects):
                for prompt in aspect.prompts or [aspect.name]:
                    texts.append(prompt)
                    owner.append(index)
            self._prompt_vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32)
            self._prompt_owner = np.asarray(owner)
        return self._prompt_vectors, self._prompt_owner

    @property
    def threshold(self) -> float:
        """The zero-shot similarity threshold: the taxonomy's own, or calibrated on first use."""
        if self._threshold is None:
            self._threshold = self.calibrate()
        return self._threshold

    # --- zero-shot -------------------------------------------------------------------------------------

    def similarity(self, embeddings: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """``(n, aspects)``: mean of each text's ``TOP_K`` best cosine matches among an aspect's prompts.

        ``exclude`` (``(n, prompts)`` booleans) hides prompts, for leave-one-out calibration.
        """
        vectors, owner = self._prompts()
        sims = np.asarray(embeddings, dtype=np.float32) @ vectors.T
        if exclude is not None:
            sims = np.where(exclude, -np.inf, sims)
        # All aspects at once: each aspect's prompt columns side by side, padded with -inf to the widest
        # aspect, sorted best first. A padding cell sorts last and, like a hidden prompt, counts as
        # neither a match nor a zero, so each mean is that of the same values, added in the same order,
        # as when every aspect was sorted on its own.
        layout = _prompt_layout(owner, len(self.taxonomy.aspects))
        grouped = np.where(layout >= 0, sims[:, np.maximum(layout, 0)], -np.inf)
        best = -np.sort(-grouped, axis=2)[:, :, :TOP_K]
        finite = np.isfinite(best)
        counts = finite.sum(axis=2)
        totals = np.where(finite, best, 0.0).sum(axis=2)
        return np.where(counts > 0, totals / np.maximum(counts, 1), -1.0).astype(np.float32)

    def calibrate(self) -> float:
        """A threshold separating examples of an aspect from examples of others and from off-topic text."""
        vectors, owner = self._prompts()
        if len(self.taxonomy.aspects) < 2 or len(vectors) < 4:
            return DEFAULT_THRESHOLD
        exclude = np.eye(len(vectors), dtype=bool)
        own = self.similarity(vectors, exclude)
        positives = own[np.arange(len(vectors)), owner]
        mask = np.ones_like(own, dtype=bool)
        mask[np.arange(len(vectors)), owner] = False
        negatives = np.concatenate([own[mask], self.similarity(self.embedder.encode(OFF_TOPIC)).ravel()])
        candidates = np.linspace(0.2, 0.7, 51)
        f1s = []
        for t in candidates:
            tp = float(np.sum(positives >= t))
            fp = float(np.sum(negatives >= t))
            fn = float(len(positives) - tp)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return float(candidates[int(np.argmax(f1s))])

    def keyword_hits(self, text: str) -> list[bool]:
        """Per aspect: does one of its keywords occur in ``text``?

        One pass over the text finds every position where some keyword begins (most texts have none);
        an aspect's own pattern is then tried only at those positions, instead of searching the whole
        text once per aspect. Same answers: an aspect's pattern matches somewhere exactly when it
        matches at one of the positions where any keyword begins.
        """
        found = [False] * len(self._keywords)
        if self._keyword_starts is None:
            return found
        for start in self._keyword_starts.finditer(text):
            at = start.start()
            for index, pattern in enumerate(self._keywords):
                if not found[index] and pattern is not None and pattern.match(text, at):
                    found[index] = True
        return found

    # --- detection -------------------------------------------------------------------------------------

    def _evidence(
        self, texts: Sequence[str], embeddings: np.ndarray, *, learned: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(scores, tagged, keyword)``, all ``(n, aspects)``: a comparable score per aspect, the decision,
        and whether one of the aspect's keywords is in the text.

        Zero-shot aspects score their similarity minus the threshold (in ``RELEVANCE_SCALE`` units) and
        are tagged past it, unless a closer aspect beats them by ``MARGIN``, or one whose keyword is in the
        text is about as close (so "flight delayed" is not also about cancellations). Learned aspects
        score the head's margin past its decision point and are tagged by the head when ``learned``. A
        keyword always tags its aspect.
        """
        names = self.taxonomy.names
        scores = np.zeros((len(texts), len(names)), dtype=np.float32)
        tagged = np.zeros((len(texts), len(names)), dtype=bool)
        keyword = np.array([self.keyword_hits(text) for text in texts], dtype=bool).reshape(len(texts), len(names))
        zero_shot = np.array([name not in self._learned for name in names], dtype=bool)
        if zero_shot.any():
            sims = self.similarity(embeddings)
            sims[:, ~zero_shot] = -1.0
            scores[:, zero_shot] = (sims[:, zero_shot] - self.threshold) / RELEVANCE_SCALE
            bar = np.maximum(self.threshold, sims.max(axis=1, keepdims=True) - MARGIN)
            named = np.where(keyword & zero_shot, sims, -np.inf).max(axis=1, keepdims=True) + MARGIN / 2
            tagged |= zero_shot & (sims >= np.maximum(bar, named))
        head = self.taxonomy.head
        if head is not None and self._learned:
            z = head.logits(texts, embeddings if head.uses_embeddings else None)
            if head.exclusive:  # one aspect per text: its relevance is its probability
                p = np.clip(np.exp(z), 1e-6, 1 - 1e-6)
                margins = np.log(p / (1 - p))
            else:
                margins = head.margins(z)
            chosen = np.zeros_like(margins, dtype=bool)
            for row, picks in enumerate(head.decide(z, embeddings if learned else None)):
                chosen[row, picks] = True
            for name, column in self._learned.items():
                index = names.index(name)
                scores[:, index] = margins[:, column]
                if learned:
                    tagged[:, index] = chosen[:, column]
        # A keyword makes its aspect at least an even bet.
        return np.where(keyword, np.maximum(scores, 0.0), scores), tagged | keyword, keyword

    def _segments(
        self, texts: Sequence[str], embeddings: np.ndarray, segments: Segments | None = None
    ) -> list[tuple[list[str], np.ndarray]]:
        """Each text's clauses and their embeddings (a one-clause text reuses its own embedding).

        ``segments`` are clauses already embedded with the texts (see ``clauses.embed_with_clauses``);
        without them the multi-clause texts are embedded here, once more.
        """
        if segments is not None:
            return segments
        clauses = clauses_of(texts)
        multi = [row for row, parts in enumerate(clauses) if len(parts) > 1]
        out: list[tuple[list[str], np.ndarray]] = [
            (parts, embeddings[row : row + 1]) for row, parts in enumerate(clauses)
        ]
        if not multi:
            return out
        encode_parts = getattr(self.embedder, "encode_parts", None)
        if encode_parts is not None:  # one pass per text, each clause pooled from the text's tokens
            vectors = encode_parts([texts[row] for row in multi], [clauses[row] for row in multi])[1]
        else:
            flat = np.asarray(self.embedder.encode([part for row in multi for part in clauses[row]]), dtype=np.float32)
            bounds = np.cumsum([len(clauses[row]) for row in multi])[:-1]
            vectors = np.split(flat, bounds)
        for row, matrix in zip(multi, vectors, strict=True):
            out[row] = (clauses[row], matrix)
        return out

    def _detect(
        self, texts: Sequence[str], embeddings: np.ndarray, segments: list[tuple[list[str], np.ndarray]]
    ) -> tuple[list[list[tuple[str, float]]], list[tuple[np.ndarray, np.ndarray]]]:
        """Per text: the aspects ``(name, relevance)`` and the per-clause ``(scores, keyword)`` matrices.

        The whole text decides for learned aspects (the head was trained on whole texts); a zero-shot
        aspect or a keyword counts when found in the text or in any one clause.
        """
        scores, tagged, keyword = self._evidence(texts, embeddings)
        # Every clause of every multi-clause text, scored in one batch.
        multi = [row for row, (parts, _) in enumerate(segments) if len(parts) > 1]
        flat_parts = [part for row in multi for part in segments[row][0]]
        if flat_parts:
            flat_vectors = np.vstack([segments[row][1] for row in multi])
            flat_scores, flat_tagged, flat_keyword = self._evidence(flat_parts, flat_vectors, learned=False)
        names = self.taxonomy.names
        detections: list[list[tuple[str, float]]] = []
        per_clause: list[tuple[np.ndarray, np.ndarray]] = []
        cursor = 0
        for row, (parts, _) in enumerate(segments):
            if len(parts) > 1:
                clause_scores = flat_scores[cursor : cursor + len(parts)]
                clause_tagged = flat_tagged[cursor : cursor + len(parts)]
                clause_keyword = flat_keyword[cursor : cursor + len(parts)]
                cursor += len(parts)
                best = np.maximum(scores[row], clause_scores.max(axis=0))
                found = tagged[row] | clause_tagged.any(axis=0)
            else:
                clause_scores, best, found = scores[row : row + 1], scores[row], tagged[row]
                # The one clause is the text, at most without surrounding white space (never a word
                # character, so the same keywords match): the text's own keyword row serves.
                if parts[0].strip() == texts[row].strip():
                    clause_keyword = keyword[row : row + 1]
                else:
                    clause_keyword = np.array([self.keyword_hits(parts[0])], dtype=bool).reshape(1, -1)
            relevance = 1.0 / (1.0 + np.exp(-best))
            hits = [(names[i], float(relevance[i])) for i in np.flatnonzero(found)]
            detections.append(sorted(hits, key=lambda hit: -hit[1]))
            per_clause.append((clause_scores, clause_keyword))
        return detections, per_clause

    def detect(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None, segments: Segments | None = None
    ) -> list[list[tuple[str, float]]]:
        """The aspects of each text as ``(name, relevance)``, most relevant first (no sentiment)."""
        texts = [text or "" for text in texts]
        if embeddings is None:
            embeddings = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        return self._detect(texts, embeddings, self._segments(texts, embeddings, segments))[0]

    # --- tagging with aspect-level sentiment -------------------------------------------------------------

    def tag(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        segments: Segments | None = None,
        layered_clauses: list[np.ndarray] | None = None,
    ) -> list[list[AspectHit]]:
        """The aspects of each text, each with the sentiment of the clause that carries it.

        ``embeddings`` and ``segments`` (the texts' clauses and their vectors) are computed when not given.
        ``layered_clauses`` are the same clauses' layered vectors, for a sentiment model that reads those
        (without them it embeds the carrying clauses itself).
        """
        texts = [text or "" for text in texts]
        if embeddings is None:
            embeddings = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        if segments is None:
            layered_clauses = None  # they belong to the given segments only
        segments = self._segments(texts, embeddings, segments)
        clause_vectors = self.sentiment.pick([vectors for _, vectors in segments], layered_clauses)
        detected, per_clause = self._detect(texts, embeddings, segments)

        names = self.taxonomy.names
        carriers: list[list[tuple[str, int]]] = []  # per text: (aspect, index into the clauses to score)
        sentiment_texts: list[str] = []
        sentiment_vectors: list[np.ndarray] = []
        for row, hits in enumerate(detected):
            parts = segments[row][0]
            clause_scores, keyword = per_clause[row]
            scored: dict[int, int] = {}
            row_carriers: list[tuple[str, int]] = []
            for name, _ in hits:
                index = names.index(name)
                # A clause naming the aspect wins; among equals, the one scoring highest for it.
                best = int(np.lexsort((clause_scores[:, index], keyword[:, index]))[-1])
                if best not in scored:
                    sentiment_texts.append(parts[best])
                    if clause_vectors is not None:
                        sentiment_vectors.append(clause_vectors[row][best])
                    scored[best] = len(sentiment_texts) - 1
                row_carriers.append((name, scored[best]))
            carriers.append(row_carriers)

        results = (
            self.sentiment.predict(sentiment_texts, np.vstack(sentiment_vectors) if sentiment_vectors else None)
            if sentiment_texts
            else []
        )
        out: list[list[AspectHit]] = []
        for row, hits in enumerate(detected):
            relevance = dict(hits)
            out.append(
                [
                    AspectHit(
                        name=name,
                        sentiment=results[position].label,
                        score=float(results[position].score),
                        confidence=float(results[position].confidence),
                        department=self.taxonomy.department_of(name),
                        relevance=relevance[name],
                        clause=sentiment_texts[position],
                    )
                    for name, position in carriers[row]
                ]
            )
        return out

    def department(self, hits: list[AspectHit]) -> str | None:
        """The department owning the dominant aspect: the most relevant one, complaints weighing more.

        Aspects without an owner are passed over; ``None`` when no hit has one.
        """
        owned = [hit for hit in hits if hit.department]
        if not owned:
            return None
        best = max(owned, key=lambda h: h.relevance * (NEGATIVE_WEIGHT if h.sentiment == "negative" else 1.0))
        return best.department
