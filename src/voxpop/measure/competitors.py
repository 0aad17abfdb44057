"""Benchmark against named competitors: rating, sentiment and aspects side by side, share of voice.

A competitor's reviews and mentions come in through sources marked ``is_competitor`` with the
competitor's name in ``competitor`` (the source's name when that is empty). Our own items are the
brand ``OWN``. Share of voice is each brand's share of all the items of a month.

:func:`competitor_benchmark` reads the brands' items, ratings, sentiment and monthly volumes from the
roll-ups' per-source cells (``measure.series``), like the dashboard: a year costs a few thousand cell rows,
not a scan of the items. The aspect rows too: ours from the ``aspect`` cells, a competitor's from the
``aspect_source`` cells its items alone have (``cell_reads.grouped_totals``; an aspect counts once per
item, with its clause's own sentiment). :func:`benchmark` computes the same from observations (tests, the library).
:func:`set_competitor` marks a source as a competitor's (``voxpop ingest --competitor``,
``voxpop sources competitor``, the page's form).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.measure.cell_dimensions import PAIR
from voxpop.measure.cell_reads import grouped_totals
from voxpop.measure.metrics import Totals
from voxpop.measure.observations import NEGATIVE, Observation
from voxpop.measure.series import MAX_DAYS, Slice, breakdown, series_by
from voxpop.store.models import Item, Role, Source, User
from voxpop.store.models.measure import DailyCell, DirtyDay

OWN = "us"
TOP_ASPECTS = 8
#: The counters the aspect rows need.
COUNTED = ("volume", "negative")


@dataclass
class AspectSide:
    mentions: int = 0
    negative: int = 0

    @property
    def friction(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None


@dataclass
class Brand:
    name: str
    items: int = 0
    rated: int = 0
    rating_sum: float = 0.0
    with_sentiment: int = 0
    positive: int = 0
    negative: int = 0
    aspects: dict[str, AspectSide] = field(default_factory=lambda: defaultdict(AspectSide))

    @property
    def stars(self) -> float | None:
        """Average rating on a 1–5 scale (from the normalised 0–1 ratings)."""
        return 1 + 4 * self.rating_sum / self.rated if self.rated else None

    @property
    def sentiment(self) -> float | None:
        """The sentiment index, −100…100 (share positive minus share negative), as on the dashboard."""
        return 100 * (self.positive - self.negative) / self.with_sentiment if self.with_sentiment else None

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.with_sentiment if self.with_sentiment else None

    def aspect_share(self, aspect: str) -> float | None:
        side = self.aspects.get(aspect)
        return side.mentions / self.items if side and self.items else None

    def add(self, totals: Totals) -> None:
        self.items += totals.volume
        self.rated += totals.rated
        self.rating_sum += totals.rating_sum
        self.with_sentiment += totals.analysed
        self.positive += totals.positive
        self.negative += totals.negative


@dataclass
class Benchmark:
    brands: list[Brand]
    aspects: list[str]
    months: list[date]
    share_of_voice: dict[str, list[float]]  # brand -> share per month, in ``months`` order
    volume: dict[str, list[int]]


def _brand_of(row: Observation) -> str:
    return row.brand or OWN


def _count_mention(brand: Brand, name: str, sentiment: str | None, mentions: Counter[str]) -> None:
    side = brand.aspects[name]
    side.mentions += 1
    side.negative += sentiment == NEGATIVE
    mentions[name] += 1


def _assemble(
    brands: dict[str, Brand], by_month: dict[date, Counter[str]], mentions: Counter[str], top_aspects: int
) -> Benchmark:
    order = sorted(brands, key=lambda n: (n != OWN, -brands[n].items, n))
    months = sorted(m for m, counts in by_month.items() if sum(counts.values()))
    share = {n: [by_month[m][n] / sum(by_month[m].values()) for m in months] for n in order}
    volume = {n: [by_month[m][n] for m in months] for n in order}
    return Benchmark(
        brands=[brands[n] for n in order],
        aspects=[a for a, _ in sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0]))[:top_aspects]],  # ties by name
        months=months,
        share_of_voice=share,
        volume=volume,
    )


def benchmark(rows: Sequence[Observation], *, top_aspects: int = TOP_ASPECTS) -> Benchmark:
    """The benchmark of these observations (what :func:`competitor_benchmark` reads from the roll-ups)."""
    brands: dict[str, Brand] = {}
    by_month: dict[date, Counter[str]] = defaultdict(Counter)
    mentions: Counter[str] = Counter()
    for row in rows:
        name = _brand_of(row)
        brand = brands.setdefault(name, Brand(name))
        brand.items += 1
        if row.rating is not None:
            brand.rated += 1
            brand.rating_sum += row.rating
        if row.sentiment in ("positive", "neutral", "negative"):
            brand.with_sentiment += 1
            brand.positive += row.sentiment == "positive"
            brand.negative += row.is_negative
        seen: set[str] = set()
        for mention in row.mentions:
            if mention.name in seen:  # an aspect counts once per item (its first mention), as in the cells
                continue
            seen.add(mention.name)
            # The aspect clause's own sentiment, as the cells count it (day_cells._add).
            _count_mention(brand, mention.name, mention.sentiment, mentions)
        by_month[row.day.replace(day=1)][name] += 1
    return _assemble(brands, by_month, mentions, top_aspects)


def _span(session: Session, viewer: User | None, start: date | None, end: date | None) -> tuple[date, date] | None:
    """``[start, end]`` with a missing end taken from the first / last day the roll-ups hold."""
    if start is not None and end is not None:
        return (start, end) if start <= end else None
    query = select(func.min(DailyCell.day), func.max(DailyCell.day)).where(DailyCell.dimension == "source")
    if viewer is not None and not viewer.sees_all_departments:
        query = query.where(DailyCell.department_id.in_(viewer.department_ids))
    first, last = session.execute(query).one()
    if first is None:
        return None
    first, last = start or first, end or last
    if first > last:
        return None
    return max(first, last - timedelta(days=MAX_DAYS)), last


def _brands(session: Session) -> dict[str, str]:
    """Source id (as the roll-ups key it) → brand."""
    return {
        str(row.id): (row.competitor or row.name) if row.is_competitor else OWN
        for row in session.execute(select(Source.id, Source.name, Source.is_competitor, Source.competitor))
    }


def _aspects(
    session: Session, viewer: User | None, s: Slice, brand_of: dict[str, str], brands: dict[str, Brand]
) -> Counter[str]:
    """Aspect mentions per brand from the roll-ups: ours from the ``aspect`` cells, each competitor's
    from its sources' ``aspect_source`` cells (whole months from the month cells in both)."""
    mentions: Counter[str] = Counter()

    def count(brand: Brand, aspect: str, totals: Totals) -> None:
        side = brand.aspects[aspect]
        side.mentions += totals.volume
        side.negative += totals.negative
        mentions[aspect] += totals.volume

    ours = brands.get(OWN)
    if ours is not None:
        for aspect, metrics in breakdown(session, viewer, s, "aspect", sentiment_only=True).items():
            count(ours, str(aspect), metrics.totals)
    found = grouped_totals(
        session, viewer, s, "aspect_source", None, (DailyCell.value,), medians=False, counters=COUNTED
    )
    for (value,), totals in sorted(found.items(), key=lambda kv: -kv[1].volume):
        aspect, _, source_id = str(value).partition(PAIR)
        brand = brands.get(brand_of.get(source_id, OWN))
        if brand is not None and brand.name != OWN and totals.volume:
            count(brand, aspect, totals)
    return mentions


def competitor_benchmark(
    session: Session,
    viewer: User | None,
    *,
    start: date | None = None,
    end: date | None = None,
    top_aspects: int = TOP_ASPECTS,
) -> Benchmark:
    """Our items and every competitor's over ``[start, end]`` (default: all the roll-ups hold), side by
    side, scoped to the viewer's departments. Call ``rollups.ensure_fresh`` first for the latest items."""
    span = _span(session, viewer, start, end)
    if span is None:
        return Benchmark([], [], [], {}, {})
    s = Slice(*span)
    brand_of = _brands(session)
    brands: dict[str, Brand] = {}
    for source_id, metrics in breakdown(session, viewer, s, "source").items():
        name = brand_of.get(source_id, OWN)
        brands.setdefault(name, Brand(name)).add(metrics.totals)
    by_month: dict[date, Counter[str]] = defaultdict(Counter)
    # Volumes only: whole months from the month cells, the edge months' days from the day cells.
    for source_id, points in series_by(session, viewer, s, "source", grain="month", counters=("volume",)).items():
        name = brand_of.get(str(source_id), OWN)
        for point in points:
            by_month[point.start][name] += point.metrics.totals.volume
    mentions = _aspects(session, viewer, s, brand_of, brands)
    return _assemble(brands, by_month, mentions, top_aspects)


def set_competitor(session: Session, user: User | None, source_id: int, brand: str | None) -> Source:
    """Mark a source as a competitor's (``brand`` is the competitor's name), or as ours again (None).

    Its items' days are queued for the roll-ups: a competitor's items count only in their source's cells
    (the benchmark), never in our totals, so every day they fall on is recomputed."""
    if user is not None and user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can mark a competitor's source")
    source = session.get(Source, source_id)
    if source is None:
        raise NotFoundError(f"no source with id {source_id}")
    name = (brand or "").strip()[:200] or None
    if brand is not None and name is None:
        raise ValidationError("competitor: the competitor's name is empty")
    if source.is_competitor == (name is not None) and source.competitor == name:
        return source
    source.is_competitor, source.competitor = name is not None, name
    session.flush()
    queue_source_days(session, source_id)
    record(session, "source.competitor", user=user, object_type="source", object_id=source_id, competitor=name)
    return source


def queue_source_days(session: Session, source_id: int) -> None:
    """Queue every day holding an item of the source for the roll-ups to recompute."""
    day = (
        func.date(Item.created_at)
        if session.get_bind().dialect.name == "sqlite"
        else func.date(func.timezone("UTC", Item.created_at))
    )
    session.execute(insert(DirtyDay).from_select(["day"], select(day).where(Item.source_id == source_id).distinct()))


def sources_for_marking(session: Session) -> list[Source]:
    """Every source, ours first, for the page's form."""
    return list(session.scalars(select(Source).order_by(Source.is_competitor, Source.name)))
