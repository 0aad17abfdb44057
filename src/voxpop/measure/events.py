"""Events on the timeline — campaigns, policy and price changes, launches — and the customers' reaction.

``compare_windows`` measures an event's reaction as the difference between the ``window`` days before it
starts and the ``window`` days from its start, with the significance of each difference:

* volume — the exact conditional test of two Poisson rates (given the total, the items after follow a
  binomial with p = days after / all days; ``scipy.stats.binomtest``);
* sentiment score and rating — Mann-Whitney U, two-sided (no normality assumed);
* share of negative items — Fisher's exact test on the 2×2 table;
* aspects — each aspect's share of the items, Fisher's exact test; the largest significant moves first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from scipy.stats import binomtest, fisher_exact, mannwhitneyu
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.measure.observations import Observation, load_observations
from voxpop.store.models import Role, User
from voxpop.store.models.insight import Event

KINDS = ("campaign", "policy", "price", "launch", "other")
WINDOW_DAYS = 14
ALPHA = 0.05
MAX_NAME = 200


@dataclass
class Difference:
    """One measure before and after, and the test of the difference."""

    label: str
    before: float | None
    after: float | None
    p_value: float | None
    test: str
    n_before: int
    n_after: int

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class Reaction:
    before_from: date
    after_to: date
    volume: Difference
    sentiment: Difference
    negative_share: Difference
    rating: Difference
    aspects: list[Difference] = field(default_factory=list)

    def measures(self) -> list[Difference]:
        return [self.volume, self.sentiment, self.negative_share, self.rating]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ranks(label: str, before: list[float], after: list[float]) -> Difference:
    p = float(mannwhitneyu(before, after, alternative="two-sided").pvalue) if before and after else None
    return Difference(label, _mean(before), _mean(after), p, "Mann-Whitney U", len(before), len(after))


def _shares(label: str, hits_before: int, n_before: int, hits_after: int, n_after: int) -> Difference:
    p = None
    if n_before and n_after:
        table = [[hits_before, n_before - hits_before], [hits_after, n_after - hits_after]]
        p = float(fisher_exact(table).pvalue)
    return Difference(
        label,
        hits_before / n_before if n_before else None,
        hits_after / n_after if n_after else None,
        p,
        "Fisher's exact test",
        n_before,
        n_after,
    )


def compare_windows(
    before: Sequence[Observation], after: Sequence[Observation], *, days_before: int, days_after: int, top: int = 5
) -> tuple[Difference, Difference, Difference, Difference, list[Difference]]:
    """Volume (per day), sentiment, share negative, rating and the aspects that moved most."""
    total = len(before) + len(after)
    p_volume = float(binomtest(len(after), total, days_after / (days_before + days_after)).pvalue) if total else None
    volume = Difference(
        "items per day",
        len(before) / days_before,
        len(after) / days_after,
        p_volume,
        "exact Poisson rate test (conditional binomial)",
        len(before),
        len(after),
    )
    sentiment = _ranks(
        "sentiment score",
        [r.score for r in before if r.score is not None],
        [r.score for r in after if r.score is not None],
    )
    rating = _ranks(
        "rating (0–1)",
        [r.rating for r in before if r.rating is not None],
        [r.rating for r in after if r.rating is not None],
    )
    rated_before = [r for r in before if r.sentiment]
    rated_after = [r for r in after if r.sentiment]
    negative = _shares(
        "share negative",
        sum(r.is_negative for r in rated_before),
        len(rated_before),
        sum(r.is_negative for r in rated_after),
        len(rated_after),
    )
    names = sorted({a for r in [*before, *after] for a in r.aspects})
    aspects = [
        _shares(
            name,
            sum(name in r.aspects for r in before),
            len(before),
            sum(name in r.aspects for r in after),
            len(after),
        )
        for name in names
    ]
    aspects.sort(key=lambda d: (d.p_value if d.p_value is not None else 2.0, -abs(d.delta or 0.0)))
    return volume, sentiment, negative, rating, aspects[:top]


def reaction(session: Session, viewer: User | None, event: Event, *, window: int = WINDOW_DAYS) -> Reaction:
    """The customers' reaction to ``event``: ``window`` days before its start against ``window`` from it,
    at the event's location when it has one, over the items the viewer may see."""
    if not 1 <= window <= 365:
        raise ValidationError("window: between 1 and 365 days")
    before_from = event.starts_on - timedelta(days=window)
    after_to = event.starts_on + timedelta(days=window - 1)
    rows = load_observations(session, viewer, start=before_from, end=after_to, location=event.location or None)
    before = [r for r in rows if r.day < event.starts_on]
    after = [r for r in rows if r.day >= event.starts_on]
    volume, sentiment, negative, rating, aspects = compare_windows(before, after, days_before=window, days_after=window)
    return Reaction(before_from, after_to, volume, sentiment, negative, rating, aspects)


def _check(name: str, kind: str, starts_on: date, ends_on: date | None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("name: an event needs a name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"name: at most {MAX_NAME} characters")
    if kind not in KINDS:
        raise ValidationError(f"kind: '{kind}' is not one of {', '.join(KINDS)}")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(f"ends_on: {ends_on} is before starts_on {starts_on}")
    return name


def _require_manager(user: User | None) -> None:
    if user is not None and user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can mark events")


def add_event(
    session: Session,
    user: User | None,
    *,
    name: str,
    kind: str,
    starts_on: date,
    ends_on: date | None = None,
    location: str | None = None,
    description: str = "",
) -> Event:
    """Mark an event on the timeline (managers and admins; ``user=None`` is the CLI)."""
    _require_manager(user)
    event = Event(
        name=_check(name, kind, starts_on, ends_on),
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        location=(location or "").strip() or None,
        description=description.strip(),
        created_by=user.id if user else None,
    )
    session.add(event)
    session.flush()
    record(session, "event.add", user=user, object_type="event", object_id=event.id, name=event.name)
    return event


def delete_event(session: Session, user: User | None, event_id: int) -> None:
    _require_manager(user)
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"no event {event_id}")
    session.delete(event)
    record(session, "event.delete", user=user, object_type="event", object_id=event_id, name=event.name)


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"no event {event_id}")
    return event


def list_events(session: Session, *, start: date | None = None, end: date | None = None) -> list[Event]:
    """Events that overlap ``[start, end]``, oldest first."""
    query = select(Event).order_by(Event.starts_on, Event.id)
    if end is not None:
        query = query.where(Event.starts_on <= end)
    if start is not None:
        query = query.where((Event.ends_on.is_(None) & (Event.starts_on >= start)) | (Event.ends_on >= start))
    return list(session.scalars(query))
