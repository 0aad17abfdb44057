"""Split a review into the clauses that each carry one opinion.

"The food was great but the waiter was rude" holds two opinions about two aspects; scoring each aspect
with the sentiment of the whole sentence would give both a mixed verdict. We cut at sentence ends and at
contrastive words ("but", "however", "although", "though", "yet", "whereas", "except", "while" when it
opens a clause) and at semicolons. Cuts that would leave a fragment of fewer than ``MIN_WORDS`` words are
not made, so "Great, but pricey" stays one clause only when a side is too short to say anything alone.
"""

from __future__ import annotations

import re

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
