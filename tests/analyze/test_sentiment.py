"""The sentiment model: shipped weights, results, calibration basics, and adapting it with fit_from_csv."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxpop.analyze import embeddings, lexicon, sentiment, sentiment_training
from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.sentiment import CLASSES, SentimentModel, SentimentResult
from voxpop.analyze.sentiment_training import fit_from_csv
from voxpop.cli import app
from voxpop.errors import IngestError, ValidationError
from voxpop.settings import Settings

CLEAR = {
    "negative": [
        "The replacement kettle broke after a week and nobody returns my emails.",
        "Awful stay, the carpet was sticky and reception was rude.",
        "Three weeks later and my money still hasn't been refunded.",
    ],
    "neutral": [
        "Which branch is closest to the central station?",
        "The shop moves to a new building in September.",
    ],
    "positive": [
        "Superb meal, the staff made my mum's birthday special.",
        "Thanks a lot, the new router works perfectly.",
    ],
}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> SentimentModel:
    return SentimentModel.load(Settings(home=tmp_path_factory.mktemp("home")))


def test_shipped_weights_are_plain_arrays() -> None:
    with np.load(sentiment.shipped_path(), allow_pickle=False) as data:
        assert {"coef", "intercept", "mean", "scale", "classes", "format_version"} <= set(data.files)
        assert all(data[name].dtype != object for name in data.files)
        assert data["coef"].shape[0] == 3
        assert "shipped" in str(data["origin"])


def test_clear_cases(model: SentimentModel) -> None:
    texts = [t for texts in CLEAR.values() for t in texts]
    expected = [label for label, texts in CLEAR.items() for _ in texts]
    assert [r.label for r in model.predict(texts)] == expected


#: What customers type in a survey's free-text box, none of it a seed line (BENCHMARKS.md, "Survey answers"):
#: saying there is nothing to change is praise, not an absence of service.
SURVEY_ANSWERS = {
    "couldn't think of anything to change": "positive",
    "Nothing I can think of, thanks": "positive",
    "hidden charges on every bill": "negative",
    "the queue at the till": "negative",
    "a loyalty scheme maybe?": "neutral",
}


#: Idioms whose words point the other way, none of them a seed line (BENCHMARKS.md, "Idioms"). Before the idiom
#: lines the first read negative.
IDIOMS = {
    "Honestly the brisket is to die for.": "positive",
    "What a joke of a refund policy.": "negative",
    "Daylight robbery for a sandwich.": "negative",
    "Save yourself the hassle and go elsewhere.": "negative",
}


@pytest.mark.parametrize("expected", [SURVEY_ANSWERS, IDIOMS], ids=["survey_answers", "idioms"])
def test_messages_off_the_seed_lines(model: SentimentModel, expected: dict[str, str]) -> None:
    assert [r.label for r in model.predict(list(expected))] == list(expected.values())


def test_results_are_consistent(model: SentimentModel) -> None:
    texts = [t for texts in CLEAR.values() for t in texts] + ["", "ok", "!!!"]
    results = model.predict(texts)
    probs = model.probabilities(texts)
    assert len(results) == len(texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    for result, row in zip(results, probs, strict=True):
        assert isinstance(result, SentimentResult)
        assert result.label in CLASSES
        assert -1.0 <= result.score <= 1.0
        assert result.confidence == pytest.approx(row.max(), abs=1e-6)
        assert result.confidence >= 1 / 3
        assert result.score == pytest.approx(row[2] - row[0], abs=1e-6)
    assert results[0].score < 0 < results[-4].score


def test_precomputed_embeddings_give_the_same_answer(model: SentimentModel) -> None:
    texts = CLEAR["negative"] + CLEAR["positive"]
    assert model.reads_layered  # the shipped model reads the layered vectors
    vectors = get_embedder(model.settings).encode_layered(texts)
    assert model.predict(texts, vectors) == model.predict(texts, vectors.copy())
    np.testing.assert_allclose(model.probabilities(texts, vectors), model.probabilities(texts), atol=0.05)
    assert model.predict([]) == []
    with pytest.raises(ValueError, match="2 texts but 1 embeddings"):
        model.predict(texts[:2], vectors[:1])


def test_reads_airline_tweets_it_never_saw(model: SentimentModel, shared_data: Path) -> None:
    with (shared_data / "twitter_airline_sentiment" / "Tweets.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[::73]
    results = model.predict([r["text"] for r in rows])
    accuracy = np.mean([res.label == r["airline_sentiment"] for res, r in zip(results, rows, strict=True)])
    assert accuracy > 0.65


BUSINESS_ROWS = [
    ("The latte was burnt again", "negative"),
    ("Queue out the door and only one barista", "negative"),
    ("My oat milk order came with cow's milk", "negative"),
    ("The card reader declined my payment twice", "negative"),
    ("Croissants were stale this morning", "negative"),
    ("No seats and the tables were sticky", "negative"),
    ("Do you open at 7 on Saturdays?", "neutral"),
    ("Is the Market Street branch dog friendly?", "neutral"),
    ("Can I pre-order a birthday cake?", "neutral"),
    ("Do you sell beans to take home?", "neutral"),
    ("Picking up a flat white on the way to work", "neutral"),
    ("Is there a loyalty card?", "neutral"),
    ("Best flat white in town", "positive"),
    ("Lovely staff, always remember my order", "positive"),
    ("The cinnamon buns are amazing", "positive"),
    ("Thanks for the free refill!", "positive"),
    ("Such a cosy place to work from", "positive"),
    ("Great coffee and friendly smiles", "positive"),
]


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("comment", "mood")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_fit_from_csv_saves_a_model_that_load_prefers(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labelled.csv", BUSINESS_ROWS * 2)
    report = fit_from_csv(settings, path, text_column="comment", label_column="mood")
    assert "36 rows" in report
    assert "12 negative, 12 neutral, 12 positive" in report
    assert (settings.models_path / "sentiment.npz").is_file()
    fitted = SentimentModel.load(settings)
    assert fitted.origin == "fitted on 36 rows of labelled.csv"
    assert set(fitted.vectorizers) == {"word", "char"}
    texts = [t for t, _ in BUSINESS_ROWS]
    assert [r.label for r in fitted.predict(texts)] == [y for _, y in BUSINESS_ROWS]
    # And a fresh read of the file gives the same probabilities: nothing is lost in the npz.
    again = SentimentModel.read(settings.models_path / "sentiment.npz")
    assert again.reads_layered
    vectors = get_embedder(settings).encode_layered(texts)
    np.testing.assert_allclose(again.probabilities(texts, vectors), fitted.probabilities(texts, vectors), atol=1e-5)


def test_labels_are_case_insensitive(settings: Settings, tmp_path: Path) -> None:
    rows = [(t, y.upper() if i % 2 else f" {y.title()} ") for i, (t, y) in enumerate(BUSINESS_ROWS)]
    path = write_csv(tmp_path / "mixed.csv", rows)
    assert "18 rows" in fit_from_csv(settings, path, text_column="comment", label_column="mood")


def test_an_unknown_label_names_its_row(settings: Settings, tmp_path: Path) -> None:
    rows = [*BUSINESS_ROWS[:3], ("Meh", "mixed"), *BUSINESS_ROWS[3:]]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(IngestError, match=r"bad\.csv, row 4, field 'mood': label 'mixed' is not one of") as info:
        fit_from_csv(settings, path, text_column="comment", label_column="mood")
    assert (info.value.row, info.value.field) == (4, "mood")
    assert not (settings.models_path / "sentiment.npz").exists()


def test_an_empty_label_names_its_row(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "blank.csv", [*BUSINESS_ROWS, ("Fine I guess", "")])
    with pytest.raises(IngestError, match="row 19, field 'mood'"):
        fit_from_csv(settings, path, text_column="comment", label_column="mood")


def test_missing_column_and_too_few_rows(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", BUSINESS_ROWS)
    with pytest.raises(IngestError, match="no column 'label'"):
        fit_from_csv(settings, path, text_column="comment", label_column="label")
    few = write_csv(tmp_path / "few.csv", [r for r in BUSINESS_ROWS if r[1] != "neutral"] + [("Hi", "neutral")])
    with pytest.raises(IngestError, match="too few: neutral"):
        fit_from_csv(settings, few, text_column="comment", label_column="mood")


def test_cli_model_fit_sentiment(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    path = write_csv(tmp_path / "rows.csv", BUSINESS_ROWS, header=("text", "label"))
    result = CliRunner().invoke(app, ["model", "fit", "sentiment", str(path)])
    assert result.exit_code == 0, result.output
    assert "Sentiment model fitted on 18 rows" in " ".join(result.output.split())
    assert "fitted on 18 rows" in SentimentModel.load(Settings()).origin
    bad = write_csv(tmp_path / "bad.csv", [("So so", "meh")], header=("text", "label"))
    result = CliRunner().invoke(app, ["model", "fit", "sentiment", str(bad)])
    assert result.exit_code == 1
    assert "row 1, field 'label'" in " ".join(result.output.split())


def test_fitted_model_stacks_its_own_text_head_only(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labelled.csv", BUSINESS_ROWS * 2)
    fit_from_csv(settings, path, text_column="comment", label_column="mood")
    fitted = SentimentModel.load(settings)
    assert fitted.prior is None
    assert [head.names for head in fitted.text_heads] == [("word", "char"), ("word",), ("char",)]
    assert fitted.dense_head is not None
    assert fitted.dense_head.coef.shape == (3, embeddings.DIM + len(lexicon.FEATURE_NAMES))
    # The final layer reads [lexicon, the dense head's and each TF-IDF head's 3 log-probabilities]:
    # the raw embedding goes through the dense head only.
    assert fitted.coef.shape[1] == len(lexicon.FEATURE_NAMES) + 3 + 3 * 3


def _business_model(**kwargs: object) -> tuple[list[str], np.ndarray, SentimentModel]:
    texts = [text for text, _ in BUSINESS_ROWS] * 2
    labels = [label for _, label in BUSINESS_ROWS] * 2
    vectors = np.random.default_rng(0).normal(size=(len(texts), embeddings.DIM)).astype(np.float32)
    return texts, vectors, sentiment_training.train(texts, labels, vectors, text_features=True, c=0.1, **kwargs)  # type: ignore[arg-type]


def test_a_format_1_file_with_one_joint_head_still_loads(tmp_path: Path) -> None:
    """Files written before the separate heads (format 1: ``text_coef`` over all vectorizers) must still load."""
    texts, vectors, model = _business_model()
    assert [head.names for head in model.text_heads] == [("word", "char")]
    with np.load(model.save(tmp_path / "new.npz"), allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "text_heads" and not name.startswith("head")}
        arrays.update(format_version=np.array(1), text_coef=data["head0_coef"], text_intercept=data["head0_intercept"])
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    old = SentimentModel.read(tmp_path / "old.npz")
    assert [head.names for head in old.text_heads] == [("word", "char")]
    np.testing.assert_allclose(old.probabilities(texts, vectors), model.probabilities(texts, vectors), atol=1e-4)


def test_separate_heads_survive_the_file_and_a_newer_format_is_refused(tmp_path: Path) -> None:
    texts, vectors, model = _business_model(text_heads=sentiment_training.ADAPTED_HEADS, dense_head=(0.03, 0.3))
    read = SentimentModel.read(model.save(tmp_path / "heads.npz"))
    assert [head.names for head in read.text_heads] == list(sentiment_training.ADAPTED_HEADS)
    assert read.dense_head is not None
    assert model.dense_head is not None
    np.testing.assert_allclose(read.dense_head.coef, model.dense_head.coef, rtol=1e-6)
    assert read.text_log_probabilities(texts).shape == (len(texts), 9)
    np.testing.assert_allclose(read.probabilities(texts, vectors), model.probabilities(texts, vectors), atol=1e-4)
    with np.load(tmp_path / "heads.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files} | {"format_version": np.array(99)}
    np.savez_compressed(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValidationError, match="sentiment model format 99, this voxpop reads 1, 2, 3"):
        SentimentModel.read(tmp_path / "future.npz")
    with pytest.raises(ValueError, match="text heads must name some of the vectorizers"):
        _business_model(text_heads=(("word", "emoji"),))


def test_the_vectors_a_model_reads_survive_the_file_and_older_files_read_the_last_layer(tmp_path: Path) -> None:
    texts, vectors, model = _business_model(representation=sentiment.LAYERED)
    assert model.reads_layered
    assert SentimentModel.read(model.save(tmp_path / "layered.npz")).reads_layered
    with np.load(tmp_path / "layered.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "representation"}
    np.savez_compressed(tmp_path / "format2.npz", **(arrays | {"format_version": np.array(2)}))
    old = SentimentModel.read(tmp_path / "format2.npz")
    assert old.representation == sentiment.LAST
    assert not old.reads_layered
    np.testing.assert_allclose(old.probabilities(texts, vectors), model.probabilities(texts, vectors), atol=1e-4)
    np.savez_compressed(tmp_path / "odd.npz", **(arrays | {"representation": np.array("attention")}))
    with pytest.raises(ValidationError, match="unknown sentiment representation 'attention'"):
        SentimentModel.read(tmp_path / "odd.npz")


def test_a_model_fitted_with_a_prior_still_loads(tmp_path: Path) -> None:
    """Files fitted before the prior was dropped (2026-12-06) carry its arrays; they must still load."""
    texts = [text for text, _ in BUSINESS_ROWS] * 2
    labels = [label for _, label in BUSINESS_ROWS] * 2
    vectors = np.random.default_rng(0).normal(size=(len(texts), embeddings.DIM)).astype(np.float32)
    plain = sentiment_training.train(texts, labels, vectors, c=0.1)
    model = sentiment_training.train(texts, labels, vectors, prior=plain, c=0.1)
    read = SentimentModel.read(model.save(tmp_path / "with-prior.npz"))
    assert read.prior is not None
    np.testing.assert_allclose(read.probabilities(texts, vectors), model.probabilities(texts, vectors), atol=1e-4)


def test_final_strength_is_chosen_by_cross_validation() -> None:
    rng = np.random.default_rng(0)
    y = np.array(["negative", "neutral", "positive"] * 40)
    signal = np.eye(3)[[CLASSES.index(label) for label in y]]
    x = np.hstack([signal + rng.normal(0, 0.8, signal.shape), rng.normal(0, 1, (len(y), 40))])
    chosen = sentiment_training._best_strength(x, y, None, (1e-5, 1.0))
    # A strength so small that every prediction is the majority class cannot win.
    assert chosen == 1.0


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Parcel still not here after 3 weeks", "durations"),
        ("Waited an hour at the counter", "durations"),
        ("The same fault again", "persistence"),
        ("Nobody answers the phone", "absence"),
        ("The engineer didn't turn up", "negated_service"),
        ("My refund hasn't arrived", "negated_service"),
    ],
)
def test_problem_report_cues(text: str, cue: str) -> None:
    from voxpop.analyze import lexicon

    index = lexicon.FEATURE_NAMES.index(cue)
    assert lexicon.features([text])[0, index] > 0
    assert lexicon.features(["Lovely staff and a great breakfast"])[0, index] == 0


@pytest.mark.parametrize(
    ("praise", "complaint"),
    [
        ("No complaints at all", "Three complaints and no answer"),
        ("Couldn't fault the service", "They couldn't fix the problem"),
        ("Never had a problem with them", "Never got my refund, the problem is still there"),
        ("Nothing was too much trouble for the staff", "Nothing but trouble since day one"),
        ("The noise didn't bother us at all", "Nobody bothered to reply"),
        ("Had no issues with the app", "None of the issues were fixed"),
    ],
)
def test_praise_through_a_negated_complaint_reports_no_problem(praise: str, complaint: str) -> None:
    """The problem, absence and negated-service cues skip "no complaints", "couldn't fault" and the like."""
    from voxpop.analyze import lexicon

    cues = [lexicon.FEATURE_NAMES.index(name) for name in ("problem_cues", "absence", "negated_service")]
    praised, complained = lexicon.features([praise, complaint])[:, cues]
    assert praised.sum() == 0
    assert complained.sum() > 0


def test_contractions_stay_problem_cues_beside_a_negated_complaint() -> None:
    from voxpop.analyze import lexicon

    problem = lexicon.FEATURE_NAMES.index("problem_cues")
    # "couldn't", "fix" and "problem" are all cues, whether or not the text also holds a complaint word.
    assert lexicon.features(["They couldn't fix the problem"])[0, problem] == 3 / 4
    assert lexicon.features(["They couldn't fix it"])[0, problem] == 2 / 4


def test_shipped_model_reads_word_ngrams_only() -> None:
    """Character n-grams cost about 0.2 ms more per item; the shipped model does without them."""
    shipped = SentimentModel.read(sentiment.shipped_path())
    assert list(shipped.vectorizers) == ["word"]
    assert shipped.prior is None


def test_text_head_learns_the_row_weights() -> None:
    texts = ["the parcel came today"] * 10 + ["refund please", "love it", "hate it"] * 5
    labels = ["neutral"] * 5 + ["positive"] * 5 + ["negative", "positive", "negative"] * 5
    vectors = np.random.default_rng(0).normal(size=(len(texts), embeddings.DIM)).astype(np.float32)
    lean = {}
    for favoured in ("neutral", "positive"):
        weights = np.array([5.0 if label == favoured and i < 10 else 1.0 for i, label in enumerate(labels)])
        model = sentiment_training.train(texts, labels, vectors, weights=weights, text_features=("word",), c=0.1)
        lean[favoured] = model.text_log_probabilities(["the parcel came today"])[0]
    neutral, positive = model.classes.index("neutral"), model.classes.index("positive")
    assert lean["neutral"][neutral] > lean["positive"][neutral]
    assert lean["positive"][positive] > lean["neutral"][positive]


def test_dense_head_strength_is_chosen_out_of_fold() -> None:
    """The dense head keeps the strength whose out-of-fold log-probabilities have the smallest log-loss."""
    rng = np.random.default_rng(0)
    y = np.array(["negative", "neutral", "positive"] * 40)
    signal = np.eye(3)[[CLASSES.index(label) for label in y]]
    dense = np.hstack([signal + rng.normal(0, 0.5, signal.shape), rng.normal(0, 1, (len(y), 40))])
    head, out_of_fold = sentiment_training._dense_head(dense, y, None, (1e-6, 0.1))
    assert out_of_fold.shape == (len(y), 3)
    assert (np.asarray(CLASSES)[out_of_fold.argmax(axis=1)] == y).mean() > 0.6
    # A strength so small that every class is equally likely cannot have been kept.
    assert np.abs(head.coef).max() > 0.01


def test_sentence_vectors_without_the_layered_ones_are_logged_once(
    model: SentimentModel, caplog: pytest.LogCaptureFixture
) -> None:
    # The shipped model reads the layered vectors: handed only the sentence vectors it must embed the
    # texts again, which is correct but doubles the model work, so whoever built the batch is told.
    assert model.reads_layered
    last, layered = np.zeros((2, 384), np.float32), np.ones((2, 384), np.float32)
    sentiment._warn_twice_embedded.cache_clear()
    with caplog.at_level("WARNING", logger="voxpop.analyze.sentiment"):
        assert model.pick(last, layered) is layered
        assert model.pick(None, None) is None  # nothing at hand: embedding is expected, nothing logged
        assert not caplog.records
        assert model.pick(last, None) is None
        assert model.pick(last, None) is None
    assert ["embedded again" in record.getMessage() for record in caplog.records] == [True]
