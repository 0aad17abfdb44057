"""Language of each item: lingua, restricted to ``settings.languages``.

Two stages keep it fast *and* right on short social posts. lingua's low-accuracy mode (trigrams only,
about 15k texts/s here) decides first; it often calls a short English "thank you!" German, so a verdict
for any language other than the first configured one (the business's main language) is re-checked with
the high-accuracy detector, which is slower but is only asked about those few texts. Handles, links and
hashtags are removed first (they are not language), and a text with fewer than ``MIN_LETTERS`` letters —
"ok", "👍👍", "!!!" — gets ``None`` rather than a guess, as does one where lingua hesitates between two.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from voxpop.analyze.registry import AnalysisContext, Batch, register

MIN_LETTERS = 4
MIN_RELATIVE_DISTANCE = 0.25
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=8)
def _detectors(languages: tuple[str, ...]) -> tuple[LanguageDetector, LanguageDetector]:
    """The (fast, accurate) detector pair for these ISO 639-1 codes, built once per process."""
    codes = []
    for code in languages:
        try:
            codes.append(getattr(IsoCode639_1, code.upper()))
        except AttributeError:
            raise ValueError(f"unknown language code {code!r} in settings.languages") from None
    if len(codes) == 1:
        # lingua needs two languages to choose between; a one-language install still detects "not this".
        codes.append(IsoCode639_1.EN if codes[0] != IsoCode639_1.EN else IsoCode639_1.ES)
    fast = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_low_accuracy_mode()
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )
    accurate = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )
    return fast, accurate


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text)


def detect_languages(texts: Sequence[str], languages: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code per text, or ``None`` for a text too short, symbol-only or ambiguous to tell."""
    fast, accurate = _detectors(tuple(languages))
    primary = languages[0].lower() if languages else "en"
    found: list[str | None] = []
    for text in texts:
        cleaned = _clean(text)
        if len(_LETTER.findall(cleaned, 0, 400)) < MIN_LETTERS:
            found.append(None)
            continue
        language = fast.detect_language_of(cleaned)
        code = None if language is None else language.iso_code_639_1.name.lower()
        if code is not None and code != primary:
            language = accurate.detect_language_of(cleaned)
            code = None if language is None else language.iso_code_639_1.name.lower()
        found.append(code)
    return found


def _warm(languages: tuple[str, ...]) -> None:
    """Load the accurate models off the critical path, so the first batch is not slowed by them."""
    _, accurate = _detectors(languages)
    accurate.detect_language_of("Ceci est une phrase pour charger les modèles")


@register
class LanguageEnricher:
    """Sets ``language``; later enrichers (sentiment) read it to temper what an English model says."""

    name = "language"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.languages = tuple(code.lower() for code in context.settings.languages) or ("en",)
        _detectors(self.languages)
        threading.Thread(target=_warm, args=(self.languages,), daemon=True).start()

    def enrich(self, batch: Batch) -> None:
        for result, code in zip(batch.results, detect_languages(batch.texts, self.languages), strict=True):
            result["language"] = code


def language_of(text: str, languages: Sequence[str] = ("en", "es", "fr", "de", "it", "pt", "nl")) -> str | None:
    """One text's language (a convenience for callers outside the pipeline)."""
    return detect_languages([text], languages)[0]
