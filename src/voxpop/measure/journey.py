"""The customer journey map: stages and touchpoints the business defines, each item placed on them
through its aspects, and per stage and touchpoint the volume, sentiment, friction, top issues and quotes.

A map is ``{"stages": [{"name": ..., "touchpoints": [{"name": ..., "aspects": [...]}]}]}``, edited as
YAML on the journey page (managers) and kept in ``journey_maps``. An aspect belongs to at most one
touchpoint. The default map follows the life of a customer — discover, buy, receive, use, get help,
renew or leave — and places the aspects of every built-in taxonomy.

Two ways to the same measures:

- **from the roll-ups** (:func:`journey_view`, what the page uses): the aspect cells of the period
  (``rollups``: per day and month, per aspect, the items that mention it and the sentiment of the
  aspect's own clause) summed per touchpoint and stage — a few hundred cell rows however many items. A
  touchpoint's volume is then its *mentions*: an item counts once per aspect of the touchpoint it
  mentions (an item mentioning two of them counts twice; distinct items per touchpoint are not in the
  cells). Top issues are the touchpoint's aspects by negative mentions, exact; quotes come from one
  bounded query, the newest ``QUOTE_SCAN`` items of the period (newest quotes first);
- **from the items** (:func:`place`, used while roll-up days wait for recomputation): every mention of
  every item of the period, with distinct items per touchpoint and stage and the unplaced items.

On both paths an item counts once per aspect (its first mention of it). Each aspect mention's
sentiment is the sentiment of the clause that carries the aspect (from the items,
the item's when the clause has none; the cells leave such a mention out of the sentiment counts).
Friction is the share of the mentions that are negative; net sentiment is (positive − negative) /
the mentions with a sentiment, −1 to +1 (the item path also keeps the mean sentiment score).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.act.inbox import visible_to
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.measure import trend_cells
from voxpop.measure.observations import (
    NEGATIVE,
    Mention,
    Observation,
    between,
    load_observations,
    ours,
)
from voxpop.measure.rollups import is_pending
from voxpop.measure.series import MAX_DAYS, Slice, breakdown, summary
from voxpop.store.models import Item, Role, Source, User
from voxpop.store.models.insight import JourneyMapDefinition
from voxpop.store.types import utcnow

MAP_NAME = "default"
TOP_ISSUES = 3
QUOTES = 3
MAX_STAGES = 12
MAX_TOUCHPOINTS = 8
MAX_NAME = 60
#: How many of the newest items of the period the quotes are looked for in (one indexed, bounded query).
QUOTE_SCAN = 3000

DEFAULT_MAP: dict[str, Any] = {
    "stages": [
        {
            "name": "discover",
            "touchpoints": [
                {"name": "offer and availability", "aspects": ["availability", "features", "location"]},
                {"name": "first impression", "aspects": ["ambience"]},
            ],
        },
        {
            "name": "buy",
            "touchpoints": [
                {"name": "price", "aspects": ["price", "pricing", "value"]},
                {
                    "name": "booking and checkout",
                    "aspects": ["booking", "booking and website", "reservations", "store and checkout"],
                },
                {"name": "sales staff", "aspects": ["store staff"]},
            ],
        },
        {
            "name": "receive",
            "touchpoints": [
                {"name": "delivery and timing", "aspects": ["delivery", "delays", "cancellations", "wait time"]},
                {
                    "name": "arrival and onboarding",
                    "aspects": ["check-in", "airport and boarding", "documentation and onboarding", "baggage"],
                },
            ],
        },
        {
            "name": "use",
            "touchpoints": [
                {
                    "name": "product",
                    "aspects": [
                        "product quality",
                        "food",
                        "drinks",
                        "room",
                        "food and breakfast",
                        "facilities",
                        "seats and comfort",
                        "food on board",
                        "usability",
                        "performance",
                        "bugs and reliability",
                        "integrations",
                        "mobile app",
                    ],
                },
                {"name": "cleanliness and comfort", "aspects": ["cleanliness", "noise"]},
                {"name": "people", "aspects": ["staff", "service", "cabin crew"]},
            ],
        },
        {
            "name": "get help",
            "touchpoints": [
                {"name": "support", "aspects": ["customer service", "support"]},
                {"name": "returns and refunds", "aspects": ["returns and refunds", "refunds and fees"]},
            ],
        },
        {
            "name": "renew or leave",
            "touchpoints": [
                {"name": "billing and account", "aspects": ["billing", "security and account"]},
            ],
        },
    ]
}


@dataclass
class Quote:
    item_id: int
    text: str
    aspect: str


@dataclass
class Spot:
    """Measures of one touchpoint, or of a whole stage."""

    name: str
    aspects: list[str]
    items: int | None = 0  # distinct items; None when read from the roll-ups (they count mentions)
    mentions: int = 0
    negative: int = 0
    positive: int = 0
    analysed: int = 0  # mentions with a sentiment
    score_sum: float = 0.0
    scored: int = 0
    issues: Counter[str] = field(default_factory=Counter)
    quotes: list[Quote] = field(default_factory=list)

    @property
    def friction(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None

    @property
    def sentiment(self) -> float | None:
        """The mean sentiment score of the mentions (the item path only)."""
        return self.score_sum / self.scored if self.scored else None

    @property
    def net(self) -> float | None:
        """Net sentiment: (positive − negative) / mentions with a sentiment, −1 to +1."""
        return (self.positive - self.negative) / self.analysed if self.analysed else None

    def top_issues(self) -> list[tuple[str, int]]:
        """The aspects with the most negative mentions (ties by name, so both paths agree)."""
        return sorted(self.issues.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ISSUES]


@dataclass
class StageView:
    stage: Spot
    touchpoints: list[Spot]


@dataclass
class JourneyView:
    stages: list[StageView]
    items: int
    unplaced: int
    unmapped_aspects: list[tuple[str, int]]
    start: date | None = None
    end: date | None = None
    source: Literal["rollups", "items"] = "items"
    unplaced_mentions: int = 0  # mentions of aspects that are on no touchpoint


# --- the map: check, load, save ---


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{where}: needs a name")
    if len(value.strip()) > MAX_NAME:
        raise ValidationError(f"{where}: a name of at most {MAX_NAME} characters")
    return value.strip()


def check_map(definition: object) -> dict[str, Any]:
    """The map in its normal form, or a ValidationError naming the stage or touchpoint that is wrong."""
    if not isinstance(definition, dict) or not isinstance(definition.get("stages"), list):
        raise ValidationError("the map needs a list of 'stages'")
    stages = definition["stages"]
    if not 1 <= len(stages) <= MAX_STAGES:
        raise ValidationError(f"the map needs 1 to {MAX_STAGES} stages")
    owner: dict[str, str] = {}
    clean: list[dict[str, Any]] = []
    for i, stage in enumerate(stages, start=1):
        if not isinstance(stage, dict):
            raise ValidationError(f"stage {i}: expected a name and touchpoints")
        stage_name = _name(stage.get("name"), f"stage {i}")
        touchpoints = stage.get("touchpoints") or []
        if not isinstance(touchpoints, list) or not 1 <= len(touchpoints) <= MAX_TOUCHPOINTS:
            raise ValidationError(f"stage '{stage_name}': 1 to {MAX_TOUCHPOINTS} touchpoints")
        points = []
        for j, point in enumerate(touchpoints, start=1):
            if not isinstance(point, dict):
                raise ValidationError(f"stage '{stage_name}', touchpoint {j}: expected a name and aspects")
            point_name = _name(point.get("name"), f"stage '{stage_name}', touchpoint {j}")
            aspects = point.get("aspects") or []
            if not isinstance(aspects, list) or not all(isinstance(a, str) and a.strip() for a in aspects):
                raise ValidationError(f"touchpoint '{point_name}': 'aspects' is a list of aspect names")
            names = [a.strip() for a in aspects]
            for aspect in names:
                if aspect in owner:
                    raise ValidationError(
                        f"aspect '{aspect}' is on two touchpoints ('{owner[aspect]}' and '{point_name}')"
                    )
                owner[aspect] = point_name
            points.append({"name": point_name, "aspects": names})
        clean.append({"name": stage_name, "touchpoints": points})
    return {"stages": clean}


def parse_map(text: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"the map is not valid YAML: {exc}") from exc
    return check_map(loaded)


def dump_map(definition: dict[str, Any]) -> str:
    return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=100)


def load_map(session: Session) -> dict[str, Any]:
    row = session.scalar(select(JourneyMapDefinition).where(JourneyMapDefinition.name == MAP_NAME))
    return row.definition if row is not None else DEFAULT_MAP


def save_map(session: Session, user: User | None, definition: object) -> dict[str, Any]:
    if user is not None and user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can edit the journey map")
    clean = check_map(definition)
    row = session.scalar(select(JourneyMapDefinition).where(JourneyMapDefinition.name == MAP_NAME))
    if row is None:
        row = JourneyMapDefinition(name=MAP_NAME, definition=clean)
        session.add(row)
    else:
        row.definition = clean
        row.updated_at = utcnow()
    session.flush()
    record(session, "journey.save", user=user, object_type="journey_map", object_id=MAP_NAME)
    return clean


# --- placing items ---


def _top(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def _mention_sentiment(mention: Mention, row: Observation) -> tuple[str | None, float | None]:
    return mention.sentiment or row.sentiment, mention.score if mention.score is not None else row.score


def place(rows: Sequence[Observation], definition: dict[str, Any]) -> JourneyView:
    """Every item on the map through its aspects, and the measures of each stage and touchpoint."""
    stages: list[StageView] = []
    where: dict[str, tuple[int, int]] = {}
    for s, stage in enumerate(definition["stages"]):
        points = [Spot(name=p["name"], aspects=list(p["aspects"])) for p in stage["touchpoints"]]
        stages.append(
            StageView(
                stage=Spot(name=stage["name"], aspects=[a for p in points for a in p.aspects]), touchpoints=points
            )
        )
        for t, point in enumerate(points):
            for aspect in point.aspects:
                where[aspect] = (s, t)
    unplaced = 0
    unmapped: Counter[str] = Counter()
    for row in rows:
        touched_stages: set[int] = set()
        touched_points: set[tuple[int, int]] = set()
        seen: set[str] = set()
        for mention in row.mentions:
            if mention.name in seen:  # an aspect counts once per item (its first mention), as in the cells
                continue
            seen.add(mention.name)
            spot = where.get(mention.name)
            if spot is None:
                unmapped[mention.name] += 1
                continue
            sentiment, score = _mention_sentiment(mention, row)
            s, t = spot
            for target in (stages[s].stage, stages[s].touchpoints[t]):
                target.mentions += 1
                target.negative += sentiment == NEGATIVE
                target.positive += sentiment == "positive"
                target.analysed += sentiment in ("positive", "neutral", NEGATIVE)
                if score is not None:
                    target.score_sum += score
                    target.scored += 1
                if sentiment == NEGATIVE:
                    target.issues[mention.name] += 1
                    if len(target.quotes) < QUOTES and (mention.clause or "").strip():
                        target.quotes.append(Quote(row.id, mention.clause.strip(), mention.name))
            touched_stages.add(s)
            touched_points.add(spot)
        for s in touched_stages:
            stages[s].stage.items = (stages[s].stage.items or 0) + 1
        for s, t in touched_points:
            stages[s].touchpoints[t].items = (stages[s].touchpoints[t].items or 0) + 1
        unplaced += not touched_stages
    return JourneyView(
        stages=stages,
        items=len(rows),
        unplaced=unplaced,
        unmapped_aspects=_top(unmapped, 5),
        unplaced_mentions=sum(unmapped.values()),
    )


def _empty(definition: dict[str, Any]) -> tuple[list[StageView], dict[str, tuple[int, int]]]:
    stages: list[StageView] = []
    where: dict[str, tuple[int, int]] = {}
    for s, stage in enumerate(definition["stages"]):
        points = [Spot(name=p["name"], aspects=list(p["aspects"]), items=None) for p in stage["touchpoints"]]
        stages.append(
            StageView(
                stage=Spot(name=stage["name"], aspects=[a for p in points for a in p.aspects], items=None),
                touchpoints=points,
            )
        )
        for t, point in enumerate(points):
            for aspect in point.aspects:
                where[aspect] = (s, t)
    return stages, where


def period(
    session: Session, viewer: User | None, start: date | None, end: date | None, location: str | None
) -> tuple[date, date] | None:
    """The period the roll-ups are read over: ``[start, end]``, an open end closed at the first or last
    day with items (at most ``series.MAX_DAYS`` days, the newest); None when there are no items."""
    if start is None or end is None:
        found = trend_cells.span(session, viewer, start=start, end=end, location=location)
        if found is None:
            return None
        start, end = start or found[0], end or found[1]
    if end < start:
        raise ValidationError("the period ends before it starts")
    return max(start, end - timedelta(days=MAX_DAYS)), end


def from_rollups(
    session: Session,
    viewer: User | None,
    definition: dict[str, Any],
    *,
    start: date | None = None,
    end: date | None = None,
    location: str | None = None,
) -> JourneyView:
    """The journey map from the aspect cells (see the module doc): two grouped reads of the cells and
    one bounded query for the quotes."""
    stages, where = _empty(definition)
    found = period(session, viewer, start, end, location)
    if found is None:
        return JourneyView(stages, 0, 0, [], start, end, source="rollups")
    s = Slice(found[0], found[1], location=location)
    items = summary(session, viewer, s, min_n=1, medians=False).totals.volume
    unmapped: Counter[str] = Counter()
    for aspect, metrics in breakdown(session, viewer, s, "aspect", min_n=1, sentiment_only=True).items():
        totals = metrics.totals
        spot = where.get(str(aspect))
        if spot is None:
            unmapped[str(aspect)] += totals.volume
            continue
        stage, point = stages[spot[0]].stage, stages[spot[0]].touchpoints[spot[1]]
        for target in (stage, point):
            target.mentions += totals.volume
            target.negative += totals.negative
            target.positive += totals.positive
            target.analysed += totals.analysed
            if totals.negative:
                target.issues[str(aspect)] += totals.negative
    _quotes(session, viewer, s, stages, where)
    return JourneyView(
        stages=stages,
        items=items,
        unplaced=0,
        unmapped_aspects=_top(unmapped, 5),
        start=found[0],
        end=found[1],
        source="rollups",
        unplaced_mentions=sum(unmapped.values()),
    )


def _quotes(
    session: Session, viewer: User | None, s: Slice, stages: list[StageView], where: dict[str, tuple[int, int]]
) -> None:
    """Up to ``QUOTES`` negative clauses per touchpoint and stage, newest first, from the newest
    ``QUOTE_SCAN`` items of the slice (our own, not spam): the date index walked backwards, bounded."""
    open_spots = {spot for spot in where.values() if stages[spot[0]].touchpoints[spot[1]].negative}
    if not open_spots:
        return
    query = (
        select(Item.id, Item.sentiment, Item.aspects)
        .join(Source, Source.id == Item.source_id)
        .where(*ours(*between(s.date_from, s.date_to)))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(QUOTE_SCAN)
    )
    if viewer is not None and (scope := visible_to(viewer)) is not None:
        query = query.where(scope)
    if s.location:
        query = query.where(Item.location == s.location)
    for row in session.execute(query):
        for hit in row.aspects or []:
            if not isinstance(hit, dict):
                continue
            spot = where.get(str(hit.get("name") or ""))
            clause = str(hit.get("clause") or "").strip()
            if spot is None or spot not in open_spots or not clause:
                continue
            if (hit.get("sentiment") or row.sentiment) != NEGATIVE:
                continue
            quote = Quote(row.id, clause, str(hit["name"]))
            stage, point = stages[spot[0]].stage, stages[spot[0]].touchpoints[spot[1]]
            point.quotes.append(quote)
            if len(stage.quotes) < QUOTES:
                stage.quotes.append(quote)
            if len(point.quotes) >= QUOTES:
                open_spots.discard(spot)
        if not open_spots:
            break


def journey_view(
    session: Session,
    viewer: User | None,
    *,
    start: date | None = None,
    end: date | None = None,
    location: str | None = None,
    rollups: bool = True,
) -> JourneyView:
    """The journey map of the period: from the roll-ups when no roll-up day waits for recomputation
    (call ``rollups.ensure_fresh`` first), from the items otherwise or with ``rollups=False``."""
    definition = load_map(session)
    if rollups and not is_pending(session):
        return from_rollups(session, viewer, definition, start=start, end=end, location=location)
    rows = load_observations(session, viewer, start=start, end=end, location=location)
    view = place(rows, definition)
    view.start, view.end = start, end
    return view
