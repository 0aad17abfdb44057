"""What each item will say: its mood, the aspects it touches and their polarity, and the story lines.

The story lines override the usual mix for a share of items once they have started, so the effects are
visible in the metrics: delivery complaints at Northgate after the courier change, price complaints
after the price rise, praise for the seasonal menu.
"""

from __future__ import annotations

import random

from voxpop.demo import business as biz
from voxpop.demo.voice import Plan

# The usual mood of an item, by kind: positive, negative, mixed, neutral.
_MOODS = {
    "review": (0.58, 0.22, 0.14, 0.06),
    "mention": (0.50, 0.35, 0.10, 0.05),
    "survey": (0.52, 0.20, 0.20, 0.08),
    "ticket": (0.05, 0.85, 0.05, 0.05),
}
_SHOP_SHIFT = {"Old Town": 0.07, "Riverside": 0.02, "Northgate": 0.0, "Station Square": -0.07}


def mood(rng: random.Random, kind: str, location: str | None) -> str:
    pos, neg, mixed, neu = _MOODS[kind]
    shift = _SHOP_SHIFT.get(location or "", 0.0)
    return rng.choices(("pos", "neg", "mixed", "neu"), (pos + shift, neg - shift, mixed, neu))[0]


def aspect_weights(kind: str, location: str | None) -> dict[str, float]:
    weights = {k: float(v) for k, v in biz.ASPECT_WEIGHTS[kind].items()}
    if location == "Station Square":  # the commuter shop: queues
        weights["wait"] = weights.get("wait", 0) * 2.2
    if location == "Old Town":  # the flagship: people talk about the room
        weights["ambience"] = weights.get("ambience", 0) * 1.5
    return weights


def sample_aspects(rng: random.Random, weights: dict[str, float], count: int) -> list[str]:
    names, chosen = list(weights), []
    pool = dict(weights)
    for _ in range(min(count, len(names))):
        name = rng.choices(list(pool), list(pool.values()))[0]
        chosen.append(name)
        del pool[name]
    return chosen


def plan(
    rng: random.Random, kind: str, location: str | None, stories: frozenset[str], days_in: dict[str, float]
) -> Plan:
    """The plan for one item of ``kind``. ``days_in`` says how long each active story has been running."""
    story_plan = _story_plan(rng, kind, stories, days_in)
    if story_plan is not None:
        return story_plan
    return usual_plan(rng, kind, location, mood(rng, kind, location))


def usual_plan(rng: random.Random, kind: str, location: str | None, mood_: str) -> Plan:
    weights = aspect_weights(kind, location)
    if mood_ == "neu":
        aspects = sample_aspects(rng, weights, rng.choice((1, 1, 2)))
        return Plan("neu", [(a, "neu") for a in aspects[:1]] + [(a, rng.choice(("pos", "neu"))) for a in aspects[1:]])
    count = rng.choices((1, 2, 3, 4, 5, 6), (0.33, 0.35, 0.18, 0.08, 0.04, 0.02))[0]
    if mood_ == "mixed":
        aspects = sample_aspects(rng, weights, max(2, count))
        polarities = ["pos", "neg"] + [rng.choice(("pos", "neg")) for _ in aspects[2:]]
        rng.shuffle(polarities)
        return Plan("mixed", list(zip(aspects, polarities, strict=True)))
    aspects = sample_aspects(rng, weights, count)
    pairs = [(a, mood_) for a in aspects]
    if mood_ == "neg" and rng.random() < 0.12:  # "the coffee is good but…"
        pairs.insert(0, (sample_aspects(rng, weights, 1)[0], "pos"))
    if mood_ == "pos" and len(pairs) > 1 and rng.random() < 0.1:
        pairs[-1] = (pairs[-1][0], "neu")
    return Plan(mood_, _dedupe(pairs))


def _dedupe(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for aspect, polarity in pairs:
        if aspect not in seen:
            seen.add(aspect)
            out.append((aspect, polarity))
    return out


def _story_plan(rng: random.Random, kind: str, stories: frozenset[str], days_in: dict[str, float]) -> Plan | None:
    if biz.PARTNER.key in stories and kind in ("review", "mention", "survey", "ticket") and rng.random() < 0.4:
        pairs = [("delivery", "neg")]
        if rng.random() < 0.5:
            pairs.append((rng.choice(("food", "coffee", "app", "billing")), "neg"))
        return Plan("neg", pairs, {"delivery": "neg_partner"}, story=biz.PARTNER.key)
    if biz.PRICE_RISE.key in stories and kind in ("review", "mention", "survey"):
        fading = max(0.4, 1 - days_in.get(biz.PRICE_RISE.key, 0) / biz.PRICE_RISE.starts_days_ago)
        if rng.random() < 0.25 * fading:
            if rng.random() < 0.35:
                liked = rng.choice(("food", "coffee", "service"))
                return Plan(
                    "mixed", [(liked, "pos"), ("price", "neg")], {"price": "neg_rise"}, story=biz.PRICE_RISE.key
                )
            return Plan("neg", [("price", "neg")], {"price": "neg_rise"}, story=biz.PRICE_RISE.key)
    if biz.SEASONAL.key in stories and kind in ("review", "mention", "survey") and rng.random() < 0.2:
        pairs = [("food", "pos")]
        if rng.random() < 0.6:
            pairs.append((rng.choice(("coffee", "service", "ambience")), "pos"))
        return Plan("pos", pairs, {"food": "pos_seasonal"}, story=biz.SEASONAL.key)
    return None


def rating(rng: random.Random, mood_: str) -> int:
    """Stars 1–5 for a review of this mood."""
    options = {
        "pos": ((5, 4), (0.72, 0.28)),
        "mixed": ((4, 3, 2), (0.35, 0.45, 0.2)),
        "neu": ((3, 4), (0.55, 0.45)),
        "neg": ((1, 2), (0.62, 0.38)),
    }
    values, weights = options[mood_]
    return rng.choices(values, weights)[0]


def nps_score(rng: random.Random, mood_: str) -> int:
    """A 0–10 likelihood-to-recommend score that fits the answer's mood."""
    options = {
        "pos": ((10, 9, 8), (0.5, 0.4, 0.1)),
        "mixed": ((8, 7, 6, 5), (0.3, 0.35, 0.2, 0.15)),
        "neu": ((8, 7, 6), (0.4, 0.4, 0.2)),
        "neg": ((6, 5, 4, 3, 2, 1, 0), (0.18, 0.17, 0.15, 0.14, 0.12, 0.1, 0.14)),
    }
    values, weights = options[mood_]
    return rng.choices(values, weights)[0]
