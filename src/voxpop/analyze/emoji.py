"""Emoji read as the feeling they carry: "😡😡" becomes "angry angry" for the models and the lexicon.

The embedding model's WordPiece vocabulary has no emoji (each becomes ``[UNK]``), VADER knows a handful
(and reads 🔥 as negative), and voxpop's training sentences hold 13 emoji in 29,000 lines, so before this a
"👍" or "😡😡😡" answer read neutral. :func:`gloss` puts one plain English word in place of each emoji that
carries a feeling, from ``resources/emoji_polarity.tsv`` — 215 emoji with a polarity from -2 to 2 and a
word, written for voxpop by its developers from their own knowledge, not derived from any data set. Emoji
used both ways (😂, 😭, 💀, 🙃) and objects (✈, 📦) are left as they are. Skin-tone modifiers and the
emoji-presentation selector are ignored when looking an emoji up.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: U+FE0F (emoji presentation) and the five skin-tone modifiers, which do not change the feeling.
_MODIFIERS = "\ufe0f" + "".join(chr(code) for code in range(0x1F3FB, 0x1F400))


@lru_cache(maxsize=1)
def words() -> dict[str, str]:
    """Emoji (without modifiers) -> the word read in its place, for the emoji that carry a feeling."""
    table: dict[str, str] = {}
    text = resources.files("voxpop.analyze").joinpath("resources", "emoji_polarity.tsv").read_text("utf-8")
    for number, line in enumerate(text.splitlines()[1:], start=2):
        emoji, polarity, word = [*line.split("\t"), "", ""][:3]
        if not emoji or not polarity.lstrip("-").isdigit():
            raise ValueError(f"emoji_polarity.tsv, line {number}: expected emoji, polarity, word")
        if int(polarity) != 0 and word:
            table[emoji.replace("\ufe0f", "")] = word
    return table


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alternation = "|".join(re.escape(emoji) for emoji in sorted(words(), key=len, reverse=True))
    return re.compile(rf"(?:{alternation})[{_MODIFIERS}]*")


def gloss(text: str) -> str:
    """``text`` with each emoji that carries a feeling replaced by its word, spaced from its neighbours."""
    if text.isascii():
        return text
    table = words()
    return _pattern().sub(lambda found: f" {table[found.group(0).rstrip(_MODIFIERS)]} ", text)
