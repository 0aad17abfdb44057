"""Crumb & Kettle, the fictional café-bakery chain the demo is about: shops, teams, channels, story lines.

Everything here is invented for voxpop. The city, the courier and every person are fictional, and every
e-mail address and web address uses the reserved ``example`` domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

BUSINESS = "Crumb & Kettle"
CITY = "Larkhaven"
WEBSITE = "https://crumbandkettle.example"
COURIER = "ZipBasket"
DAYS = 180  # the demo covers the six months before the day it is created

# Four shops and how much of the chain's traffic each gets. Northgate is also the delivery kitchen.
LOCATIONS = {"Old Town": 0.32, "Riverside": 0.25, "Northgate": 0.23, "Station Square": 0.20}
MANAGERS = {"Old Town": "Mara", "Riverside": "Jonas", "Northgate": "Kofi", "Station Square": "Ines"}


@dataclass(frozen=True)
class Story:
    """A story line: what happens, and how many days before the demo's creation it starts."""

    key: str
    starts_days_ago: int
    label: str


# Month 4 of 6: a new courier takes over deliveries from the Northgate kitchen; delivery complaints jump.
PARTNER = Story("partner", 88, f"{COURIER} takes over deliveries from Northgate")
# Month 5: prices go up by about 8 %.
PRICE_RISE = Story("price_rise", 52, "Prices rise across the menu")
# Month 6: the new seasonal menu, which customers love.
SEASONAL = Story("seasonal", 24, "The seasonal menu launches")
STORIES = (PARTNER, PRICE_RISE, SEASONAL)

FAKE_BURSTS = (  # (channel, location, days ago, how many) — near-identical 5-star reviews within hours
    ("google", "Station Square", 19, 12),
    ("yelp", "Riverside", 111, 7),
)
VIRAL_DAYS_AGO = (3, 71)  # the food-safety post (this week) and the courier thread (month 4)


def story_guide(now: datetime) -> list[tuple[date, str]]:
    """What happens in the demo and when, for a demo made at ``now`` — the things to go and find."""
    day = now.date()
    events = [(day - timedelta(days=s.starts_days_ago), s.label) for s in STORIES]
    events += [
        (day - timedelta(days=ago), f"A burst of {n} near-identical 5-star reviews on {channel.title()} for {shop}")
        for channel, shop, ago, n in FAKE_BURSTS
    ]
    events += [
        (day - timedelta(days=VIRAL_DAYS_AGO[0]), "A food-safety complaint from a big account goes viral"),
        (day - timedelta(days=VIRAL_DAYS_AGO[1]), f"A delivery complaint thread about {COURIER}"),
    ]
    return sorted(events)


@dataclass(frozen=True)
class Department:
    name: str
    description: str
    sla_hours: int
    email: str


SERVICE = "Customer Service"
DEPARTMENTS = (
    Department(SERVICE, "General questions, catering, complaints nobody else owns", 24, "hello@crumbandkettle.example"),
    Department(
        "Billing", "Charges, refunds, gift cards, invoices, loyalty points", 48, "billing@crumbandkettle.example"
    ),
    Department("Delivery", "Delivery orders, riders and the courier partner", 12, "delivery@crumbandkettle.example"),
    Department(
        "Menu & Product", "Bakes, coffee, recipes, allergens, the seasonal menu", 72, "kitchen@crumbandkettle.example"
    ),
    Department(
        "App & Website", "The ordering app, the website and the loyalty card", 72, "digital@crumbandkettle.example"
    ),
    *(
        Department(
            f"{shop} café", f"The {shop} shop's team: service, queues, the room", 24, f"{_slug}@crumbandkettle.example"
        )
        for shop, _slug in (
            ("Old Town", "oldtown"),
            ("Riverside", "riverside"),
            ("Northgate", "northgate"),
            ("Station Square", "stationsquare"),
        )
    ),
)

ASPECT_DEPARTMENT = {
    "food": "Menu & Product",
    "coffee": "Menu & Product",
    "dietary": "Menu & Product",
    "delivery": "Delivery",
    "billing": "Billing",
    "app": "App & Website",
    "price": SERVICE,
}
LOCAL_ASPECTS = ("service", "wait", "ambience")  # owned by the shop's own team


def department_for(aspect: str | None, location: str | None) -> str:
    """The team that owns feedback about ``aspect`` (at ``location``, for what happens in a shop)."""
    if aspect in LOCAL_ASPECTS and location:
        return f"{location} café"
    return ASPECT_DEPARTMENT.get(aspect or "", SERVICE)


@dataclass(frozen=True)
class Channel:
    """One channel of the demo and the source its items come from."""

    key: str  # the item's channel
    source: str  # the source's name
    source_kind: str
    kind: str  # the ItemKind
    share: float  # of all items
    prefix: str  # external ids are <prefix>-<n>


CHANNELS = (
    Channel("google", "Google Business Profile", "import", "review", 0.30, "gbp"),
    Channel("yelp", "Yelp", "import", "review", 0.09, "yelp"),
    Channel("tripadvisor", "Tripadvisor", "import", "review", 0.07, "ta"),
    Channel("twitter", "X / Twitter mentions", "api", "mention", 0.11, "x"),
    Channel("instagram", "Instagram mentions", "api", "mention", 0.05, "ig"),
    Channel("survey", "NPS survey", "survey", "survey", 0.15, "nps"),
    Channel("email", "Support inbox", "mailbox", "ticket", 0.12, "cs"),
    Channel("website", "Website feedback widget", "widget", "feedback", 0.067, "web"),
    Channel("staff", "Staff notes", "staff", "note", 0.043, "note"),
)
CHANNEL_BY_KEY = {c.key: c for c in CHANNELS}

# Which aspects each kind of item talks about, and how often.
ASPECT_WEIGHTS = {
    "review": {
        "food": 30,
        "coffee": 22,
        "service": 18,
        "wait": 8,
        "ambience": 10,
        "price": 6,
        "delivery": 4,
        "dietary": 3,
        "app": 1,
    },
    "mention": {
        "food": 20,
        "coffee": 18,
        "service": 10,
        "wait": 6,
        "ambience": 5,
        "delivery": 14,
        "app": 10,
        "price": 8,
        "dietary": 2,
        "billing": 2,
    },
    "survey": {
        "food": 22,
        "coffee": 18,
        "service": 16,
        "wait": 8,
        "ambience": 6,
        "delivery": 10,
        "app": 8,
        "price": 8,
        "billing": 2,
        "dietary": 2,
    },
    "ticket": {
        "delivery": 34,
        "billing": 26,
        "app": 20,
        "food": 8,
        "dietary": 4,
        "service": 4,
        "coffee": 2,
        "price": 2,
    },
}
