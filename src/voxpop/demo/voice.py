"""Composing one item's text from the phrase bank: clauses per aspect, linked, framed and styled."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from voxpop.demo import business as biz
from voxpop.demo.bank import (
    DAYS_WAITED,
    MINUTES,
    OLD_PRICES,
    PRODUCT_SLOTS,
    SHORT_MINUTES,
    Filled,
    Filler,
    aspect_pool,
    load,
)
from voxpop.demo.style import sentence_case, stylise

MOODS = ("pos", "neg", "mixed", "neu")


@dataclass
class Plan:
    """What an item says: its overall mood and (aspect, polarity) pairs, with story pools to draw from."""

    mood: str
    aspects: list[tuple[str, str]]
    pools: dict[str, str] = field(default_factory=dict)  # aspect → story pool, e.g. delivery → neg_partner
    story: str | None = None

    @property
    def first_negative(self) -> str | None:
        return next((a for a, p in self.aspects if p == "neg"), None)

    @property
    def primary(self) -> str | None:
        return self.first_negative or (self.aspects[0][0] if self.aspects else None)


@dataclass
class Text:
    text: str
    title: str | None = None
    product: str | None = None


class Voice:
    """One item's writer: a Filler plus the facts of the day (the shop, the courier, prices…)."""

    def __init__(self, rng: random.Random, *, location: str | None, stories: frozenset[str]) -> None:
        self.rng = rng
        self.filler = Filler(rng, stories=stories)
        self.location = location or rng.choice(list(biz.LOCATIONS))
        self.frames = load("frames")
        self.channels = load("channels")
        self.products: list[str] = []
        self.used: dict[str, str] = {}  # slot values used so far, so a title names the same bake

    def given(self) -> dict[str, Any]:
        rng = self.rng
        old = rng.choice(OLD_PRICES)
        return {
            "location": self.location,
            "courier": biz.COURIER,
            "city": biz.CITY,
            "business": biz.BUSINESS,
            "minutes": rng.choice(MINUTES),
            "minutes2": rng.choice(SHORT_MINUTES),
            "days2": rng.choice((1, 2, 3)),
            "days": rng.choice(DAYS_WAITED),
            "amount": f"{rng.uniform(3, 48):.2f}",
            "price_old": f"{old:.2f}",
            "price_new": f"{old + rng.choice((0.2, 0.3, 0.4, 0.5)):.2f}",
            "order": f"CK-{rng.randint(10000, 99999)}",
            "hour": f"{rng.randint(7, 20)}:{rng.choice(('00', '15', '30', '45', '10', '50'))}",
            "digits": f"{rng.randint(0, 9999):04d}",
            "table": rng.randint(1, 14),
            "first": rng.choice(("Mrs K", "Tom", "the man with the red bike", "Alina", "Mr Osei", "Rosa")),
            "n": rng.choice((8, 12, 15, 20, 25, 30, 40, 60)),
            "day_name": rng.choice(("Monday", "Wednesday", "Friday", "next Thursday", "the 14th")),
            "manager": biz.MANAGERS.get(self.location, "Mara"),
        }

    def pick(self, pool: list[str], **extra: Any) -> Filled:
        filled = self.filler.pick(pool, **{**self.given(), **self.used, **extra})
        self.used.update({k: v for k, v in filled.slots.items() if k in PRODUCT_SLOTS})
        if filled.product:
            self.products.append(filled.product)
        return filled

    def frame(self, key: str, **extra: Any) -> str:
        """A filled line from ``frames.yaml`` (or, failing that, ``channels.yaml``)."""
        pool = self.frames[key] if key in self.frames else self.channels[key]
        return self.pick(pool, **extra).text

    def clause(self, aspect: str, polarity: str, plan: Plan) -> str:
        pool = aspect_pool(aspect, plan.pools[aspect]) if aspect in plan.pools else []
        if not pool:
            pool = aspect_pool(aspect, polarity) or aspect_pool(aspect, "neu")
        return self.pick(pool).text

    def body(self, plan: Plan, *, limit: int | None = None) -> str:
        """The aspect clauses joined: a contrast word where the polarity flips, a plain link otherwise."""
        pairs = plan.aspects[:limit] if limit else plan.aspects
        text = ""
        previous = None
        for aspect, polarity in pairs:
            clause = self.clause(aspect, polarity, plan)
            if previous is None:
                text = clause
            else:
                flips = {previous, polarity} == {"pos", "neg"}
                text += self.rng.choice(self.frames["link_contrast" if flips else "link_same"]) + clause
            previous = polarity
        return text

    def emoji(self, mood: str) -> list[str]:
        return list(self.frames.get(f"emoji_{mood}", []))

    def review(self, plan: Plan, *, with_title: bool = False, casual: float = 0.0) -> Text:
        """A review: maybe a context sentence and an opener, the clauses, maybe a question and a closer."""
        rng, mood = self.rng, plan.mood
        tone = mood if mood in ("pos", "neg", "mixed") else "mixed"
        if rng.random() < 0.09:  # a few words and the stars
            text = stylise(self.frame(f"tiny_{tone}"), rng, mood=mood, emoji=self.emoji(tone), casual=casual)
            title = self.frame(f"title_{tone}") if with_title else None
            return Text(text, title, self.products[0] if self.products else None)
        short = not plan.story and rng.random() < 0.22
        chatty = not short and len(plan.aspects) >= 4  # the long, story-telling review
        parts: list[str] = []
        if not short and rng.random() < (0.8 if chatty else 0.35):
            parts.append(self.frame(f"opener_{tone}"))
        if not short and rng.random() < (0.9 if chatty else 0.4):
            parts.append(self.frame("context") + ".")
        parts.append(self.body(plan, limit=(2 if mood == "mixed" else 1) if short else None) + ".")
        if rng.random() < 0.05:
            parts.append(sentence_case(self.frame("questions")))
        if not short and rng.random() < (0.9 if chatty else 0.45):
            parts.append(self.frame(f"closer_{tone}") + rng.choice((".", "!", "", ".")))
        text = " ".join(sentence_case(p) for p in parts).strip()
        text = stylise(text, rng, mood=mood, emoji=self.emoji(tone), casual=casual)
        title = self.frame(f"title_{tone}") if with_title else None
        return Text(text, title, self.products[0] if self.products else None)

    def social(self, plan: Plan, *, handle_tag: bool = True) -> Text:
        rng = self.rng
        tone = "neg" if plan.mood == "neg" else "pos"
        body = self.body(plan, limit=2 if plan.mood == "mixed" else rng.choice((1, 1, 2)))
        prefix = self.frame(f"social_prefix_{tone}") if handle_tag else ""
        text = f"{prefix} {body}".strip()
        if rng.random() < 0.07:
            text += ". " + sentence_case(self.frame("questions"))
        if rng.random() < 0.35:
            tags = self.channels[f"hashtags_{tone}"]
            text += " " + " ".join(rng.sample(tags, rng.choice((1, 1, 2, 3))))
        text = stylise(
            text, rng, mood=plan.mood, emoji=self.emoji(tone if plan.mood != "mixed" else "mixed"), casual=0.7
        )
        return Text(text, None, self.products[0] if self.products else None)

    def nps(self, plan: Plan) -> Text:
        rng = self.rng
        roll = rng.random()
        if roll < 0.18:
            tone = {"pos": "pos", "neg": "neg"}.get(plan.mood, "neu")
            text = self.pick(self.channels[f"nps_short_{tone}"]).text
        elif roll < 0.75:
            text = self.body(plan, limit=2)
        else:
            text = self.frame("context") + ". " + self.body(plan)
        return Text(
            stylise(text, rng, mood=plan.mood, emoji=[], casual=0.3), None, self.products[0] if self.products else None
        )

    def reply(self, mood: str, name: str) -> str:
        tone = mood if mood in ("pos", "neg", "mixed") else "mixed"
        return self.frame(f"reply_{tone}", name=name.split(" ")[0])


_PASTRY = {
    "es": ("cruasán", "bollo de canela", "pan de chocolate", "bizcocho de limón"),
    "fr": ("croissant", "pain au chocolat", "roulé à la cannelle", "chausson aux pommes"),
    "de": ("Croissant", "Franzbrötchen", "Schokocroissant", "Rosinenbrötchen"),
}
_DRINK = {
    "es": ("capuchino", "café con leche", "flat white", "chocolate caliente"),
    "fr": ("cappuccino", "flat white", "café crème", "chocolat chaud"),
    "de": ("Cappuccino", "Flat White", "Milchkaffee", "Kakao"),
}


def foreign(rng: random.Random, language: str, mood: str, filler: Filler) -> str:
    """A short review or post in Spanish, French or German."""
    bank = load("foreign")[language]
    vocab = {"pastry": rng.choice(_PASTRY[language]), "drink": rng.choice(_DRINK[language])}
    tone = "neg" if mood == "neg" else "pos"
    first = filler.fill(rng.choice(bank[tone]), **vocab).text
    if mood == "mixed":
        first += bank["contrast"] + filler.fill(rng.choice(bank["neg"]), **vocab).text
    elif rng.random() < 0.5:
        first += ", " + filler.fill(rng.choice(bank[tone]), **vocab).text
    parts = [first + "."]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(bank[f"open_{tone}"]))
    if rng.random() < 0.5:
        parts.append(rng.choice(bank[f"close_{tone}"]) + ".")
    return " ".join(sentence_case(p) for p in parts)
