"""Fixed cue phrases as one regular-expression alternation, shared by the enrichers' cue lists."""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(phrases: Iterable[str]) -> str:
    """``a|b|c`` of the escaped phrases, longest first: where one phrase is the start of another ("never" and
    "never again"), the longer one is the one that matches."""
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
