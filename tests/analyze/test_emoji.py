"""Emoji read as the feeling they carry, by the lexicon, the TF-IDF heads and the embedding model alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxpop.analyze import lexicon
from voxpop.analyze.emoji import gloss, words
from voxpop.analyze.sentiment import SentimentModel
from voxpop.settings import Settings


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("great 👍", "great good"),
        ("😡😡 worst", "furious furious worst"),
        ("❤️ it", "love it"),  # with the emoji-presentation selector
        ("❤ it", "love it"),  # and without
        ("Super👍🏽!", "Super good !"),  # a skin tone changes nothing
        ("✈ delayed again", "✈ delayed again"),  # an object carries no feeling
        ("😂😂", "😂😂"),  # used both ways: left as it is
        ("plain ascii :)", "plain ascii :)"),
    ],
)
def test_gloss(text: str, read: str) -> None:
    assert " ".join(gloss(text).split()) == read


def test_the_table_is_whole() -> None:
    table = words()
    assert len(table) > 100
    assert all(word.isascii() and word.islower() and " " not in word for word in table.values())
    assert "\ufe0f" not in "".join(table)


def test_clean_reads_emoji_for_every_model() -> None:
    assert lexicon.clean("@acme 👎 https://x.example/y") == "bad"
    scores = lexicon.features(["😡😡😡", "👍"])
    assert scores[0, 0] < 0 < scores[1, 0]  # VADER's compound, which knew neither


def test_an_answer_made_of_emoji_has_their_feeling(tmp_path: Path) -> None:
    model = SentimentModel.load(Settings(home=tmp_path))
    assert [r.label for r in model.predict(["👍", "😡😡😡", "🤮", "😍😍"])] == [
        "positive",
        "negative",
        "negative",
        "positive",
    ]
