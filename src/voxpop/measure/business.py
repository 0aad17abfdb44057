"""Business metrics beside what customers said: import from CSV, table by month, correlation.

The CSV is either *wide* — a ``period`` column (``YYYY-MM`` or ``YYYY-MM-DD``), optional ``location`` and
``customer`` columns, and one column per metric — or *long* — ``period, metric, value`` (plus the
optional ones). Rates (churn, return rate, click rate) are shares 0–1 or percentages (``12%``). The
whole file is checked before anything is stored, so a bad row leaves the store as it was; importing a
file again replaces the values it holds (one value per metric, period, location and customer).

The correlation is Pearson's r between the monthly sentiment index (mean sentiment score of the month's
items) and a metric, by month, by location and month, or by customer, with its n and two-sided p-value.
It says the two move together, never that one causes the other.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scipy.stats import pearsonr
from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from voxpop.errors import ValidationError
from voxpop.measure.observations import Observation, load_observations
from voxpop.store.models import Customer, User
from voxpop.store.models.insight import BusinessMetric

RATES = ("churn", "return_rate", "click_rate")
COUNTS = ("purchase_frequency",)
METRICS = (*RATES, *COUNTS)
LABELS = {
    "churn": "churn",
    "return_rate": "return rate",
    "click_rate": "click rate",
    "purchase_frequency": "purchase frequency",
}
KEY_COLUMNS = ("period", "location", "customer")
MAX_ERRORS = 10
MIN_PAIRS = 3
CAVEAT = "Correlation, not causation: the two move together in these data; neither is shown to cause the other."
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Row:
    metric: str
    period: date
    value: float
    location: str
    customer: str


def _period(text: str) -> date:
    text = text.strip()
    if _MONTH.match(text):
        text += "-01"
    parsed = date.fromisoformat(text)
    return parsed.replace(day=1)


def _value(metric: str, text: str) -> float:
    text = text.strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    if percent:
        number /= 100
    if metric in RATES and not 0 <= number <= 1:
        raise ValueError(f"{metric} is a share: between 0 and 1 (or 0%–100%)")
    if number < 0:
        raise ValueError("cannot be negative")
    return number


def parse_csv(text: str, *, name: str = "the file") -> list[Row]:
    """Every value in the CSV, or a ValidationError naming the file, rows and fields that are wrong."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "period" not in header:
        raise ValidationError(f"{name}: no 'period' column (header: {', '.join(header) or 'empty'})")
    reader.fieldnames = header
    long_form = "metric" in header and "value" in header
    if long_form:
        unknown = [h for h in header if h not in (*KEY_COLUMNS, "metric", "value")]
    else:
        unknown = [h for h in header if h not in KEY_COLUMNS and h not in METRICS]
    if unknown:
        raise ValidationError(
            f"{name}: unknown column(s) {', '.join(unknown)} (metrics: {', '.join(METRICS)}; "
            f"or the long form period, metric, value)"
        )
    if not long_form and not any(h in METRICS for h in header):
        raise ValidationError(f"{name}: no metric column (one of {', '.join(METRICS)})")
    rows: list[Row] = []
    errors: list[str] = []
    for line, record in enumerate(reader, start=2):

        def fail(field: str, problem: str, line: int = line) -> None:
            errors.append(f"{name}, row {line}, field '{field}': {problem}")

        if None in record:
            fail("(extra)", "more values than columns")
            continue
        try:
            period = _period(record.get("period") or "")
        except ValueError:
            fail("period", f"'{record.get('period')}' is not a month (YYYY-MM) or a date (YYYY-MM-DD)")
            continue
        location = (record.get("location") or "").strip()
        customer = (record.get("customer") or "").strip()
        pairs: Iterable[tuple[str, str]]
        if long_form:
            metric = (record.get("metric") or "").strip().lower()
            if metric not in METRICS:
                fail("metric", f"'{metric}' is not one of {', '.join(METRICS)}")
                continue
            pairs = [(metric, record.get("value") or "")]
        else:
            pairs = [(h, record.get(h) or "") for h in header if h in METRICS]
        for metric, raw in pairs:
            if not raw.strip():
                continue
            try:
                rows.append(Row(metric, period, _value(metric, raw), location, customer))
            except ValueError as exc:
                fail("value" if long_form else metric, f"'{raw}': {exc}")
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise ValidationError("; ".join(errors[:MAX_ERRORS]) + more)
    seen: dict[tuple[str, date, str, str], int] = {}
    for index, row in enumerate(rows):
        key = (row.metric, row.period, row.location, row.customer)
        if key in seen:
            raise ValidationError(
                f"{name}: {row.metric} for {row.period:%Y-%m} {row.location or 'all locations'}"
                f"{' customer ' + row.customer if row.customer else ''} is given twice"
            )
        seen[key] = index
    return rows


def import_rows(session: Session, rows: list[Row]) -> int:
    """Store ``rows``, replacing the values already stored for the same keys. Returns how many."""
    keys = [(r.metric, r.period, r.location, r.customer) for r in rows]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        session.execute(
            delete(BusinessMetric).where(
                tuple_(
                    BusinessMetric.metric, BusinessMetric.period, BusinessMetric.location, BusinessMetric.customer_ref
                ).in_(chunk)
            )
        )
    session.add_all(
        BusinessMetric(metric=r.metric, period=r.period, value=r.value, location=r.location, customer_ref=r.customer)
        for r in rows
    )
    session.flush()
    return len(rows)


def import_csv(session: Session, path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    return import_rows(session, parse_csv(text, name=str(path)))


# --- beside the CX metrics ---


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass
class MonthRow:
    month: date
    items: int
    sentiment: float | None
    negative_share: float | None
    metrics: dict[str, float]


def _cx_by(rows: Iterable[Observation], key: str) -> dict[tuple[date, str], list[Observation]]:
    groups: dict[tuple[date, str], list[Observation]] = defaultdict(list)
    for row in rows:
        place = (row.location or "") if key == "location" else ""
        groups[(month_of(row.day), place)].append(row)
    return groups


def _sentiment(rows: list[Observation]) -> float | None:
    scores = [r.score for r in rows if r.score is not None]
    return sum(scores) / len(scores) if scores else None


def _stored(session: Session, *, per_customer: bool) -> list[BusinessMetric]:
    query = select(BusinessMetric).order_by(BusinessMetric.period)
    query = query.where(BusinessMetric.customer_ref != "" if per_customer else BusinessMetric.customer_ref == "")
    return list(session.scalars(query))


def _overall_values(session: Session) -> dict[tuple[date, str], float]:
    """Per (month, metric): the value for all locations, else the mean of the per-customer values."""
    overall: dict[tuple[date, str], float] = {}
    per_customer: dict[tuple[date, str], list[float]] = defaultdict(list)
    for m in session.scalars(select(BusinessMetric).where(BusinessMetric.location == "")):
        if m.customer_ref:
            per_customer[(m.period, m.metric)].append(m.value)
        else:
            overall[(m.period, m.metric)] = m.value
    for key, found in per_customer.items():
        overall.setdefault(key, sum(found) / len(found))
    return overall


def monthly_table(session: Session, viewer: User | None) -> list[MonthRow]:
    """Per month: the CX side (items, sentiment index, share negative) and each business metric
    (for all locations; the mean of the per-customer values when the month has no overall value)."""
    values = _overall_values(session)
    months = sorted({k[0] for k in values})
    if not months:
        return []
    rows = load_observations(session, viewer, start=months[0], end=_month_end(months[-1]))
    cx = _cx_by(rows, "period")
    table = []
    for month in months:
        items = cx.get((month, ""), [])
        rated = [r for r in items if r.sentiment]
        metrics = {}
        for metric in METRICS:
            value = values.get((month, metric))
            if value is not None:
                metrics[metric] = value
        table.append(
            MonthRow(
                month=month,
                items=len(items),
                sentiment=_sentiment(items),
                negative_share=sum(r.is_negative for r in rated) / len(rated) if rated else None,
                metrics=metrics,
            )
        )
    return table


def _month_end(month: date) -> date:
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass
class Correlation:
    metric: str
    by: str
    n: int
    r: float | None
    p_value: float | None
    pairs: list[tuple[str, float, float]]
    caveat: str = CAVEAT


def _pearson(metric: str, by: str, pairs: list[tuple[str, float, float]]) -> Correlation:
    xs = [p[1] for p in pairs]
    ys = [p[2] for p in pairs]
    if len(pairs) < MIN_PAIRS or len(set(xs)) < 2 or len(set(ys)) < 2:
        return Correlation(metric, by, len(pairs), None, None, pairs)
    result = pearsonr(xs, ys)
    return Correlation(metric, by, len(pairs), float(result.statistic), float(result.pvalue), pairs)


def correlate(session: Session, viewer: User | None, metric: str, *, by: str = "period") -> Correlation:
    """Pearson's r between the sentiment index and ``metric`` by ``period``, ``location`` (each location
    and month) or ``customer``. ``pairs`` are (label, sentiment, metric value)."""
    if metric not in METRICS:
        raise ValidationError(f"unknown metric '{metric}' (choose from {', '.join(METRICS)})")
    if by not in ("period", "location", "customer"):
        raise ValidationError("by: 'period', 'location' or 'customer'")
    if by == "customer":
        return _pearson(metric, by, list(_customer_pairs(session, viewer, metric)))
    stored = [
        m
        for m in _stored(session, per_customer=False)
        if m.metric == metric and (bool(m.location) if by == "location" else not m.location)
    ]
    if not stored:
        return _pearson(metric, by, [])
    first, last = min(m.period for m in stored), max(m.period for m in stored)
    cx = _cx_by(load_observations(session, viewer, start=first, end=_month_end(last)), by)
    pairs = []
    for m in stored:
        sentiment = _sentiment(cx.get((m.period, m.location if by == "location" else ""), []))
        if sentiment is not None:
            label = f"{m.period:%Y-%m}" + (f" {m.location}" if by == "location" else "")
            pairs.append((label, sentiment, m.value))
    return _pearson(metric, by, pairs)


def _customer_pairs(session: Session, viewer: User | None, metric: str) -> Iterator[tuple[str, float, float]]:
    values: dict[str, list[float]] = defaultdict(list)
    for m in _stored(session, per_customer=True):
        if m.metric == metric:
            values[m.customer_ref].append(m.value)
    if not values:
        return
    refs = list(values)
    customers = session.execute(
        select(Customer.id, Customer.external_ref, Customer.email).where(
            Customer.external_ref.in_(refs) | Customer.email.in_(refs)
        )
    ).all()
    ref_of = {c.id: (c.external_ref if c.external_ref in values else c.email) for c in customers}
    scores: dict[int, list[float]] = defaultdict(list)
    for row in load_observations(session, viewer):
        if row.customer_id is not None and row.customer_id in ref_of and row.score is not None:
            scores[row.customer_id].append(row.score)
    for customer_id, ref in ref_of.items():
        if scores.get(customer_id) and ref:
            mine = values[ref]
            yield ref, sum(scores[customer_id]) / len(scores[customer_id]), sum(mine) / len(mine)
