"""Urgency: each factor raises it, never lowers it; the factors come back as evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.analyze.urgency import UrgencyEnricher, escalation_terms, time_pressure_terms, urgency_scores
from voxpop.settings import Settings

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


@given(st.lists(unit, min_size=6, max_size=6), st.integers(min_value=0, max_value=5), unit)
def test_monotone_in_each_factor(factors: list[float], which: int, bump: float) -> None:
    before = np.array([[f] for f in factors])
    raised = before.copy()
    raised[which, 0] = min(1.0, raised[which, 0] + bump)
    low = urgency_scores(*before)[0]
    high = urgency_scores(*raised)[0]
    assert 0.0 <= low <= high <= 1.0


def test_bounds() -> None:
    zeros = np.zeros(1)
    ones = np.ones(1)
    assert urgency_scores(zeros, zeros, zeros, zeros, zeros, zeros)[0] == 0.0
    assert 0.95 < urgency_scores(ones, ones, ones, ones, ones, ones)[0] <= 1.0
    # Without the time-pressure factor (older callers) it counts as absent.
    assert (
        urgency_scores(zeros, ones, zeros, zeros, zeros)[0]
        == urgency_scores(zeros, ones, zeros, zeros, zeros, zeros)[0]
    )


def test_escalation_terms() -> None:
    text = "Food poisoning after dinner. I'm calling my LAWYER and the health department. Never again!"
    assert escalation_terms(text) == ["food poisoning", "lawyer", "health department", "never again"]
    assert escalation_terms("The soup was lovely, we will sue... no wait, we will come back") == ["sue"]
    assert escalation_terms("") == []
    assert escalation_terms("a pursuer issued nothing") == []


def test_time_pressure_terms() -> None:
    text = "Stranded at the gate with my toddler, the last train leaves in 20 min. Please help ASAP"
    assert time_pressure_terms(text) == ["stranded", "at the gate", "toddler", "in 20 min", "asap"]
    assert time_pressure_terms("Locked out of room 12 tonight, nobody at reception") == [
        "locked out",
        "tonight",
        "at reception",
    ]
    assert time_pressure_terms("Estamos atrapados en el aeropuerto") == ["atrapados"]
    assert time_pressure_terms("I left my phone on the train, it leaves the depot soon") == ["left my phone on"]
    assert time_pressure_terms("The room was lovely and the staff were kind.") == []
    assert time_pressure_terms("my flight was delayed last week, still waiting for a refund") == []
    assert time_pressure_terms("") == []


def test_praise_that_mentions_tonight_does_not_jump_the_queue() -> None:
    batch = _run(
        [
            Record(1, "Lovely dinner tonight, thank you!"),
            Record(2, "Soup was cold."),
            Record(3, "Stuck outside tonight."),
        ],
        [0.9, -0.5, -0.5],
    )
    praise, complaint, stuck = batch.column("urgency")
    assert praise < complaint < stuck
    assert batch.evidence[0]["urgency"]["time_pressure_terms"] == ["tonight"]  # found, but weighed by the praise
    assert batch.evidence[0]["urgency"]["time_pressure"] < batch.evidence[2]["urgency"]["time_pressure"]


def test_a_threat_to_leave_counts_half_a_threat_to_sue() -> None:
    batch = _run([Record(1, "Never again."), Record(2, "My lawyer will hear of this."), Record(3, "Fine.")], [0, 0, 0])
    leave, sue, calm = (batch.evidence[i]["urgency"]["escalation"] for i in range(3))
    assert calm == 0.0 < leave < sue == 0.5
    assert batch.evidence[0]["urgency"]["escalation_terms"] == ["never again"]


def _run(records: list[Record], sentiments: list[float | None]) -> Batch:
    batch = Batch.of(records)
    batch.now = NOW
    for result, score in zip(batch.results, sentiments, strict=True):
        result["sentiment_score"] = score
    UrgencyEnricher(AnalysisContext(Settings())).enrich(batch)
    return batch


def test_enricher_orders_the_inbox_sensibly() -> None:
    posted = NOW - timedelta(hours=2)
    batch = _run(
        [
            Record(1, "Lovely stay, thanks!", rating=1.0, created_at=posted),
            Record(2, "Room was dirty.", rating=0.25, created_at=posted),
            Record(3, "Got food poisoning, calling my lawyer.", rating=0.0, created_at=posted),
            Record(4, "Worst airline ever.", created_at=posted, followers=250_000, likes=4000, shares=1500),
            Record(5, "Room was dirty and we are locked out tonight.", rating=0.25, created_at=posted),
        ],
        [0.9, -0.6, -0.9, -0.9, -0.6],
    )
    urgency = batch.column("urgency")
    assert urgency[0] < urgency[1] < urgency[2]
    assert urgency[3] > urgency[1]
    assert urgency[4] > urgency[1]  # the same complaint, with someone stuck now
    assert batch.evidence[4]["urgency"]["time_pressure_terms"] == ["locked out", "tonight"]
    assert batch.evidence[2]["urgency"]["escalation_terms"] == ["food poisoning", "lawyer"]
    assert batch.evidence[3]["urgency"]["reach"] > 0.8
    assert batch.evidence[3]["urgency"]["velocity"] > 0.5
    assert set(batch.evidence[0]["urgency"]) >= {
        "negativity",
        "escalation",
        "time_pressure",
        "low_rating",
        "reach",
        "velocity",
    }


def test_edge_cases_have_a_score() -> None:
    batch = _run([Record(1, ""), Record(2, "😡😡😡"), Record(3, "lawsuit " * 20_000)], [None, None, -0.5])
    urgency = batch.column("urgency")
    assert urgency[0] == 0.0
    assert urgency[1] == 0.0
    assert 0.0 < urgency[2] <= 1.0
