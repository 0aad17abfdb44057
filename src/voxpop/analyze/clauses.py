"""Split a review into the clauses that each carry one opinion.

"The food was great but the waiter was rude" holds two opinions about two aspects; scoring each aspect
with the sentiment of the whole sentence would give both a mixed verdict. We cut at sentence ends and at
contrastive words ("but", "however", "although", "though", "yet", "whereas", "except", "while" when it
opens a clause) and at semicolons. Cuts that would leave a fragment of fewer than ``MIN_WORDS`` words are
not made, so "Great, but pricey" stays one clause only when a side is too short to say anything alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

MIN_WORDS = 2

# Sentence ends: . ! ? … (one or more) followed by a space, or a line break. Decimal points ("4.5 stars")
# and abbreviations with no space after the dot are left alone.
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\s*[\r\n]+\s*")
# A contrastive connective starts a new clause; the word stays with the clause it opens.
_CONTRAST = re.compile(
    r"(?:[,;:]\s*|\s+|\s*[-–—]+\s*)(?=(?:but|however|although|though|yet|whereas|except|nevertheless|"
    r"nonetheless|on the other hand|even though|while|apart from|other than that|unfortunately)\b)",
    re.IGNORECASE,
)
_SEMICOLON = re.compile(r"\s*;\s*")
_WORD = re.compile(r"\w+")


class Encoder(Protocol):
    """Anything that turns texts into unit vectors (``voxpop.analyze.embeddings.Embedder``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _split_keeping_short(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Cut ``text`` where ``pattern`` matches, skipping a cut that would leave a too-short piece.

    Pieces are slices of the original text, so punctuation and spacing inside a clause are kept.
    """
    cuts = [(m.start(), m.end()) for m in pattern.finditer(text) if m.start() > 0 and m.end() < len(text)]
    pieces: list[str] = []
    begin = 0
    for end_of_piece, next_begin in cuts:
        piece, rest = text[begin:end_of_piece], text[next_begin:]
        if _words(piece) >= MIN_WORDS and _words(rest) >= MIN_WORDS:
            pieces.append(piece.strip())
            begin = next_begin
    pieces.append(text[begin:].strip())
    return [piece for piece in pieces if piece]


def split_clauses(text: str) -> list[str]:
    """The clauses of ``text`` in order; a text with one opinion comes back as one clause.

    >>> split_clauses("The food was great but the waiter was rude.")
    ['The food was great', 'but the waiter was rude.']
    """
    text = (text or "").strip()
    if not text:
        return []
    clauses: list[str] = []
    for sentence in _split_keeping_short(text, _SENTENCE):
        for part in _split_keeping_short(sentence, _SEMICOLON):
            clauses.extend(_split_keeping_short(part, _CONTRAST))
    return clauses or [text]


#: Per text: its clauses and their ``(clauses, 384)`` vectors.
Segments = list[tuple[list[str], np.ndarray]]


def clauses_of(texts: Sequence[str]) -> list[list[str]]:
    """Each text's clauses (a text with none, e.g. empty, is its own one clause)."""
    return [split_clauses(text) or [text] for text in texts]


def embed_with_clauses(
    encoder: Encoder, texts: Sequence[str], batch_size: int = 64
) -> tuple[np.ndarray, Segments | None]:
    """The texts' vectors and each text's clauses with theirs, from one forward pass per text.

    ``None`` for the clauses when ``encoder`` cannot pool parts of a text (then :meth:`AspectTagger.tag`
    embeds the clauses itself).
    """
    encode_parts = getattr(encoder, "encode_parts", None)
    if encode_parts is None:
        return np.asarray(encoder.encode(list(texts)), dtype=np.float32), None
    clauses = clauses_of(texts)
    vectors, parts = encode_parts(list(texts), clauses, batch_size)
    return vectors, list(zip(clauses, parts, strict=True))
