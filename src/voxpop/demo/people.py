"""The demo's fictional customers: names, social handles and ``example`` e-mail addresses."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from voxpop.demo.bank import load

DOMAINS = ("example.com", "example.org", "example.net")
HANDLE_WORDS = (
    "eats",
    "bakes",
    "coffee",
    "runs",
    "reads",
    "travels",
    "lifts",
    "cycles",
    "cooks",
    "daily",
    "life",
    "in_larkhaven",
    "fan",
    "writes",
    "snaps",
    "studio",
    "loves_bread",
    "grams",
    "xo",
    "official",
)


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("'", "")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    handle: str
    followers: int  # on social media
    home: str  # the shop they use most

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    def display_name(self, rng: random.Random) -> str:
        """How review platforms show the name: "Sara K.", "Sara Kowalski", "S. Kowalski"…"""
        style = rng.random()
        if style < 0.45:
            return f"{self.first} {self.last[0]}."
        if style < 0.85:
            return self.full_name
        if style < 0.93:
            return f"{self.first[0]}. {self.last}"
        return self.first


def make_people(rng: random.Random, count: int, locations: dict[str, float]) -> list[Person]:
    """``count`` distinct customers; e-mail addresses and handles are unique."""
    people: list[Person] = []
    emails: set[str] = set()
    handles: set[str] = set()
    shops, weights = list(locations), list(locations.values())
    names = load("names")
    while len(people) < count:
        first, last = rng.choice(names["first"]), rng.choice(names["last"])
        f, l_ = _ascii(first), _ascii(last).replace(" ", "")
        email = rng.choice([f"{f}.{l_}", f"{f}{l_[0]}", f"{f[0]}{l_}", f"{f}_{l_}{rng.randint(1, 99)}"])
        email = f"{email}@{rng.choice(DOMAINS)}"
        handle = rng.choice(
            [f"{f}{l_}", f"{f}_{rng.choice(HANDLE_WORDS)}", f"{f}{rng.randint(70, 2009)}", f"{f[0]}{l_}_{f[:2]}"]
        )
        if email in emails or handle in handles:
            continue
        emails.add(email)
        handles.add(handle)
        followers = int(rng.lognormvariate(5.4, 1.3))  # median about 220, a long tail
        people.append(Person(first, last, email, handle, followers, rng.choices(shops, weights)[0]))
    return people
