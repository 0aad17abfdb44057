"""The tone check flags hostile phrases with their category and a softer wording, and leaves polite
replies alone."""

from __future__ import annotations

import pytest

from voxpop.act.replies.tone import check_tone

FLAGGED = [
    ("You are wrong about the refund.", "blaming", "You are wrong"),
    ("you're simply mistaken here", "blaming", "you're simply mistaken"),
    ("As we already told you, the shop closes at 6.", "dismissive", "As we already told"),
    ("As I have explained before, this is how it works.", "dismissive", "As I have explained before"),
    ("Please calm down and read the email.", "aggressive", "calm down"),
    ("That is not our fault.", "defensive", "That is not our fault"),
    ("It's not really our problem.", "defensive", "It's not really our problem"),
    ("Per our policy, no refunds after 30 days.", "defensive", "Per our policy"),
    ("As per company policy we cannot help.", "defensive", "As per company policy"),
    ("We are not responsible for the courier.", "defensive", "We are not responsible"),
    ("You should have checked the size chart.", "blaming", "You should have checked"),
    ("If you had read the confirmation you'd know.", "blaming", "If you had read"),
    ("Nobody else has complained about this dish.", "dismissive", "Nobody else has complained"),
    ("Sorry you feel that way.", "dismissive", "Sorry you feel that way"),
    ("Thanks for nothing, I guess.", "sarcastic", "Thanks for nothing"),
    ("Good luck with that.", "sarcastic", "Good luck with that"),
    ("We promise this will never happen again.", "over-promising", "We promise this"),
    ("It will never happen again.", "over-promising", "It will never happen again"),
    ("THIS IS UNACCEPTABLE behaviour from a guest.", "shouting", "THIS IS UNACCEPTABLE"),
    ("We tried our best!!!", "shouting", "!!!"),
    ("What?!?! Really", "shouting", "?!?!"),
    ("No es nuestra culpa.", "defensive", "No es nuestra culpa"),
    ("Ce n'est pas notre faute.", "defensive", "Ce n'est pas notre faute"),
    ("Das ist nicht unsere Schuld.", "defensive", "nicht unsere Schuld"),
    ("Calmez-vous, s'il vous plaît.", "aggressive", "Calmez-vous"),
    ("Wie wir Ihnen bereits gesagt haben, ist das so.", "dismissive", "Wie wir Ihnen bereits gesagt"),
    ("It’s not our fault.", "defensive", "It’s not our fault"),  # curly apostrophe
]

POLITE = [
    "Thank you for staying with us! We hope to see you again soon.",
    "Dear guest, we look forward to having you back to rest and relax with us again soon!",
    "You should have received a confirmation e-mail from us; if not, please let me know.",
    "I'm so sorry your delivery was late. Please send us your order number and I'll look into it.",
    "Thank you once again for the kind words. The whole team at the BBQ was delighted.",
    "We checked with our FAQ team and the USA store ships within 3 days.",
    "Oh dear, I'm sorry to hear that! Could you DM us your booking reference?",
    "We'd love to welcome you back and show you a better evening.",
]


@pytest.mark.parametrize(("text", "category", "phrase"), FLAGGED)
def test_flags_phrase_category_and_offers_a_softer_wording(text: str, category: str, phrase: str) -> None:
    report = check_tone(text)
    assert not report.ok
    matching = [f for f in report.flags if f.category == category]
    assert matching, [f.category for f in report.flags]
    flag = matching[0]
    assert flag.phrase == phrase
    assert text[flag.start : flag.end] == phrase
    assert flag.suggestion
    assert flag.why


@pytest.mark.parametrize("text", POLITE)
def test_polite_replies_pass(text: str) -> None:
    report = check_tone(text)
    assert report.ok, [(f.category, f.phrase) for f in report.flags]


def test_many_flags_and_segments_for_highlighting() -> None:
    text = "Calm down. As we already told you, it's not our fault!!!"
    report = check_tone(text)
    assert report.categories() == ["aggressive", "defensive", "dismissive", "shouting"]
    pieces = report.segments()
    assert "".join(p for p, _ in pieces) == text
    assert [p for p, f in pieces if f is not None] == ["Calm down", "As we already told", "it's not our fault", "!!!"]
