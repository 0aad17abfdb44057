"""Whether an item-level rule fires on an item: viral risk, low rating, a watched keyword."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from voxpop.act.alerts.rules import RuleKind
from voxpop.store.models import Item


def stars(rating: float | None) -> int | None:
    """The normalised 0–1 rating as 1–5 stars (the same rounding the pages show)."""
    if rating is None:
        return None
    return max(1, min(5, 1 + round(rating * 4)))


@lru_cache(maxsize=256)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # Escaped literals joined by |: no user-written regex, so no catastrophic backtracking.
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def matched_keywords(item: Item, keywords: list[str]) -> list[str]:
    text = f"{item.title or ''}\n{item.text or ''}"
    found = {m.group(0).lower() for m in _keyword_pattern(tuple(keywords)).finditer(text)}
    return [k for k in keywords if k.lower() in found]


def match(kind: str, params: dict[str, Any], item: Item) -> str | None:
    """Why the rule fires on ``item`` (a short reason), or None when it does not."""
    if kind == RuleKind.viral:
        if item.urgency is not None and item.urgency >= params["threshold"]:
            return f"viral risk {item.urgency:.2f} ≥ {params['threshold']:.2f}"
    elif kind == RuleKind.rating:
        n = stars(item.rating)
        if n is not None and n <= params["stars"]:
            return f"rated {n}★ (alert at ≤ {params['stars']}★)"
    elif kind == RuleKind.keyword:
        words = matched_keywords(item, params["keywords"])
        if words:
            return "mentions " + ", ".join(f"“{w}”" for w in words)
    return None
