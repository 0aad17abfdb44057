"""REST API v1 metrics: the CX metrics for a period and slice, per dimension, over time, and their changes.

Thin shells over ``measure.series`` (the roll-ups, scoped to the caller's departments as the dashboard
is) and ``measure.overview.change_points``. Every number carries its 95 % interval, its sample size, the
"too few answers" flag the pages show (then no value) and the ``/inbox`` link listing the items behind it.
A token needs the ``metrics:read`` scope (the Prometheus endpoint ``/metrics`` needs ``ops:read`` instead).

The numbers are the roll-ups', so they count what the dashboard counts: our own items without spam; a
competitor's items only when its source is asked for (``source_id=``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from voxpop.act.departments import list_departments
from voxpop.errors import ValidationError
from voxpop.measure.cache import remember
from voxpop.measure.metrics import Estimate, Metrics
from voxpop.measure.overview import change_points, inbox_link, period_slice
from voxpop.measure.rollups import ensure_fresh
from voxpop.measure.series import Slice, breakdown, series, summary
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import User
from voxpop.store.types import utcnow
from voxpop.web.api import ERRORS
from voxpop.web.auth import ApiCaller, ReadDb, get_settings, get_store

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"], responses=ERRORS)
SCOPE = "metrics:read"
MetricName = Literal[
    "nps",
    "csat",
    "ces",
    "rating",
    "sentiment",
    "volume",
    "response_rate",
    "median_response_minutes",
    "sla_breaches",
]
METRIC_NAMES: tuple[str, ...] = MetricName.__args__  # type: ignore[attr-defined]
Dimension = Literal["channel", "department", "source", "location", "kind", "product", "segment", "aspect"]
#: Change points need a week each side; past a year the permutation test gets slow (~0.6 s a year).
MIN_CHANGE_DAYS, MAX_CHANGE_DAYS = 14, 366


class MetricOut(BaseModel):
    """One metric. ``value`` is null when there is no data or too few answers (``too_few``)."""

    value: float | None = Field(description="the metric; null when there is no data or too few answers")
    low: float | None = Field(None, description="95 % interval, low end")
    high: float | None = Field(None, description="95 % interval, high end")
    n: int = Field(description="how many answers or items it is computed from")
    too_few: bool = Field(False, description="below the sample threshold: the pages say 'too few answers'")


class SliceOut(BaseModel):
    date_from: date
    date_to: date
    channel: str | None = None
    department_id: int | None = None
    location: str | None = None
    aspect: str | None = None
    dimension: str | None = None
    value: str | None = None


class GroupOut(BaseModel):
    """The metrics of one value of the ``by`` dimension."""

    value: str | int
    label: str
    metrics: dict[str, MetricOut]
    link: str


class MetricsOut(BaseModel):
    slice: SliceOut
    min_n: int = Field(description="the 'too few answers' threshold")
    metrics: dict[str, MetricOut] = Field(description=f"every metric: {', '.join(METRIC_NAMES)}")
    link: str = Field(description="the inbox listing the slice's items")
    by: str | None = None
    groups: list[GroupOut] = Field(default_factory=list, description="per value of `by`, largest volume first")


class PointOut(MetricOut):
    start: date
    end: date
    link: str


class SeriesOut(BaseModel):
    slice: SliceOut
    metric: str
    grain: str
    min_n: int
    points: list[PointOut]


class ChangeOut(BaseModel):
    day: date
    metric: str
    text: str
    link: str


class ChangesOut(BaseModel):
    slice: SliceOut
    changes: list[ChangeOut]


def _estimate(e: Estimate) -> MetricOut:
    shown = e.shown
    return MetricOut(
        value=shown,
        low=e.low if shown is not None else None,
        high=e.high if shown is not None else None,
        n=e.n,
        too_few=e.too_few and e.n > 0,
    )


def _count(value: int, n: int) -> MetricOut:
    return MetricOut(value=float(value), n=n)


#: How each metric is read off a :class:`Metrics` (``rating`` on the normalised 0–1 scale).
READ: dict[str, Callable[[Metrics], MetricOut]] = {
    "nps": lambda m: _estimate(m.nps),
    "csat": lambda m: _estimate(m.csat),
    "ces": lambda m: _estimate(m.ces),
    "rating": lambda m: _estimate(m.rating),
    "sentiment": lambda m: _estimate(m.sentiment),
    "volume": lambda m: _count(m.volume, m.volume),
    "response_rate": lambda m: _estimate(m.response_rate),
    "median_response_minutes": lambda m: MetricOut(value=m.median_response_minutes, n=m.totals.responded),
    "sla_breaches": lambda m: _count(m.sla_breaches, m.totals.sla_n),
}


def _all(m: Metrics) -> dict[str, MetricOut]:
    return {name: READ[name](m) for name in METRIC_NAMES}


def slice_params(
    period: Annotated[str, Query(description="7d, 30d, 90d or 365d ending today (UTC)")] = "30d",
    date_from: Annotated[date | None, Query(description="YYYY-MM-DD, inclusive (with date_to)")] = None,
    date_to: Annotated[date | None, Query(description="YYYY-MM-DD, inclusive (with date_from)")] = None,
    channel: str | None = None,
    department_id: Annotated[int | None, Query(ge=0, description="0: items with no department")] = None,
    location: str | None = None,
    aspect: str | None = None,
    source_id: int | None = None,
    kind: str | None = None,
    product: str | None = None,
    segment: str | None = None,
) -> Slice:
    """Which items count. One of source_id, kind, product, segment at a time (not with location/aspect)."""
    picked = (("source", source_id), ("kind", kind), ("product", product), ("segment", segment))
    given = [(k, str(v)) for k, v in picked if v not in (None, "")]
    if len(given) > 1:
        raise ValidationError("give at most one of source_id, kind, product, segment")
    dimension, value = given[0] if given else (None, None)
    return period_slice(
        utcnow().date(),
        period,
        date_from,
        date_to,
        channel=channel or None,
        department_id=department_id,
        location=location or None,
        aspect=aspect or None,
        dimension=dimension,
        value=value,
    )


SliceParam = Annotated[Slice, Depends(slice_params)]


def _slice_out(s: Slice) -> SliceOut:
    return SliceOut(
        date_from=s.date_from,
        date_to=s.date_to,
        channel=s.channel,
        department_id=s.department_id,
        location=s.location,
        aspect=s.aspect,
        dimension=s.dimension,
        value=s.value,
    )


def _fresh(store: Store, db: Session) -> None:
    """Bring the roll-ups up to date and end the read transaction so that they are seen (the dashboard's rule)."""
    ensure_fresh(store)
    db.rollback()


def _scope_key(user: User) -> tuple[int, ...] | None:
    return None if user.sees_all_departments else tuple(sorted(user.department_ids))


def _group_link(s: Slice, by: str, key: Any) -> str:
    extra: dict[str, Any] = {
        "department": {"department_id": key},
        "source": {"source_id": key},
    }.get(by, {by: key})
    return inbox_link(s, **extra)


def _metrics(db: Session, user: User, s: Slice, by: str | None, min_n: int) -> MetricsOut:
    now = summary(db, user, s, min_n=min_n)  # what the dashboard's KPIs show
    groups: list[GroupOut] = []
    if by is not None:
        names = {d.id: d.name for d in list_departments(db)} if by == "department" else {}
        for key, m in breakdown(db, user, s, by, min_n=min_n, medians=True).items():
            label = names.get(key, "No department") if by == "department" else str(key)
            groups.append(GroupOut(value=key, label=label, metrics=_all(m), link=_group_link(s, by, key)))
    return MetricsOut(slice=_slice_out(s), min_n=min_n, metrics=_all(now), link=inbox_link(s), by=by, groups=groups)


@router.get("", response_model=MetricsOut)
def metrics(
    caller: ApiCaller,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    s: SliceParam,
    by: Annotated[Dimension | None, Query(description="also give the metrics per value of this dimension")] = None,
) -> MetricsOut:
    """Every CX metric of the slice — the dashboard's numbers — and, with ``by``, per dimension value.

    Agents get their departments' numbers only. ``rating`` is on the normalised 0–1 scale (1 + 4 × it in
    stars); ``sentiment`` and ``nps`` are −100…100, ``csat`` and ``response_rate`` percentages, ``ces`` 1–7.

    A token needs the ``metrics:read`` scope.
    """
    caller.require(SCOPE)
    _fresh(store, db)
    user, min_n = caller.user, settings.metrics_min_sample
    key = ("api-metrics", s, by, min_n, _scope_key(user))
    return remember(store, db, key, lambda: _metrics(db, user, s, by, min_n))


def _bucket_end(start: date, grain: str, last: date) -> date:
    if grain == "day":
        end = start
    elif grain == "week":
        end = start + timedelta(days=6)
    else:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return min(end, last)


def _series(db: Session, user: User, s: Slice, metric: str, grain: str, min_n: int) -> SeriesOut:
    medians = metric == "median_response_minutes"
    points = []
    for p in series(db, user, s, grain=grain, min_n=min_n, medians=medians):
        first, last = max(p.start, s.date_from), _bucket_end(p.start, grain, s.date_to)
        read = READ[metric](p.metrics)
        points.append(
            PointOut(
                start=first,
                end=last,
                link=inbox_link(s, date_from=first, date_to=last),
                **read.model_dump(),
            )
        )
    return SeriesOut(slice=_slice_out(s), metric=metric, grain=grain, min_n=min_n, points=points)


@router.get("/series", response_model=SeriesOut)
def metric_series(
    caller: ApiCaller,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    s: SliceParam,
    metric: MetricName = "volume",
    grain: Literal["day", "week", "month"] = "day",
) -> SeriesOut:
    """One metric per day, week (from Monday) or month of the slice, empty periods included.

    For one value of a dimension, filter on it (``location=Leeds``, ``aspect=staff``, ``source_id=3``…).

    A token needs the ``metrics:read`` scope.
    """
    caller.require(SCOPE)
    _fresh(store, db)
    user, min_n = caller.user, settings.metrics_min_sample
    key = ("api-series", s, metric, grain, min_n, _scope_key(user))
    return remember(store, db, key, lambda: _series(db, user, s, metric, grain, min_n))


@router.get("/changes", response_model=ChangesOut)
def metric_changes(
    caller: ApiCaller,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    s: SliceParam,
) -> ChangesOut:
    """Significant changes of the slice's daily share negative, average rating and volume (the
    dashboard's change points: candidates from ``ruptures``, kept when a permutation test says so).
    The period must be 14 to 366 days.

    A token needs the ``metrics:read`` scope."""
    caller.require(SCOPE)
    if not MIN_CHANGE_DAYS <= s.days <= MAX_CHANGE_DAYS:
        raise ValidationError(f"change points need a period of {MIN_CHANGE_DAYS} to {MAX_CHANGE_DAYS} days")
    _fresh(store, db)
    user = caller.user

    def compute() -> ChangesOut:
        found = change_points(db, user, s)
        return ChangesOut(
            slice=_slice_out(s),
            changes=[ChangeOut(day=c.day, metric=c.metric, text=c.text, link=c.link) for c in found],
        )

    return remember(store, db, ("api-changes", s, _scope_key(user)), compute)
