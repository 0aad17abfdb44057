"""Fake-review risk: batch evidence, the learnable linguistic model, and its CSV errors."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from voxpop.analyze.authenticity import AuthenticityEnricher, combine, fit_from_csv
from voxpop.analyze.deception import DeceptionModel, model_path, parse_label
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.errors import IngestError
from voxpop.settings import Settings

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
VARIED = [
    "Breakfast buffet had plenty of fresh fruit.",
    "Parking was tight but the valet helped us.",
    "Our room faced the street, so it was noisy at night.",
    "Pool closed early without any notice posted.",
    "Friendly bartender, strong cocktails, fair prices.",
    "The shower pressure was weak and the water lukewarm.",
    "Check-out was quick; they called us a taxi too.",
    "Carpets looked worn and smelled of smoke.",
    "Great location near the museum district.",
    "Wifi dropped every hour, impossible to work.",
    "Kids loved the game room downstairs.",
]
CAMPAIGN = "Best hotel in town, the staff were amazing and the rooms were spotless, highly recommend to everyone!"


def _enrich(records: list[Record], settings: Settings | None = None, embeddings: np.ndarray | None = None) -> Batch:
    batch = Batch.of(records, embeddings)
    AuthenticityEnricher(AnalysisContext(settings or Settings())).enrich(batch)
    return batch


def _signals(batch: Batch, i: int) -> list[str]:
    return [e["signal"] for e in batch.evidence[i]["authenticity"]]


def test_ordinary_reviews_have_no_risk_and_an_empty_evidence_list() -> None:
    batch = _enrich(
        [
            Record(1, "The breakfast was fine but the coffee was cold this morning.", author="ann"),
            Record(2, "Check-in took forever and nobody apologised for the wait.", author="bob"),
            Record(3, ""),
            Record(4, "👍"),
        ]
    )
    assert batch.column("authenticity_risk") == [0.0, 0.0, 0.0, 0.0]
    assert [e["authenticity"] for e in batch.evidence] == [[], [], [], []]


def test_near_duplicate_across_authors_is_evidence() -> None:
    batch = _enrich(
        [
            Record("a", CAMPAIGN, author="ann"),
            Record("b", CAMPAIGN.replace("amazing", "so amazing"), author="bob"),
            Record("c", "The lift was broken for our whole stay and reception did not care.", author="cat"),
        ]
    )
    assert _signals(batch, 0) == ["near_duplicate"]
    assert batch.evidence[1]["authenticity"][0]["similar_to"] == "a"
    assert batch.evidence[1]["authenticity"][0]["other_author"] == "ann"
    assert batch.results[0]["authenticity_risk"] > 0.5
    assert batch.results[2]["authenticity_risk"] == 0.0


def test_near_duplicate_in_an_earlier_batch_is_found_and_embeddings_pick_candidates() -> None:
    enricher = AuthenticityEnricher(AnalysisContext(Settings()))
    vectors = np.eye(3, dtype=np.float32)
    first = Batch.of(
        [Record(1, CAMPAIGN, author="ann"), Record(2, "Quiet room with a view of the park, good value.")], vectors[:2]
    )
    enricher.enrich(first)
    second = Batch.of([Record(3, CAMPAIGN, author="zed")], vectors[:1])
    enricher.enrich(second)
    assert second.evidence[0]["authenticity"][0]["similar_to"] == 1
    # A text that embeds far away is never compared, even if the strings match.
    third = Batch.of([Record(4, CAMPAIGN, author="yan")], vectors[2:3])
    enricher.enrich(third)
    assert third.evidence[0]["authenticity"] == []


def test_same_author_repeating_themselves_weighs_less() -> None:
    batch = _enrich([Record(1, CAMPAIGN, author="ann"), Record(2, CAMPAIGN, author="ann")])
    assert _signals(batch, 0) == ["near_duplicate"]
    assert batch.evidence[0]["authenticity"][0]["same_author"] is True
    other = _enrich([Record(1, CAMPAIGN, author="ann"), Record(2, CAMPAIGN, author="bob")])
    assert batch.results[0]["authenticity_risk"] < other.results[0]["authenticity_risk"]


def test_short_identical_texts_are_not_duplicates() -> None:
    batch = _enrich([Record(1, "Thank you so much!", author="a"), Record(2, "Thank you so much!", author="b")])
    assert batch.column("authenticity_risk") == [0.0, 0.0]


def test_burst_of_extreme_ratings_for_one_place() -> None:
    usual = [
        Record(f"u{i}", VARIED[i], rating=0.75, location="Main St",
               created_at=T0 - timedelta(days=3 * i), author=f"regular{i}")
        for i in range(1, 11)
    ]  # fmt: skip
    rush = [
        Record(f"r{i}", f"Review {i}: five stars.", rating=1.0, location="Main St",
               created_at=T0 + timedelta(minutes=20 * i), author=f"new{i}")
        for i in range(8)
    ]  # fmt: skip
    batch = _enrich(usual + rush)
    for i in range(len(usual), len(usual) + len(rush)):
        evidence = batch.evidence[i]["authenticity"]
        assert [e["signal"] for e in evidence] == ["burst"]
        assert evidence[0]["all_extreme_ratings"] is True
        assert evidence[0]["items_in_24h"] == 8
    assert all(batch.evidence[i]["authenticity"] == [] for i in range(len(usual)))


def test_prolific_author_with_only_extreme_ratings() -> None:
    spree = [
        Record(i, VARIED[i], rating=0.0, author="angry1", location=f"P{i}",
               created_at=T0 + timedelta(hours=i))
        for i in range(4)
    ]  # fmt: skip
    mixed = [
        Record(10 + i, VARIED[5 + i], rating=r, author="fair", location=f"Q{i}",
               created_at=T0 + timedelta(hours=i))
        for i, r in enumerate([0.0, 0.5, 1.0, 0.75])
    ]  # fmt: skip
    batch = _enrich(spree + mixed)
    assert all(_signals(batch, i) == ["author_pattern"] for i in range(4))
    assert all(_signals(batch, i) == [] for i in range(4, 8))


def test_combine_is_a_noisy_or() -> None:
    assert combine([]) == 0.0
    one = combine([("burst", 1.0)])
    both = combine([("burst", 1.0), ("author_pattern", 1.0)])
    assert 0 < one < both < 1


@pytest.mark.parametrize(
    ("label", "value"), [("deceptive", 1), ("FAKE", 1), ("truthful", 0), ("genuine", 0), (" 1 ", 1), ("maybe", None)]
)
def test_labels(label: str, value: int | None) -> None:
    assert parse_label(label) == value


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _ott_rows(shared_data: Path, folds: set[str]) -> list[dict[str, str]]:
    with (shared_data / "op_spam_folds1to4" / "op_spam_folds1to4.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["fold"] in folds]


def test_fit_from_csv_learns_and_the_enricher_uses_it(tmp_path: Path, shared_data: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    train = _write_csv(
        tmp_path / "train.csv", [{"review": r["text"], "kind": r["label"]} for r in _ott_rows(shared_data, {"1", "2"})]
    )
    report = fit_from_csv(settings, train, text_column="review", label_column="kind")
    assert "640 rows" in report
    path = model_path(settings)
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as data:  # plain arrays: loading runs no code
        assert data["coef"].ndim == 1
    test = _ott_rows(shared_data, {"4"})
    model = DeceptionModel.load(path)
    predicted = model.predict([r["text"] for r in test])
    accuracy = float(np.mean(predicted == np.array([r["label"] == "deceptive" for r in test])))
    assert accuracy > 0.8
    batch = _enrich([Record(i, r["text"]) for i, r in enumerate(test[::8])], settings)
    linguistic = [e for item in batch.evidence for e in item["authenticity"] if e["signal"] == "linguistic"]
    assert len(linguistic) == len(test[::8])
    assert all(0.0 <= e["probability"] <= 1.0 for e in linguistic)
    risky = [batch.results[i]["authenticity_risk"] for i, r in enumerate(test[::8]) if r["label"] == "deceptive"]
    safe = [batch.results[i]["authenticity_risk"] for i, r in enumerate(test[::8]) if r["label"] == "truthful"]
    assert np.mean(risky) > np.mean(safe)


def test_fit_from_csv_errors_name_file_row_and_field(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    missing = _write_csv(tmp_path / "missing.csv", [{"body": "text", "label": "fake"}])
    with pytest.raises(IngestError, match=r"missing\.csv.*field 'text'.*no column 'text'"):
        fit_from_csv(settings, missing, text_column="text", label_column="label")
    bad = _write_csv(
        tmp_path / "bad.csv",
        [{"text": "fine review", "label": "fake"}, {"text": "another one", "label": "perhaps"}],
    )
    with pytest.raises(IngestError, match=r"bad\.csv, row 3, field 'label'.*'perhaps'"):
        fit_from_csv(settings, bad, text_column="text", label_column="label")
    one_class = _write_csv(
        tmp_path / "one.csv", [{"text": "a review", "label": "fake"}, {"text": "b", "label": "fake"}]
    )
    with pytest.raises(Exception, match="both deceptive and truthful"):
        fit_from_csv(settings, one_class, text_column="text", label_column="label")


def test_a_busy_day_without_history_or_ratings_is_not_a_burst() -> None:
    busy = [
        Record(i, VARIED[i], source="@airline", created_at=T0 + timedelta(minutes=5 * i), author=f"u{i}")
        for i in range(10)
    ]
    batch = _enrich(busy)
    assert batch.column("authenticity_risk") == [0.0] * 10


@pytest.mark.parametrize("added", [3, 5, 12])  # part-filled, just full, wrapped round
def test_the_windows_similarities_are_those_of_its_vectors_oldest_first(added: int) -> None:
    from voxpop.analyze.signals import RecentWindow

    rng = np.random.default_rng(added)
    vectors = rng.standard_normal((added, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    window = RecentWindow(size=5)
    for start in range(0, added, 2):
        chunk = range(start, min(start + 2, added))
        records = [Record(id=i, text=f"review number {i} with enough words in it") for i in chunk]
        window.add(Batch.of(records, vectors[list(chunk)]))
    queries = np.vstack([vectors[-2:], rng.standard_normal((3, 8)).astype(np.float32)])
    history = window.matrix()
    assert history is not None
    assert np.array_equal(history, vectors[-5:])  # oldest first
    got = window.similar(queries, 0.1)
    assert got is not None
    assert np.array_equal(got, queries @ history.T >= 0.1)
    assert got[0, len(history) - 2]  # each query finds itself
    assert got[1, len(history) - 1]
