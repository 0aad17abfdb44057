"""The hand-written phrase bank (``bank/*.yaml``) and how its templates are filled.

A template is a clause with ``{slot}`` placeholders; slots are filled from ``vocab.yaml`` or from the
values a caller passes (the location, the courier, a price…). Templates that belong to a story line
(the new courier, the seasonal menu) are only drawn once that story has started.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

ASPECTS = ("food", "coffee", "service", "wait", "ambience", "delivery", "price", "billing", "app", "dietary")
SLOT = re.compile(r"\{(\w+)\}")
PRODUCT_SLOTS = ("seasonal", "pastry", "savoury", "bread", "drink")
# Values the composer draws itself (see ``voice.Voice.given``).
MINUTES = (15, 20, 25, 30, 35, 40, 45, 50, 55, 70, 90)
SHORT_MINUTES = (2, 3, 4, 5)
DAYS_WAITED = (5, 8, 10, 12, 14, 20, 30)
OLD_PRICES = (2.90, 3.10, 3.20, 3.40)


@dataclass
class Filled:
    """A filled template and the slot values it used (the product it names, for instance)."""

    text: str
    slots: dict[str, str] = field(default_factory=dict)

    @property
    def product(self) -> str | None:
        return next((self.slots[s] for s in PRODUCT_SLOTS if s in self.slots), None)


@cache
def load(name: str) -> dict[str, Any]:
    """One YAML file of the bank, parsed once per process."""
    text = resources.files("voxpop.demo").joinpath("bank", f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"demo phrase bank {name}.yaml must hold a mapping")
    return data


def aspect_pool(aspect: str, key: str) -> list[str]:
    """The clauses of ``aspect`` under ``key`` (pos, neg, neu, or a story pool such as neg_partner)."""
    pool = load(aspect).get(key)
    return list(pool) if pool else []


class Filler:
    """Fills templates from the vocabulary with one seeded RNG and the story lines active on that day."""

    def __init__(self, rng: random.Random, *, stories: frozenset[str] = frozenset()) -> None:
        self.rng = rng
        self.stories = stories
        self.vocab: dict[str, list[str]] = {k: list(v) for k, v in load("vocab").items()}

    def allowed(self, template: str) -> bool:
        if "{courier}" in template and "partner" not in self.stories:
            return False
        return not ("seasonal" in template and "seasonal" not in self.stories)

    def choose(self, pool: list[str]) -> str:
        usable = [t for t in pool if self.allowed(t)]
        return self.rng.choice(usable or pool)

    def fill(self, template: str, **given: Any) -> Filled:
        """Replace each ``{slot}``; the same slot twice in one template gets the same value."""
        used: dict[str, str] = {}

        def value(match: re.Match[str]) -> str:
            slot = match.group(1)
            if slot not in used:
                if slot in given:
                    used[slot] = str(given[slot])
                elif slot in self.vocab:
                    used[slot] = self.rng.choice(self.vocab[slot])
                else:
                    raise KeyError(f"demo phrase bank: no value for {{{slot}}} in {template!r}")
            return used[slot]

        return Filled(SLOT.sub(value, template), used)

    def pick(self, pool: list[str], **given: Any) -> Filled:
        return self.fill(self.choose(pool), **given)


def fragment_counts() -> dict[str, int]:
    """How many distinct clauses each aspect × polarity can produce once its slots are expanded.

    Values drawn from a small set (the shop, the minutes waited…) count with that set's size; free values
    (order numbers, amounts) count as one, so this is a floor.
    """
    from voxpop.demo.business import LOCATIONS

    given = {
        "location": len(LOCATIONS),
        "minutes": len(MINUTES),
        "minutes2": len(SHORT_MINUTES),
        "days2": 3,
        "days": len(DAYS_WAITED),
        "price_old": len(OLD_PRICES),
        "price_new": len(OLD_PRICES),
    }
    vocab = {**{k: [None] * n for k, n in given.items()}, **load("vocab")}
    counts: dict[str, int] = {}
    for aspect in ASPECTS:
        for key, pool in load(aspect).items():
            total = 0
            for template in pool:
                n = 1
                for slot in set(SLOT.findall(template)):
                    n *= len(vocab.get(slot, [None]))
                total += n
            counts[f"{aspect}.{key}"] = total
    return counts
