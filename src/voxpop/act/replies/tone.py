"""The tone check: catch an aggressive, defensive, blaming, sarcastic, dismissive or over-promising
reply before it goes out, show the phrases that triggered it and offer a softer wording for each.

The rules (:mod:`voxpop.act.replies.tone_rules`) are phrase patterns written with their variants
(contractions, tenses, word order, curly apostrophes, a few words in between) rather than fixed strings,
in English and the core phrases in Spanish, French and German; plus shouting (ALL CAPS) and a row of
exclamation marks. The benchmark (``benchmarks/bench_tone.py``) measures false alarms on real, polite
business replies and recall on hostile ones.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from voxpop.act.replies.tone_rules import RULES

if TYPE_CHECKING:
    from voxpop.act.replies.tone_model import ToneModel

CATEGORIES = ("aggressive", "defensive", "blaming", "sarcastic", "dismissive", "over-promising", "shouting", "hostile")


@dataclass(frozen=True)
class ToneFlag:
    category: str
    phrase: str
    start: int
    end: int
    suggestion: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ToneReport:
    text: str
    flags: list[ToneFlag]

    @property
    def ok(self) -> bool:
        return not self.flags

    def categories(self) -> list[str]:
        return sorted({f.category for f in self.flags})

    def segments(self) -> list[tuple[str, ToneFlag | None]]:
        """The text cut into plain and flagged pieces, in order (for highlighting)."""
        out: list[tuple[str, ToneFlag | None]] = []
        at = 0
        for flag in sorted(self.flags, key=lambda f: f.start):
            if flag.start < at:
                continue
            if flag.start > at:
                out.append((self.text[at : flag.start], None))
            out.append((self.text[flag.start : flag.end], flag))
            at = flag.end
        if at < len(self.text):
            out.append((self.text[at:], None))
        return out


LEARNED_SUGGESTION = "rephrase it warmly: acknowledge, apologise where it is due, and offer a next step"

# Words in capitals that are not shouting.
_ACRONYMS = "OK FAQ USA UK EU US ID PIN SMS VIP WIFI TV AC GPS PDF URL API ATM ASAP CEO HR IT QR NYC LA DM PM AM CC"
ACRONYMS = frozenset((_ACRONYMS + " CVV IBAN VAT GDPR SLA TSA FAA BA AA UA FYI PS").split(" "))
_CAPS_RUN = re.compile(r"\b[A-ZÀ-Ý][A-ZÀ-Ý'’]+(?:[\s,]+[A-ZÀ-Ý][A-ZÀ-Ý'’]+)*\b")
_BANG = re.compile(r"[!?]*!{2,}[!?1]*|[!?]{3,}")


def _shouting(text: str) -> list[ToneFlag]:
    flags: list[ToneFlag] = []
    for match in _CAPS_RUN.finditer(text):
        words = [w for w in re.split(r"[\s,]+", match.group()) if w]
        loud = [w for w in words if w.strip("'’") not in ACRONYMS and len(w) >= 2]
        if (len(loud) >= 2 and sum(len(w) for w in loud) >= 6) or any(len(w) >= 6 for w in loud):
            flags.append(
                ToneFlag(
                    "shouting",
                    match.group(),
                    match.start(),
                    match.end(),
                    match.group().capitalize(),
                    "capitals read as shouting",
                )
            )
    for match in _BANG.finditer(text):
        flags.append(
            ToneFlag(
                "shouting",
                match.group(),
                match.start(),
                match.end(),
                "!" if "!" in match.group() else ".",
                "a row of exclamation marks reads as shouting",
            )
        )
    return flags


def check_tone(text: str, model: ToneModel | None = None) -> ToneReport:
    """Every flagged phrase in ``text``, in order, overlaps removed (the first, longest match wins).

    With ``model`` (:mod:`voxpop.act.replies.tone_model`), a sentence no rule flagged but the model
    scores as hostile is flagged too, as a whole.
    """
    normalised = text.replace("’", "'").replace("‘", "'")  # same length: offsets stay valid
    found: list[ToneFlag] = []
    for rule in RULES:
        for match in rule.pattern.finditer(normalised):
            start, end = match.span()
            while start < end and not normalised[start].isalnum():  # patterns may take leading punctuation
                start += 1
            while end > start and normalised[end - 1] in ",.!":
                end -= 1
            if end > start:
                found.append(ToneFlag(rule.category, text[start:end], start, end, rule.suggestion, rule.why))
    found.extend(_shouting(text))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[ToneFlag] = []
    for flag in found:
        if kept and flag.start < kept[-1].end:
            continue
        kept.append(flag)
    if model is not None and text.strip():
        span = model.hostile_span(text)
        if span is not None and not any(f.start < span[1] and span[0] < f.end for f in kept):
            why = f"the reply reads as hostile to the tone model ({span[2]:.2f})"
            kept.append(ToneFlag("hostile", text[span[0] : span[1]], span[0], span[1], LEARNED_SUGGESTION, why))
            kept.sort(key=lambda f: f.start)
    return ToneReport(text=text, flags=kept)
