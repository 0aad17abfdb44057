"""Persona fitting ("customer avatars"): customers grouped by what they talk about, how they feel, how
they behave.

Each customer (or, for items without a customer, each author) becomes a row of features:

* what they talk about — the share of their aspect mentions on each of the most mentioned aspects;
* how they feel — mean sentiment score, share of negative items;
* how they behave — mean rating, share of items per channel (the main channels), how many items they
  wrote (log), and imported per-customer business metrics (churn, purchase frequency…) when present.

The features are standardised and grouped with k-means for every k from 2 to ``MAX_K``; the k with the
best silhouette wins. With more than ``MAX_SAMPLE`` people, k-means and the silhouette run on a random
sample of that many (seeded, stated on the page) and everyone else joins the nearest persona, so sizes
and metrics still count everyone. The numeric libraries run on one thread here: their default thread
pools cost ten times the CPU for the same result on a busy two-core server.

Each persona is named by what sets it apart: the features whose standardised mean is furthest from
everyone's (``TRAIT_Z``), worded ("unhappy", "talks about cleanliness", "on twitter", "frequent"), with
its size, metrics and the items of the members nearest its centre as typical quotes.

This module fits (seconds to minutes on a large store); ``measure.personas`` runs it in the background and
keeps the results the page shows. Import from there: it re-exports what is public here.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sqlalchemy import select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from voxpop.measure.business import METRICS as BUSINESS_METRICS
from voxpop.measure.observations import Observation, load_observations
from voxpop.store.models import Customer, Item, User
from voxpop.store.models.insight import BusinessMetric

MIN_PEOPLE = 20
MAX_K = 6
TOP_ASPECTS = 8
TOP_CHANNELS = 4
TRAIT_Z = 0.5
MAX_TRAITS = 3
QUOTES = 3
SEED = 0
MAX_SAMPLE = 3000


@dataclass
class Person:
    key: str
    rows: list[Observation]
    business: dict[str, float] = field(default_factory=dict)


@dataclass
class Persona:
    name: str
    traits: list[str]
    size: int
    share: float
    sentiment: float | None
    negative_share: float | None
    stars: float | None
    items_per_person: float
    top_aspects: list[tuple[str, int]]
    top_channels: list[tuple[str, int]]
    business: dict[str, float]
    quote_ids: list[int]
    quotes: list[tuple[int, str]] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class PersonaResult:
    personas: list[Persona]
    people: int
    k: int | None
    silhouette: float | None
    features: list[str]
    reason: str = ""
    sample: int | None = None  # how many people k-means saw, when it was a sample of ``people``


def people_of(rows: Sequence[Observation]) -> list[Person]:
    """One person per customer, else per author; items with neither are left out."""
    groups: dict[str, list[Observation]] = defaultdict(list)
    for row in rows:
        if row.customer_id is not None:
            groups[f"customer:{row.customer_id}"].append(row)
        elif row.author:
            groups[f"author:{row.author}"].append(row)
    return [Person(key, members) for key, members in sorted(groups.items())]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def features(people: Sequence[Person]) -> tuple[np.ndarray, list[str]]:
    """The feature matrix (people × features, before scaling) and the features' names."""
    aspect_counts: Counter[str] = Counter(m.name for p in people for r in p.rows for m in r.mentions)
    channel_counts: Counter[str] = Counter(r.channel for p in people for r in p.rows if r.channel)
    aspects = [a for a, _ in aspect_counts.most_common(TOP_ASPECTS)]
    channels = [c for c, _ in channel_counts.most_common(TOP_CHANNELS)] if len(channel_counts) > 1 else []
    business = sorted({m for p in people for m in p.business})
    names = (
        ["sentiment", "negative", "rating", "frequency"]
        + [f"aspect:{a}" for a in aspects]
        + [f"channel:{c}" for c in channels]
        + [f"business:{m}" for m in business]
    )
    matrix = np.full((len(people), len(names)), np.nan)
    for i, person in enumerate(people):
        rows = person.rows
        scores = [r.score for r in rows if r.score is not None]
        rated = [r.rating for r in rows if r.rating is not None]
        with_sentiment = [r for r in rows if r.sentiment]
        mentions = Counter(m.name for r in rows for m in r.mentions)
        total_mentions = sum(mentions.values())
        values: list[float | None] = [
            _mean(scores),
            sum(r.is_negative for r in with_sentiment) / len(with_sentiment) if with_sentiment else None,
            _mean(rated),
            math.log1p(len(rows)),
        ]
        values += [mentions[a] / total_mentions if total_mentions else 0.0 for a in aspects]
        values += [sum(r.channel == c for r in rows) / len(rows) for c in channels]
        values += [person.business.get(m) for m in business]
        matrix[i] = [np.nan if v is None else v for v in values]
    # A missing value (no rating, no business figure) takes the column's mean: it then says nothing.
    means = np.nanmean(np.where(np.isnan(matrix).all(axis=0), 0.0, matrix), axis=0)
    rows_nan, cols_nan = np.where(np.isnan(matrix))
    matrix[rows_nan, cols_nan] = np.nan_to_num(means[cols_nan])
    return matrix, names


def _trait(feature: str, z: float) -> str:
    high = z > 0
    kind, _, what = feature.partition(":")
    words = {
        "sentiment": ("happy", "unhappy"),
        "negative": ("complaining", "rarely negative"),
        "rating": ("high raters", "low raters"),
        "frequency": ("frequent", "one-off"),
    }
    if kind in words:
        return words[kind][0 if high else 1]
    if kind == "aspect":
        return f"talks about {what}" if high else f"rarely about {what}"
    if kind == "channel":
        return f"on {what}" if high else f"rarely on {what}"
    business = {
        "churn": ("churn-prone", "loyal"),
        "purchase_frequency": ("frequent buyers", "rare buyers"),
        "return_rate": ("often return", "rarely return"),
        "click_rate": ("click a lot", "rarely click"),
    }
    return business.get(what, (f"high {what}", f"low {what}"))[0 if high else 1]


def name_cluster(centre: np.ndarray, names: Sequence[str]) -> tuple[str, list[str]]:
    """Name a persona by the standardised features that set it apart, strongest first."""
    order = np.argsort(-np.abs(centre))
    traits: list[str] = []
    seen: set[str] = set()
    for index in order:
        if abs(centre[index]) < TRAIT_Z or len(traits) >= MAX_TRAITS:
            break
        feature = names[index]
        # "rarely about X" says little next to what they do talk about: keep the positive aspects.
        if feature.startswith(("aspect:", "channel:")) and centre[index] < 0:
            continue
        trait = _trait(feature, float(centre[index]))
        # Sentiment and share negative say the same thing: keep only the first of the two.
        family = "mood" if feature in ("sentiment", "negative") else feature
        if family in seen:
            continue
        seen.add(family)
        traits.append(trait)
    if not traits:
        traits = ["typical"]
    return (traits[0][:1].upper() + traits[0][1:] + "".join(f" · {t}" for t in traits[1:])), traits


def _summary(members: Sequence[Person]) -> dict[str, object]:
    rows = [r for p in members for r in p.rows]
    scores = [r.score for r in rows if r.score is not None]
    rated = [r.rating for r in rows if r.rating is not None]
    with_sentiment = [r for r in rows if r.sentiment]
    business: dict[str, list[float]] = defaultdict(list)
    for person in members:
        for metric, value in person.business.items():
            business[metric].append(value)
    return {
        "sentiment": _mean(scores),
        "negative_share": sum(r.is_negative for r in with_sentiment) / len(with_sentiment) if with_sentiment else None,
        "stars": 1 + 4 * sum(rated) / len(rated) if rated else None,
        "items_per_person": len(rows) / len(members) if members else 0.0,
        "top_aspects": Counter(m.name for r in rows for m in r.mentions).most_common(3),
        "top_channels": Counter(r.channel for r in rows if r.channel).most_common(2),
        "business": {m: sum(v) / len(v) for m, v in business.items()},
    }


def find_personas(people: Sequence[Person], *, max_k: int = MAX_K, max_sample: int = MAX_SAMPLE) -> PersonaResult:
    """Group ``people`` into personas (see the module doc)."""
    if len(people) < MIN_PEOPLE:
        return PersonaResult(
            [], len(people), None, None, [], reason=f"{len(people)} people: at least {MIN_PEOPLE} are needed"
        )
    matrix, names = features(people)
    scaled = StandardScaler().fit_transform(matrix)
    if not np.any(scaled.std(axis=0) > 0):
        return PersonaResult([], len(people), None, None, names, reason="everyone looks the same")
    sample: np.ndarray | None = None
    if len(people) > max_sample:
        sample = np.sort(np.random.default_rng(SEED).choice(len(people), size=max_sample, replace=False))
    fitted = scaled if sample is None else scaled[sample]
    best: tuple[float, int, KMeans] | None = None
    with threadpool_limits(1):
        for k in range(2, min(max_k, len(fitted) - 1) + 1):
            model = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(fitted)
            if len(set(model.labels_)) < 2:
                continue
            score = float(silhouette_score(fitted, model.labels_))
            if best is None or score > best[0] + 1e-9:
                best = (score, k, model)
        if best is None:
            return PersonaResult([], len(people), None, None, names, reason="no grouping separates anyone")
        score, k, chosen = best
        labels = chosen.labels_ if sample is None else chosen.predict(scaled)
    personas: list[Persona] = []
    used: Counter[str] = Counter()
    for cluster in range(k):
        index = np.where(labels == cluster)[0]
        if not len(index):
            continue
        centre = scaled[index].mean(axis=0)
        name, traits = name_cluster(centre, names)
        used[name] += 1
        if used[name] > 1:
            name = f"{name} ({used[name]})"
        members = [people[i] for i in index]
        nearest = index[np.argsort(((scaled[index] - centre) ** 2).sum(axis=1))]
        quote_ids = [people[i].rows[0].id for i in nearest[:QUOTES]]
        summary = _summary(members)
        personas.append(
            Persona(
                name=name,
                traits=traits,
                size=len(members),
                share=len(members) / len(people),
                quote_ids=quote_ids,
                members=[p.key for p in members],
                **summary,  # type: ignore[arg-type]
            )
        )
    personas.sort(key=lambda p: -p.size)
    return PersonaResult(personas, len(people), k, score, names, sample=None if sample is None else len(sample))


def _business_by_customer(session: Session) -> dict[int, dict[str, float]]:
    """Per customer id, the mean of each imported per-customer business metric."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for metric in session.scalars(select(BusinessMetric).where(BusinessMetric.customer_ref != "")):
        if metric.metric in BUSINESS_METRICS:
            values[metric.customer_ref][metric.metric].append(metric.value)
    if not values:
        return {}
    refs = list(values)
    found: dict[int, dict[str, float]] = {}
    for customer in session.execute(
        select(Customer.id, Customer.external_ref, Customer.email).where(
            Customer.external_ref.in_(refs) | Customer.email.in_(refs)
        )
    ):
        ref = customer.external_ref if customer.external_ref in values else customer.email
        if ref in values:
            found[customer.id] = {m: sum(v) / len(v) for m, v in values[ref].items()}
    return found


def personas(
    session: Session, viewer: User | None, *, start: date | None = None, end: date | None = None
) -> PersonaResult:
    """The personas among the customers (and authors) of the items the viewer sees, with quotes."""
    people = people_of(load_observations(session, viewer, start=start, end=end))
    business = _business_by_customer(session)
    for person in people:
        if person.key.startswith("customer:"):
            person.business = business.get(int(person.key.split(":", 1)[1]), {})
    result = find_personas(people)
    quote(session, result)
    return result


def quote(session: Session, result: PersonaResult) -> None:
    """Each persona's quotes: the current text of its quote items (one query by id)."""
    ids = [i for p in result.personas for i in p.quote_ids]
    if ids:
        texts = {row.id: row.text for row in session.execute(select(Item.id, Item.text).where(Item.id.in_(ids)))}
        for persona in result.personas:
            persona.quotes = [(i, texts[i]) for i in persona.quote_ids if texts.get(i)]
