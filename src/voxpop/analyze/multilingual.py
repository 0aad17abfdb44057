"""Sentiment for items in Spanish, French, German, Italian, Portuguese and Dutch, from voxpop's own lexicons.

voxpop's sentiment model reads English only, so an item in another language used to keep whatever an
English model made of it ("Das Essen war kalt … Nie wieder!" came out positive). This module scores such
an item with a small hand-written lexicon per language (``resources/lexicons/<code>.tsv``, written for
voxpop): customer-feedback words and phrases with a polarity weight, negators, intensifiers,
diminishers and contrast words. It is deliberately simple and explainable — the result lists the words
that decided, so an agent can see why an item was called negative.

How a text is scored:

* Text is lower-cased and accents are removed, so "pésimo", "Pesimo" and "PÉSIMO" match; each word is
  reduced to a light *key* (Romance languages: the final plural ``s`` and the gender vowel go, so
  "sucio/sucia/sucios/sucias" share one key; German and Dutch: one or two inflection endings go). Lexicon
  entries are reduced the same way, so one base form covers its inflections.
* Multi-word entries ("nunca más", "vale la pena", "finger weg") are matched first, longest first.
* A negator ("no", "pas", "nicht", "non", "não", "niet"…) flips the next polar word within
  ``NEGATION_WINDOW`` words of its clause; a flipped word weighs less (``NEGATED_FACTOR``): "not bad" is
  mildly positive, not praise. Intensifiers ("muy", "très", "sehr"…) and diminishers ("un peu", "etwas")
  scale the next polar word.
* Clauses are cut at punctuation and at contrast words ("pero", "mais", "aber", "ma", "mas", "maar"): the
  clause after a contrast weighs ``AFTER_CONTRAST`` and the one before ``BEFORE_CONTRAST`` ("good food
  but rude staff" is a complaint). A concessive clause ("aunque…", "obwohl…") weighs ``CONCESSIVE``, and a
  question's polar words count less (``QUESTION``): "is the breakfast good?" is not praise.

The verdict: the sum of the weighted hits, mapped into ``[-1, 1]`` by ``tanh``; ``None`` when no lexicon
word was found (then the caller keeps its previous behaviour).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

#: Languages with a lexicon (those voxpop's language detector knows besides English).
LANGUAGES = ("es", "fr", "de", "it", "pt", "nl")
#: Words after a negator that it can still reach ("no es nada malo": three).
NEGATION_WINDOW = 3
#: Words after an intensifier or diminisher that it can still reach.
MODIFIER_WINDOW = 2
#: A negated word's weight is multiplied by this (the sign flips, the strength shrinks).
NEGATED_FACTOR = -0.6
#: Clause weights around a contrast word, in a concessive clause and in a question.
AFTER_CONTRAST = 1.5
BEFORE_CONTRAST = 0.5
CONCESSIVE = 0.5
QUESTION = 0.2
#: Below this absolute total, the verdict is neutral (mixed or faint evidence).
NEUTRAL_BAND = 0.5
#: Totals are divided by this before ``tanh``: a total of 2 (one strong word) scores about 0.76.
SCORE_SCALE = 2.0
#: Confidence bounds: never above the English model's usual confidence on clear English items, and the
#: faintest evidence starts from the bottom of the range.
MIN_CONFIDENCE = 0.4
MAX_CONFIDENCE = 0.85
#: The total at which confidence has covered about 63 % of its range.
CONFIDENCE_SCALE = 2.5

_KINDS = frozenset({"w", "neg", "int", "dim", "but", "though", "x"})
_TOKEN = re.compile(r"[^\W\d_]+")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\s*[\r\n]+\s*")
_CLAUSE = re.compile(r"[;:,()\"«»]+|\s[-–—]+\s")
_ROMANCE = frozenset({"es", "fr", "it", "pt"})
_GERMANIC_ENDINGS = ("ern", "em", "en", "er", "es", "e", "s", "n")
_SUPERLATIVE = {"es": "isim", "it": "issim", "pt": "issim"}


def fold(text: str) -> str:
    """Lower-case, strip accents and turn apostrophes/hyphens into spaces ("L'Attente" → "l attente")."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"['’`´\-]", " ", text)


def word_key(word: str, language: str) -> str:
    """The inflection-free key of one folded word: both lexicon entries and text words are reduced so."""
    if language in _ROMANCE:
        key = word
        if len(key) > 3 and key[-1] in "sx":
            key = key[:-1]
        if len(key) > 3 and key[-1] in "aeoi":
            key = key[:-1]
        return key
    key = word
    for _ in range(2):
        for ending in _GERMANIC_ENDINGS:
            if key.endswith(ending) and len(key) - len(ending) >= 4:
                key = key[: -len(ending)]
                break
        else:
            break
    return key


@dataclass(frozen=True, slots=True)
class Hit:
    """One lexicon word or phrase found in a text, and what it contributed."""

    text: str  # as written in the item
    weight: float  # the lexicon's weight
    contribution: float  # after negation, modifiers and the clause's weight
    negated: bool = False


@dataclass(frozen=True, slots=True)
class LexiconVerdict:
    """What the lexicon makes of a text: ``label`` is ``None`` when no lexicon word was found."""

    label: str | None
    score: float
    confidence: float
    total: float
    hits: tuple[Hit, ...] = field(default_factory=tuple)

    def deciding(self, limit: int = 6) -> list[dict[str, object]]:
        """The hits that pushed toward the verdict, strongest first (all hits for a neutral verdict)."""
        sign = 0.0 if self.label in (None, "neutral") else math.copysign(1.0, self.total)
        chosen = [h for h in self.hits if sign == 0.0 or h.contribution * sign > 0]
        chosen.sort(key=lambda h: -abs(h.contribution))
        return [
            {"text": h.text, "weight": h.weight, "contribution": round(h.contribution, 3), "negated": h.negated}
            for h in chosen[:limit]
        ]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's entries, keyed by the tuple of their words' keys."""

    language: str
    polar: dict[tuple[str, ...], float]
    modifiers: dict[tuple[str, ...], tuple[str, float]]  # key -> (kind, factor)
    longest: int

    def starts_negated(self, key: str) -> bool:
        """Whether ``key`` is a one-word negator."""
        entry = self.modifiers.get((key,))
        return entry is not None and entry[0] == "neg"

    def match(self, keys: list[str], start: int) -> tuple[int, str, float] | None:
        """The longest entry starting at ``keys[start]``: (length, kind, weight), or ``None``."""
        for length in range(min(self.longest, len(keys) - start), 0, -1):
            span = tuple(keys[start : start + length])
            if span in self.modifiers:
                kind, factor = self.modifiers[span]
                return length, kind, factor
            if span in self.polar:
                return length, "w", self.polar[span]
        return None


def parse_lexicon(language: str, text: str) -> Lexicon:
    """Read a lexicon file: ``term<TAB>kind<TAB>weight`` per line, ``#`` comments and blank lines skipped.

    ``kind`` is ``w`` (a polar word or phrase, weight in about ``[-3, 3]``), ``neg`` (negator), ``int`` /
    ``dim`` (intensifier / diminisher, weight a multiplier), ``but`` (contrast: the next clause counts
    more), ``though`` (concessive: its own clause counts less) or ``x`` (a set phrase that is no opinion,
    "buenos días", "merci d'avance": it is skipped, so its words neither score nor count as evidence). A
    later line overrides an earlier one.
    """
    polar: dict[tuple[str, ...], float] = {}
    modifiers: dict[tuple[str, ...], tuple[str, float]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in _KINDS:
            raise ValueError(f"lexicon {language}, line {number}: expected term<TAB>kind<TAB>weight, got {line!r}")
        term, kind, weight = parts[0], parts[1], float(parts[2])
        key = tuple(word_key(w, language) for w in _TOKEN.findall(fold(term)))
        if not key:
            raise ValueError(f"lexicon {language}, line {number}: no word in {term!r}")
        if kind == "w":
            polar[key] = weight
            modifiers.pop(key, None)
        else:
            modifiers[key] = (kind, weight)
            polar.pop(key, None)
    longest = max((len(k) for k in (*polar, *modifiers)), default=1)
    return Lexicon(language, polar, modifiers, longest)


@lru_cache(maxsize=len(LANGUAGES))
def load_lexicon(language: str) -> Lexicon:
    """The shipped lexicon of ``language`` (read once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"no sentiment lexicon for language {language!r}")
    path = resources.files("voxpop.analyze").joinpath("resources", "lexicons", f"{language}.tsv")
    return parse_lexicon(language, path.read_text(encoding="utf-8"))


def _sentences(text: str) -> list[tuple[list[str], bool]]:
    """Sentences of ``text``, each as its clauses (cut at commas and the like) and whether it asks."""
    found: list[tuple[list[str], bool]] = []
    for sentence in _SENTENCE.split(text):
        if not sentence.strip():
            continue
        clauses = [piece for piece in _CLAUSE.split(sentence) if piece.strip()]
        found.append((clauses, "?" in sentence or "¿" in sentence))
    return found


def score_text(text: str, language: str) -> LexiconVerdict:
    """Score ``text`` with the lexicon of ``language`` (see the module docstring for the rules)."""
    lexicon = load_lexicon(language)
    hits: list[Hit] = []
    for clauses, question in _sentences(text):
        # (hit, its contrast segment, whether its clause is concessive), weighted once the sentence is read
        pending: list[tuple[Hit, int, bool]] = []
        segment = 0
        for clause in clauses:
            words = _TOKEN.findall(clause)
            keys = [word_key(fold(w).strip(), language) for w in words]
            concessive = False
            negate_until = modify_until = -1
            modifier = 1.0
            i = 0
            while i < len(keys):
                found = lexicon.match(keys, i) or _superlative(lexicon, keys[i], language)
                if found is None:
                    i += 1
                    continue
                length, kind, weight = found
                end = i + length
                if kind == "neg":
                    negate_until = end - 1 + NEGATION_WINDOW
                elif kind in ("int", "dim"):
                    modifier, modify_until = weight, end - 1 + MODIFIER_WINDOW
                elif kind == "but":
                    segment += 1
                    concessive = False
                    negate_until = modify_until = -1
                elif kind == "though":
                    concessive = True
                elif kind == "w":
                    # A phrase that holds its own negator ("pas cher", "no funciona") is not negated again.
                    value, negated = weight, i <= negate_until and not lexicon.starts_negated(keys[i])
                    if negated:
                        value *= NEGATED_FACTOR
                        negate_until = -1
                    if i <= modify_until:
                        value *= modifier
                        modify_until = -1
                    pending.append((Hit(" ".join(words[i:end]), weight, value, negated), segment, concessive))
                i = end
        for hit, part, concessive in pending:
            factor = 1.0
            if segment:
                factor = AFTER_CONTRAST if part == segment else BEFORE_CONTRAST
            if concessive:
                factor *= CONCESSIVE
            if question:
                factor *= QUESTION
            hits.append(Hit(hit.text, hit.weight, hit.contribution * factor, hit.negated))
    return _verdict(sum(h.contribution for h in hits), tuple(hits))


def _superlative(lexicon: Lexicon, key: str, language: str) -> tuple[int, str, float] | None:
    """Superlatives ("lentísimo", "gentilissimo"): the base word's entry, intensified."""
    suffix = _SUPERLATIVE.get(language)
    if suffix is None or not key.endswith(suffix) or len(key) - len(suffix) < 3:
        return None
    base = key[: -len(suffix)]
    for candidate in (base, base + "o", base + "e"):
        found = lexicon.polar.get((word_key(candidate, language),))
        if found is not None:
            return 1, "w", found * 1.5
    return None


def _verdict(total: float, hits: tuple[Hit, ...]) -> LexiconVerdict:
    if not hits:
        return LexiconVerdict(None, 0.0, 0.0, 0.0, ())
    if total >= NEUTRAL_BAND:
        label = "positive"
    elif total <= -NEUTRAL_BAND:
        label = "negative"
    else:
        label = "neutral"
    score = math.tanh(total / SCORE_SCALE)
    strength = 1.0 - math.exp(-abs(total) / CONFIDENCE_SCALE)
    # A neutral verdict (words that cancel out, or faint ones) is the least certain kind.
    confidence = MIN_CONFIDENCE + (MAX_CONFIDENCE - MIN_CONFIDENCE) * (0.0 if label == "neutral" else strength)
    return LexiconVerdict(label, score, confidence, total, hits)


def opinion_word_count(words: Sequence[str], language: str) -> int:
    """How many of ``words`` are one-word opinion entries of ``language``'s lexicon ("pessimo", "kalt").

    Evidence of the language for a short review that has too few function words for the language
    detector ("Servizio pessimo, cibo freddo e personale scortese." has one).
    """
    polar = load_lexicon(language).polar
    return sum((word_key(fold(word).strip(), language),) in polar for word in words)
