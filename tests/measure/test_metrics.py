"""The metric arithmetic against values worked out by hand, edge cases included."""

from __future__ import annotations

import math

import pytest

from voxpop.measure import metrics as m


def test_nps_by_hand() -> None:
    # 10 answers: 5 promoters, 3 passives, 2 detractors -> 50% - 20% = 30
    # Var = (p + d - (p - d)^2) / n = (0.5 + 0.2 - 0.09) / 10 = 0.061; half = 1.96 * 0.24698 = 0.48408
    est = m.nps(5, 2, 10)
    assert est.value == pytest.approx(30.0)
    assert est.low == pytest.approx(30.0 - 48.408, abs=0.01)
    assert est.high == pytest.approx(30.0 + 48.408, abs=0.01)
    assert est.n == 10
    assert not est.too_few


def test_nps_all_detractors_and_all_promoters() -> None:
    est = m.nps(0, 4, 4)
    assert est.value == -100.0
    assert est.low == -100.0
    assert est.high == -100.0
    assert m.nps(7, 0, 7).value == 100.0


def test_no_answers_is_no_value_and_too_few() -> None:
    for est in (m.nps(0, 0, 0), m.csat(0, 0), m.mean(0.0, 0.0, 0), m.sentiment_index(0, 0, 0)):
        assert est.value is None
        assert est.too_few
        assert est.n == 0
        assert est.shown is None


def test_one_answer() -> None:
    est = m.nps(1, 0, 1, min_n=1)
    assert est.value == 100.0
    single = m.mean(4.0, 16.0, 1, min_n=1)
    assert single.value == 4.0
    assert single.low is None
    assert single.high is None
    # Wilson with n=1, k=1: centre (1 + z²/2)/(1 + z²), half z*sqrt(z²/4)/(1 + z²)
    z2 = m.Z95**2
    low = ((1 + z2 / 2) - m.Z95 * math.sqrt(z2 / 4)) / (1 + z2)
    one = m.csat(1, 1)
    assert one.value == 100.0
    assert one.low == pytest.approx(100 * low)
    assert one.high == pytest.approx(100.0)


def test_too_few_below_threshold() -> None:
    assert m.csat(3, 4, min_n=5).too_few
    assert m.csat(3, 4, min_n=5).shown is None
    assert not m.csat(3, 5, min_n=5).too_few


def test_wilson_by_hand() -> None:
    # k=8, n=10: p=.8; centre=(.8+1.9208/10)/(1+.38415)=0.71678; half=1.96*sqrt(.016+.0096036)/1.38415=0.22658
    est = m.wilson(8, 10)
    assert est.value == pytest.approx(80.0)
    assert est.low == pytest.approx(49.02, abs=0.05)
    assert est.high == pytest.approx(94.33, abs=0.05)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        m.wilson(11, 10)


def test_mean_with_t_interval() -> None:
    # 2, 4, 6: mean 4, s = 2, t(0.975, 2) = 4.3027, half = 4.3027 * 2 / sqrt(3) = 4.968
    est = m.mean(12.0, 4 + 16 + 36.0, 3)
    assert est.value == 4.0
    assert est.low == pytest.approx(4 - 4.968, abs=0.01)
    assert est.high == pytest.approx(4 + 4.968, abs=0.01)


def test_nps_classes() -> None:
    assert [m.nps_class(s) for s in (0, 6, 7, 8, 9, 10)] == [-1, -1, 0, 0, 1, 1]
    with pytest.raises(ValueError, match="0–10"):
        m.nps_class(11)


def test_mixed_scales_map_linearly() -> None:
    # an NPS asked on 1-5 stars: 5 -> 10 (promoter), 4 -> 7.5 -> 8 (passive), 1 -> 0
    assert m.to_scale(5, 1, 5, m.NPS) == 10.0
    assert m.nps_class(m.to_scale(4, 1, 5, m.NPS)) == 0
    # CSAT on 0-10: 8 -> 1 + 0.8*4 = 4.2 -> satisfied; 7 -> 3.8 -> rounds to 4 -> satisfied; 6 -> 3.4 -> not
    assert m.csat_satisfied(m.to_scale(8, 0, 10, m.CSAT))
    assert m.csat_satisfied(m.to_scale(7, 0, 10, m.CSAT))
    assert not m.csat_satisfied(m.to_scale(6, 0, 10, m.CSAT))
    assert m.to_scale(3, 1, 5, m.CES) == 4.0
    with pytest.raises(ValueError, match="min < max"):
        m.to_scale(3, 5, 5, m.CES)


def test_question_type() -> None:
    assert m.question_type("survey", {"question_type": "CSAT"}, 1, 5) == "csat"
    assert m.question_type("survey", {}, 0, 10) == "nps"
    assert m.question_type("survey", {}, 1, 7) == "ces"
    assert m.question_type("survey", {}, 1, 5) == "csat"
    assert m.question_type("survey", {"question_type": "rating"}, 1, 5) is None
    assert m.question_type("review", {}, 0, 10) is None
    assert m.question_type("survey", {}, None, None) is None


def test_median_of_counts() -> None:
    assert m.median_of_counts({}) is None
    assert m.median_of_counts({5: 1}) == 5
    assert m.median_of_counts({1: 1, 3: 1}) == 2  # even: mean of the two middle values
    assert m.median_of_counts({1: 2, 10: 1}) == 1
    assert m.median_of_counts({1: 1, 2: 1, 10: 2}) == 6  # 1 2 10 10 -> (2 + 10) / 2


def test_totals_add_and_metrics() -> None:
    a = m.Totals(volume=2, positive=1, negative=1, analysed=2, response_minutes={5: 1})
    b = m.Totals(volume=1, positive=1, analysed=1, response_minutes={5: 1, 60: 1})
    total = a.add(b)
    assert total.volume == 3
    assert total.response_minutes == {5: 2, 60: 1}
    metrics = m.Metrics(total, min_n=1)
    assert metrics.sentiment.value == pytest.approx(100 * (2 - 1) / 3)
    assert metrics.median_response_minutes == 5


def test_format_minutes() -> None:
    assert m.format_minutes(None) == "–"
    assert m.format_minutes(42) == "42 min"
    assert m.format_minutes(95) == "1 h 35 min"
    assert m.format_minutes(120) == "2 h"
    assert m.format_minutes(3 * 1440) == "3.0 days"
