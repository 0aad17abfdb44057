"""The learned tone classifier: it flags a hostile reply the phrase rules have no pattern for, highlights
its worst sentence, and leaves polite replies alone."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from voxpop.act.replies.tone import check_tone
from voxpop.act.replies.tone_model import ToneModel, get_tone_model, training_data
from voxpop.analyze.embeddings import get_embedder
from voxpop.settings import Settings

# Not in the training data, and no phrase rule matches them.
UNSEEN_HOSTILE = "Frankly, your behaviour at the desk was disgraceful. We expect better."
UNSEEN_POLITE = [
    "Thank you for your review, James. I'm sorry the shower pressure was low; maintenance has fixed it.",
    "We're sorry the item was out of stock. We'll e-mail you as soon as it's back.",
    "Thank you for celebrating with us, and happy birthday!",
]


@pytest.fixture(scope="module")
def model(models_home: Path) -> ToneModel:
    settings = Settings(home=models_home, model_dir=models_home / "models")
    return get_tone_model(get_embedder(settings).encode)


def test_training_data_is_ours_and_balanced_enough() -> None:
    texts, labels = training_data()
    assert sum(labels) >= 100
    assert len(labels) - sum(labels) >= 150
    assert UNSEEN_HOSTILE not in texts
    assert not set(UNSEEN_POLITE) & set(texts)


def test_flags_what_the_rules_miss_and_highlights_the_worst_sentence(model: ToneModel) -> None:
    assert check_tone(UNSEEN_HOSTILE).ok  # the phrase rules alone miss it
    report = check_tone(UNSEEN_HOSTILE, model)
    assert [f.category for f in report.flags] == ["hostile"]
    flag = report.flags[0]
    assert flag.phrase in {"Frankly, your behaviour at the desk was disgraceful.", "We expect better."}
    assert UNSEEN_HOSTILE[flag.start : flag.end] == flag.phrase
    assert "tone model" in flag.why
    assert flag.suggestion


@pytest.mark.parametrize("text", UNSEEN_POLITE)
def test_polite_replies_pass(model: ToneModel, text: str) -> None:
    report = check_tone(text, model)
    assert report.ok, [(f.category, f.phrase) for f in report.flags]


def test_rule_flags_are_kept_and_not_doubled(model: ToneModel) -> None:
    report = check_tone("Calm down. It is not our fault.", model)
    assert "aggressive" in report.categories()
    assert "defensive" in report.categories()
    spans = [(f.start, f.end) for f in report.flags]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
