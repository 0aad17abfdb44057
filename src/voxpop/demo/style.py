"""Making composed text read like people type: sentence case, typos, lower case, emoji, shouting."""

from __future__ import annotations

import random
import re

_WORD = re.compile(r"[A-Za-z]{4,}")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def sentence_case(text: str) -> str:
    """Capitalise the first letter of each sentence, leaving the rest alone."""
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: swapped, dropped or doubled letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.75:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def add_typos(text: str, rng: random.Random, count: int) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    chosen = sorted(rng.sample(words, min(count, len(words))), key=lambda m: m.start(), reverse=True)
    for match in chosen:
        text = text[: match.start()] + typo(match.group(0), rng) + text[match.end() :]
    return text


def shout(text: str, rng: random.Random) -> str:
    """Put one word of an angry text in capitals."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    match = rng.choice(words)
    return text[: match.start()] + match.group(0).upper() + text[match.end() :]


def stylise(text: str, rng: random.Random, *, mood: str, emoji: list[str], casual: float = 0.0) -> str:
    """Apply a person's habits to ``text``. ``casual`` (0–1) raises the odds of lower case and emoji."""
    text = sentence_case(text)
    if rng.random() < 0.13:
        text = add_typos(text, rng, rng.choice((1, 1, 2, 3)))
    if mood == "neg" and rng.random() < 0.07:
        text = shout(text, rng)
    if rng.random() < 0.12 + 0.35 * casual:
        text = text.lower()
    if text and text[-1] not in ".!?" and rng.random() < 0.55:
        text += "!" if mood == "pos" and rng.random() < 0.4 else "."
    if mood != "neu" and rng.random() < 0.05 + 0.25 * casual:
        text = text.rstrip(".") + "!!" if rng.random() < 0.5 else text
    if emoji and rng.random() < 0.12 + 0.4 * casual:
        text += " " + "".join(rng.choice(emoji) for _ in range(rng.choice((1, 1, 1, 2, 3))))
    return text
