"""Questions addressed to the business vs rhetorical complaints, and FAQ candidates."""

from __future__ import annotations

import numpy as np
import pytest

from voxpop.analyze.questions import QuestionDetector, QuestionEnricher, faq_candidates
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.settings import Settings

DETECTOR = QuestionDetector(("en", "es", "fr", "de", "it", "pt", "nl"))


@pytest.mark.parametrize(
    "text",
    [
        "Is there parking nearby?",
        "does anyone know if they deliver on Sundays",
        "@united can I change my seat for free",
        "Why was my flight cancelled?",
        "Seriously, can I get a refund or not?",
        "Great stay. What time does breakfast start?",
        "I was wondering whether you ship to Canada.",
        "¿Dónde está mi maleta?",
        "Est-ce que vous livrez le dimanche",
        "Gibt es einen Parkplatz?",
        "Hi, how do I reset my password",
        "@shop @courier can someone tell me where my parcel is",
        "thanks is there a student discount",
        "so was there a winner of the draw???",
        "Any update on my refund???",
        "are you open on Sundays",
        "What do I do now, my card was charged twice",
    ],
)
def test_information_questions(text: str) -> None:
    assert DETECTOR.is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Why is your service so bad?!",
        "Why do you always lose my bags?",
        "How come nobody answers the phone?",
        "Are you kidding me?",
        "What kind of airline does this??!",
        "The food was great.",
        "What a great day!",
        "Como siempre, excelente servicio.",
        "",
        "🙄🙄",
        "?",
        "Can you do anything right?!",
        "Why not offer a vegan menu? Everyone else does.",
        'The waiter asked "is everything ok?" three times in a minute.',
        "Great help from Kim (sp?) at the front desk.",
        "Quick reply, thanks! @shop: @me Sorry to hear that. Can you DM us your order number?",
        "Thanks for the follow. RT @shop: Do you have a question for us?",
    ],
)
def test_statements_and_rhetorical_complaints(text: str) -> None:
    assert not DETECTOR.is_question(text)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("你们周日几点开门？", True),  # full-width question mark
        ("日曜日は何時に開きますか？", True),
        ("هل الإفطار مشمول؟", True),  # Arabic question mark
        ("服务很好。谢谢！", False),
    ],
)
def test_question_marks_of_other_scripts(text: str, asks: bool) -> None:
    assert DETECTOR.is_question(text) is asks


def test_very_long_text_is_read_at_its_start_and_its_end() -> None:
    assert DETECTOR.is_question("The room was fine. " * 2000 + "Is there a gym?")
    assert DETECTOR.is_question("Is there a gym? " + "The room was fine. " * 2000)
    assert not DETECTOR.is_question("The room was fine. " * 2000)


def test_enricher_sets_is_question() -> None:
    enricher = QuestionEnricher(AnalysisContext(Settings()))
    batch = Batch.of([Record(1, "Can I bring my dog?"), Record(2, "Lovely place."), Record(3, "")])
    enricher.enrich(batch)
    assert batch.column("is_question") == [True, False, False]


def _unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_faq_candidates_group_recurring_questions() -> None:
    questions = [
        "Do you have parking?",
        "Is there parking at the hotel?",
        "Where can I park?",
        "Do you allow dogs?",
        "Are pets allowed?",
        "What is the wifi password?",
    ]
    embeddings = _unit([[1, 0.05, 0], [0.98, 0.1, 0], [0.95, 0, 0.1], [0, 1, 0.05], [0.05, 0.97, 0], [0, 0, 1]])
    candidates = faq_candidates(questions, embeddings)
    assert [c.count for c in candidates] == [3, 2]
    assert candidates[0].question in questions[:3]
    assert candidates[0].indices == [0, 1, 2]
    assert candidates[1].indices == [3, 4]


def test_faq_candidates_need_at_least_two_questions() -> None:
    assert faq_candidates([]) == []
    assert faq_candidates(["Is there parking?"], _unit([[1, 0]])) == []
