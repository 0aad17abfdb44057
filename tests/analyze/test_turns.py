"""A conversation pasted as one text is read as its customer's turns; anything else is read whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.turns import customer_turns
from voxpop.settings import Settings

CHEER = "Thanks so much for reaching out! We're happy to help. Have a wonderful day!"


@pytest.mark.parametrize(
    ("text", "customer", "said"),
    [
        (
            f"Agent: {CHEER}\nCustomer: My order hasn't arrived in 2 weeks.\nAgent: {CHEER}\nCustomer: Useless.",
            "Customer",
            "My order hasn't arrived in 2 weeks.\nUseless.",
        ),
        (f"[14:02] Guest: where is my room key\n[14:03] Front desk: {CHEER}", "Guest", "where is my room key"),
        (f"10:41 AM - Visitor: hello?\n10:42 AM - Support Agent: {CHEER}", "Visitor", "hello?"),
        (
            f"(09:12:33) Rep: {CHEER}\n(09:12:50) Client: I need a refund\nfor the second order",
            "Client",
            "I need a refund for the second order",
        ),  # a turn over two lines
        (f"Me: cancel my plan\nAcme Support: {CHEER}", "Me", "cancel my plan"),
        (f"You: where's my parcel\nZippo: {CHEER}", "You", "where's my parcel"),
        (f"Customer: hi\nCustomer Care: {CHEER}", "Customer", "hi"),
        (f"Dana: my bill is wrong again\nMarcus (Acme Support): {CHEER}", "Dana", "my bill is wrong again"),
        (f"Rhea: speed is 8 Mbps\nSam from FibreNet: {CHEER}", "Rhea", "speed is 8 Mbps"),
        (f"Paul: no callback yet\nNadia: Hi Paul, this is Nadia from Willowbrook! {CHEER}", "Paul", "no callback yet"),
        (f"Chatbot: Hi, I'm Ava!\nUser: agent please\nSam (Helpdesk): {CHEER}", "User", "agent please"),
    ],
)
def test_the_customers_turns_are_found(text: str, customer: str, said: str) -> None:
    found = customer_turns(text)
    assert found is not None
    assert (found.customer, found.text) == (customer, said)
    assert found.turns == said.count("\n") + 1


@pytest.mark.parametrize(
    "text",
    [
        "The food was great.\nService: slow but friendly.\nPrice: fair.",  # a structured review
        "Staff: lovely\nFood: cold\nAmbience: loud",
        "Pros: cheap\nCons: slow",
        "Dana: my bill is wrong again\nMarcus: So sorry Dana!",  # two names and nothing says who is who
        "Customer: one line only",
        "Customer: first\nCustomer: second",  # one speaker
        "Note: called twice.\nUpdate: still nothing",
        "Flight delayed 3 hours: no one told us anything",
        "Long review.\nWith lines.\nBut only one line\nhas a Label: here.",
    ],
)
def test_anything_else_is_read_whole(text: str) -> None:
    assert customer_turns(text) is None


def test_the_pipeline_reads_a_transcript_as_its_customers_words(models_home: Path) -> None:
    analyzer = Analyzer(Settings(home=models_home), None, enrichers=["language", "sentiment", "questions", "urgency"])
    transcript = (
        f"Agent: Hi! {CHEER} Could you share your order number?\nCustomer: It's 4411. It never came.\n"
        f"Agent: So sorry! {CHEER}\nCustomer: Two weeks now. Refund me."
    )
    said = "It's 4411. It never came.\nTwo weeks now. Refund me."
    read, alone = analyzer.analyze([{"id": 1, "text": transcript}, {"id": 2, "text": said}])
    for field in ("sentiment", "sentiment_score", "is_question", "urgency"):
        assert read[field] == pytest.approx(alone[field]), field
    assert read["sentiment"] == "negative"
    assert read["evidence"]["transcript"] == {"customer": "Customer", "speakers": 2, "customer_turns": 2}
    assert "transcript" not in alone["evidence"]
