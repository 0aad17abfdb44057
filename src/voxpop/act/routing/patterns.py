"""Regular expressions that cannot backtrack catastrophically: RE2 (linear time in the input's length).

RE2 refuses what would need backtracking (back-references, look-around), bounds its own memory and runs
every pattern in time proportional to the text — so a hostile review cannot stall routing. A pattern
RE2 rejects, or one longer than ``MAX_PATTERN``, is refused when the rule is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]


class PatternError(ValueError):
    """A pattern voxpop will not run; the message says why (the caller names the field)."""


MAX_PATTERN = 500
MAX_PROGRAM_MEMORY = 1 << 22  # 4 MiB per compiled pattern
# Every text is cut to this many characters before matching (a review is never longer).
MAX_TEXT = 100_000


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_PROGRAM_MEMORY
    options.log_errors = False
    options.case_sensitive = False
    return options


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The compiled, case-insensitive RE2 pattern, or PatternError saying why not."""
    if not pattern.strip():
        raise PatternError("the pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(
            f"{pattern!r} is not a pattern voxpop can run safely ({reason}); back-references and "
            "look-arounds are not supported"
        ) from None


@lru_cache(maxsize=512)
def keyword_pattern(keywords: tuple[str, ...]) -> Any:
    """One pattern matching any of ``keywords`` as whole words or phrases, ignoring case."""
    alternatives = "|".join(re2.escape(k.strip()) for k in keywords if k.strip())
    return compile_pattern(rf"\b(?:{alternatives})\b")


def search(pattern: Any, text: str) -> str | None:
    """The first match of ``pattern`` in ``text`` (cut to ``MAX_TEXT``), or None."""
    found = pattern.search(text[:MAX_TEXT])
    return str(found.group(0)) if found else None


def check_keywords(keywords: Sequence[str]) -> list[str]:
    cleaned = [k.strip() for k in keywords if k.strip()]
    if any(len(k) > 100 for k in cleaned):
        raise PatternError("a keyword is longer than 100 characters")
    if cleaned:
        keyword_pattern(tuple(cleaned))
    return cleaned
