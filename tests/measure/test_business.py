"""Business metrics: CSV import with clear errors, the monthly table, and correlation with sentiment."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.measure.insight_store import make_source, store_rows
from voxpop.errors import ValidationError
from voxpop.measure.business import CAVEAT, correlate, import_csv, monthly_table, parse_csv
from voxpop.measure.observations import Observation
from voxpop.store import Store
from voxpop.store.models import Customer
from voxpop.store.models.insight import BusinessMetric

WIDE = """period,churn,purchase_frequency,return_rate,click_rate
2025-01,0.05,2.5,4%,0.12
2025-02-01,0.07,2.1,5%,
"""


def test_wide_and_long_forms_parse() -> None:
    rows = parse_csv(WIDE)
    assert len(rows) == 7  # the empty click rate is skipped
    ret = next(r for r in rows if r.metric == "return_rate" and r.period == date(2025, 1, 1))
    assert ret.value == pytest.approx(0.04)
    long = parse_csv("period,metric,value,location\n2025-03,churn,0.1,Paris\n2025-03,churn,0.2,Lyon\n")
    assert {(r.location, r.value) for r in long} == {("Paris", 0.1), ("Lyon", 0.2)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("month,churn\n2025-01,0.1\n", "no 'period' column"),
        ("period,churn,mood\n2025-01,0.1,3\n", "unknown column(s) mood"),
        ("period,location\n2025-01,Paris\n", "no metric column"),
        ("period,churn\n2025-01,0.1\n2025-13,0.1\n", "row 3, field 'period': '2025-13'"),
        ("period,churn\n2025-01,1.5\n", "row 2, field 'churn': '1.5': churn is a share"),
        ("period,purchase_frequency\n2025-01,lots\n", "row 2, field 'purchase_frequency': 'lots'"),
        ("period,metric,value\n2025-01,happiness,3\n", "row 2, field 'metric': 'happiness'"),
        ("period,churn\n2025-01,0.1\n2025-01-01,0.2\n", "given twice"),
        ("period,churn\n2025-01,0.1,9\n", "more values than columns"),
    ],
)
def test_bad_input_names_the_row_and_field(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_csv(text, name="metrics.csv")
    assert message in str(error.value)
    assert "metrics.csv" in str(error.value)


def test_import_is_all_or_nothing_and_replaces_on_reimport(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(WIDE, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("period,churn\n2025-04,0.1\n2025-05,nope\n", encoding="utf-8")
    with store.write() as s:
        assert import_csv(s, good) == 7
    with store.write() as s, pytest.raises(ValidationError, match="row 3"):
        import_csv(s, bad)
    good.write_text("period,churn\n2025-01,0.09\n", encoding="utf-8")
    with store.write() as s:
        import_csv(s, good)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(BusinessMetric)) == 7
        churn = s.scalar(
            select(BusinessMetric.value).where(
                BusinessMetric.metric == "churn", BusinessMetric.period == date(2025, 1, 1)
            )
        )
        assert churn == pytest.approx(0.09)
        assert not s.scalar(
            select(func.count()).select_from(BusinessMetric).where(BusinessMetric.period == date(2025, 4, 1))
        )


def _items(scores_by_month: dict[int, list[float]], location: str = "Paris") -> list[Observation]:
    rows = []
    for month, scores in scores_by_month.items():
        for k, score in enumerate(scores):
            rows.append(
                Observation(
                    id=month * 100 + k + (0 if location == "Paris" else 50),
                    created_at=datetime(2025, month, 1 + k, tzinfo=UTC),
                    sentiment="negative" if score < 0 else "positive",
                    score=score,
                    location=location,
                )
            )
    return rows


def _pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_correlation_by_month_with_n_and_p(store: Store, tmp_path: Path) -> None:
    months = {1: [0.5, 0.7], 2: [0.2, 0.0], 3: [-0.4, -0.2], 4: [0.6, 0.6], 5: [-0.8, -0.6]}
    store_rows(store, _items(months), make_source(store))
    churn = {1: 0.03, 2: 0.05, 3: 0.08, 4: 0.02, 5: 0.11}
    path = tmp_path / "m.csv"
    path.write_text("period,churn\n" + "".join(f"2025-{m:02d},{v}\n" for m, v in churn.items()), encoding="utf-8")
    with store.write() as s:
        import_csv(s, path)
    with store.read() as s:
        found = correlate(s, None, "churn", by="period")
        table = monthly_table(s, None)
    sentiment = [sum(v) / len(v) for v in months.values()]
    assert found.n == 5
    assert found.r == pytest.approx(_pearson(sentiment, list(churn.values())))
    assert found.r is not None
    assert found.r < -0.9
    assert found.p_value is not None
    assert found.p_value < 0.05
    assert found.caveat == CAVEAT
    assert "not causation" in CAVEAT
    assert [(r.month.month, r.items, r.metrics["churn"]) for r in table] == [(m, 2, v) for m, v in churn.items()]
    assert table[0].sentiment == pytest.approx(0.6)


def test_correlation_by_location_and_by_customer(store: Store, tmp_path: Path) -> None:
    source = make_source(store)
    store_rows(store, _items({1: [0.8], 2: [0.4]}, "Paris") + _items({1: [-0.6], 2: [-0.2]}, "Lyon"), source)
    with store.write() as s:
        customers = [Customer(external_ref=f"c{i}", handles={}, attributes={}) for i in range(4)]
        s.add_all(customers)
        s.flush()
        ids = [c.id for c in customers]
    rows = [
        Observation(
            id=900 + i,
            created_at=datetime(2025, 6, 1, tzinfo=UTC),
            sentiment="neutral",
            score=score,
            customer_id=ids[i],
        )
        for i, score in enumerate([0.9, 0.3, -0.3, -0.9])
    ]
    store_rows(store, rows, source)
    path = tmp_path / "m.csv"
    path.write_text(
        "period,location,customer,churn\n2025-01,Paris,,0.02\n2025-02,Paris,,0.04\n2025-01,Lyon,,0.09\n"
        "2025-02,Lyon,,0.06\n2025-06,,c0,0\n2025-06,,c1,0\n2025-06,,c2,1\n2025-06,,c3,1\n",
        encoding="utf-8",
    )
    with store.write() as s:
        import_csv(s, path)
    with store.read() as s:
        by_location = correlate(s, None, "churn", by="location")
        by_customer = correlate(s, None, "churn", by="customer")
        nothing = correlate(s, None, "click_rate")
    assert by_location.n == 4
    assert by_location.r == pytest.approx(_pearson([0.8, 0.4, -0.6, -0.2], [0.02, 0.04, 0.09, 0.06]))
    assert by_customer.n == 4
    assert by_customer.r == pytest.approx(_pearson([0.9, 0.3, -0.3, -0.9], [0, 0, 1, 1]))
    assert nothing.n == 0
    assert nothing.r is None
    with pytest.raises(ValidationError, match="unknown metric"):
        correlate(s, None, "mood")
