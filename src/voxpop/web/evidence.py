"""The analysis's evidence in words, for the item page and the inbox: why an item is suspected fake, what its
urgency is made of, and how its sentiment was read when the English model did not read it alone. The scores
stay next to it; the raw JSON stays under "Evidence"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voxpop.analyze.authenticity import SUSPECTED

URGENCY_FACTORS = {
    "negativity": "negative sentiment",
    "escalation": "escalation language",
    "time_pressure": "time pressure",
    "low_rating": "low rating",
    "reach": "audience",
    "velocity": "engagement per hour",
}


@dataclass(frozen=True)
class EvidenceLine:
    text: str
    item_id: int | None = None  # another item the line points at (a near-duplicate), when stored here


def _evidence(analysis: Mapping[str, Any] | None) -> Mapping[str, Any]:
    found = (analysis or {}).get("evidence")
    return found if isinstance(found, Mapping) else {}


def _item_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def authenticity_lines(analysis: Mapping[str, Any] | None) -> list[EvidenceLine]:
    """One sentence per signal behind an item's authenticity risk, in the order the analysis found them."""
    lines: list[EvidenceLine] = []
    signals = _evidence(analysis).get("authenticity")
    for signal in signals if isinstance(signals, list) else []:
        if not isinstance(signal, Mapping):
            continue
        kind = signal.get("signal")
        if kind == "near_duplicate":
            alike = signal.get("similarity")
            share = f" ({alike:.0%} alike)" if isinstance(alike, int | float) else ""
            who = "by the same author" if signal.get("same_author") else "under another author"
            other = signal.get("similar_to")
            lines.append(EvidenceLine(f"Nearly the same text as item {other}{share}, {who}.", _item_id(other)))
        elif kind == "burst":
            extreme = ", every one rated 1★ or 5★" if signal.get("all_extreme_ratings") else ""
            lines.append(
                EvidenceLine(
                    f"One of {signal.get('items_in_24h')} items for {signal.get('place')} within 24 hours"
                    f" (usually {signal.get('usual_per_day')} a day){extreme}."
                )
            )
        elif kind == "author_pattern":
            lines.append(
                EvidenceLine(
                    f"{signal.get('author')} posted {signal.get('reviews_in_7_days')} reviews within 7 days, "
                    "every one rated 1★ or 5★."
                )
            )
        elif kind == "linguistic":
            p = signal.get("probability")
            if isinstance(p, int | float):
                lean = "leans deceptive" if p > 0.5 else "does not lean deceptive"
                lines.append(EvidenceLine(f"The wording {lean} (your authenticity model: {p:.0%} deceptive)."))
    return lines


def urgency_parts(analysis: Mapping[str, Any] | None) -> str:
    """The factors that raised an item's urgency, largest first ("escalation language 1.00, …")."""
    factors = _evidence(analysis).get("urgency")
    if not isinstance(factors, Mapping):
        return ""
    present = [
        (float(value), label)
        for key, label in URGENCY_FACTORS.items()
        if isinstance(value := factors.get(key), int | float) and value > 0
    ]
    return ", ".join(f"{label} {value:.2f}" for value, label in sorted(present, reverse=True))


LANGUAGE_NAMES = {"es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}


def sentiment_note(analysis: Mapping[str, Any] | None) -> str:
    """How the sentiment of an item was read when not from its English words alone, in one sentence; else ""."""
    found = _evidence(analysis).get("sentiment")
    if not isinstance(found, Mapping):
        return ""
    decided = found.get("decided_by")
    if decided == "text+rating":
        sure = found.get("text_confidence")
        sure_text = f" ({float(sure):.0%} sure)" if isinstance(sure, int | float) else ""
        return f"The words alone read {found.get('text_label')}{sure_text}; the customer's own rating outweighed them."
    script = found.get("script")
    if isinstance(script, str):
        how = "the star rating decided" if decided == "rating" else "no sentiment is given"
        return f"Written in {script.title()} script, which the sentiment model does not read: {how}."
    code = found.get("language")
    language = LANGUAGE_NAMES.get(code, f"language {code!r}") if isinstance(code, str) else "another language"
    if decided in ("lexicon", "lexicon+rating"):
        words = found.get("words")
        quoted = [f"“{w['text']}”" for w in words if isinstance(w, Mapping)][:5] if isinstance(words, list) else []
        rating = " and the star rating" if decided == "lexicon+rating" else ""
        return f"Read with voxpop's {language} word list{rating}" + (f": {', '.join(quoted)}." if quoted else ".")
    if decided == "rating":
        return f"In {language}, which the sentiment model does not read: the star rating decided."
    if "confidence_factor" in found:
        return f"In {language}, with no word voxpop knows: the English model's reading, at half confidence."
    return ""


def transcript_note(analysis: Mapping[str, Any] | None) -> str:
    """For a conversation pasted as one text: whose turns the analysis read ("" for anything else)."""
    found = _evidence(analysis).get("transcript")
    if not isinstance(found, Mapping) or not isinstance(found.get("customer"), str):
        return ""
    turns = found.get("customer_turns")
    count = f" ({turns} turn{'s' if turns != 1 else ''})" if isinstance(turns, int) else ""
    return f"A conversation: analysed from the turns of “{found['customer']}”{count}, not the business's side."


def suspected(risk: float | None) -> bool:
    return risk is not None and risk >= SUSPECTED
