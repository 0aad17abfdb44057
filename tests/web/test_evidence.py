"""The analysis's evidence in words: why an item is a suspected fake, what its urgency is made of — on the
item page and as an inbox badge, escaped, over items the real pipeline analysed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.conftest import World, add_item, login
from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.web.evidence import authenticity_lines, sentiment_note, suspected, transcript_note, urgency_parts

HOSTILE_AUTHOR = '<img src=x onerror="alert(1)">'


def test_each_signal_reads_as_a_sentence() -> None:
    analysis = {
        "evidence": {
            "authenticity": [
                {"signal": "near_duplicate", "similar_to": 41, "similarity": 0.94, "same_author": False},
                {"signal": "near_duplicate", "similar_to": "tweet-9", "similarity": 0.9, "same_author": True},
                {
                    "signal": "burst",
                    "place": "Main St",
                    "items_in_24h": 14,
                    "usual_per_day": 1.5,
                    "all_extreme_ratings": True,
                },
                {"signal": "author_pattern", "author": "ann", "reviews_in_7_days": 6, "all_extreme_ratings": True},
                {"signal": "linguistic", "probability": 0.83},
                {"signal": "something_new"},
                "not a signal",
            ],
            "urgency": {
                "negativity": 0.9,
                "escalation": 1.0,
                "time_pressure": 0.5,
                "low_rating": 0.0,
                "reach": 0.25,
                "velocity": 0,
            },
        }
    }
    lines = authenticity_lines(analysis)
    assert [line.text for line in lines] == [
        "Nearly the same text as item 41 (94% alike), under another author.",
        "Nearly the same text as item tweet-9 (90% alike), by the same author.",
        "One of 14 items for Main St within 24 hours (usually 1.5 a day), every one rated 1★ or 5★.",
        "ann posted 6 reviews within 7 days, every one rated 1★ or 5★.",
        "The wording leans deceptive (your authenticity model: 83% deceptive).",
    ]
    assert [line.item_id for line in lines] == [41, None, None, None, None]  # only a stored item is linked
    assert urgency_parts(analysis) == (
        "escalation language 1.00, negative sentiment 0.90, time pressure 0.50, audience 0.25"
    )
    for empty in (None, {}, {"evidence": "broken"}, {"evidence": {"authenticity": "x", "urgency": []}}):
        assert authenticity_lines(empty) == []
        assert urgency_parts(empty) == ""
    assert suspected(0.6)
    assert not suspected(0.3)
    assert not suspected(None)


def test_how_the_sentiment_was_read_reads_as_a_sentence() -> None:
    def note(found: object) -> str:
        return sentiment_note({"evidence": {"sentiment": found}})

    words = [{"text": "pessimo", "weight": -3.0}, {"text": "freddo", "weight": -1.0}]
    assert note({"script": "cyrillic", "language": None}) == (
        "Written in Cyrillic script, which the sentiment model does not read: no sentiment is given."
    )
    assert note({"script": "han", "language": "zh", "decided_by": "rating"}).endswith(": the star rating decided.")
    assert note({"language": "it", "decided_by": "lexicon", "words": words}) == (
        "Read with voxpop's Italian word list: “pessimo”, “freddo”."
    )
    assert note({"language": "es", "decided_by": "lexicon+rating", "words": []}) == (
        "Read with voxpop's Spanish word list and the star rating."
    )
    assert note({"language": "sv", "decided_by": "rating"}) == (
        "In language 'sv', which the sentiment model does not read: the star rating decided."
    )
    assert note({"language": "de", "confidence_factor": 0.5}) == (
        "In German, with no word voxpop knows: the English model's reading, at half confidence."
    )
    rated = {"decided_by": "text+rating", "rating": 1.0, "text_label": "negative", "text_confidence": 0.61}
    assert note(rated) == "The words alone read negative (61% sure); the customer's own rating outweighed them."
    for nothing in (None, {}, {"evidence": {}}, {"evidence": {"sentiment": "odd"}}):
        assert sentiment_note(nothing) == ""


def test_the_item_page_says_how_a_foreign_item_was_read(app_client: TestClient, store: Store, world: World) -> None:
    russian = add_item(
        store, world.reviews, text="Отличный отель, персонал очень вежливый!", department_id=world.billing
    )
    italian = add_item(
        store, world.reviews, minutes=1, text="Servizio pessimo, cibo freddo.", department_id=world.billing
    )
    english = add_item(store, world.reviews, minutes=2, text="The soup was cold.", department_id=world.billing)
    analyze_items(store, [russian, italian, english], Analyzer(store.settings, enrichers=["language", "sentiment"]))
    login(app_client, "agent@example.com")
    page = app_client.get(f"/items/{russian}").text
    assert "Written in Cyrillic script, which the sentiment model does not read: no sentiment is given." in page
    assert "Read with voxpop&#39;s Italian word list: “pessimo”" in app_client.get(f"/items/{italian}").text
    plain = app_client.get(f"/items/{english}").text
    assert "word list" not in plain
    assert "script" not in plain.split("<dt>Aspects</dt>")[0].split("<dt>Sentiment</dt>")[1]


def test_the_item_page_says_a_conversation_was_read_from_the_customers_turns(
    app_client: TestClient, store: Store, world: World
) -> None:
    chat = (
        "Agent: Thanks so much for reaching out! Happy to help!\nCustomer: The app logs me out every hour.\n"
        "Agent: So sorry! Have a wonderful day!\nCustomer: Fix it."
    )
    conversation = add_item(store, world.reviews, text=chat, department_id=world.billing)
    plain = add_item(store, world.reviews, minutes=1, text="Agent Smith was great.", department_id=world.billing)
    analyze_items(store, [conversation, plain], Analyzer(store.settings, enrichers=["language", "sentiment"]))
    login(app_client, "agent@example.com")
    page = app_client.get(f"/items/{conversation}").text
    assert "A conversation: analysed from the turns of “Customer” (2 turns), not the business&#39;s side." in page
    assert "A conversation" not in app_client.get(f"/items/{plain}").text
    assert transcript_note({"evidence": {"transcript": {"customer": "Me", "customer_turns": 1}}}).endswith(
        "“Me” (1 turn), not the business's side."
    )
    assert transcript_note(None) == transcript_note({"evidence": {"transcript": "odd"}}) == ""


def test_a_copied_review_is_flagged_with_a_link_to_its_twin(
    app_client: TestClient, store: Store, world: World, models_home: Path
) -> None:
    text = "Best pizza in town, friendly staff and fast delivery, will order again every week!"
    first = add_item(store, world.reviews, minutes=0, text=text, author_name="Sam", department_id=world.billing)
    copy = add_item(
        store, world.reviews, minutes=30, text=text, author_name=HOSTILE_AUTHOR, department_id=world.billing
    )
    plain = add_item(store, world.reviews, minutes=60, text="The crust was soggy.", department_id=world.billing)
    settings = store.settings.model_copy(update={"model_dir": models_home / "models"})
    analyze_items(store, [first, copy, plain], Analyzer(settings, enrichers=["authenticity", "urgency"]))
    with store.read() as s:
        flagged = s.get(Item, copy)
        assert flagged is not None
        assert flagged.authenticity_risk is not None
        assert suspected(flagged.authenticity_risk)
    login(app_client, "agent@example.com")
    page = app_client.get(f"/items/{copy}").text
    assert "suspected fake" in page
    assert f'<a href="/items/{first}">Nearly the same text as item {first} (' in page
    assert "under another author." in page
    assert HOSTILE_AUTHOR not in page
    calm = app_client.get(f"/items/{plain}").text
    assert "suspected fake" not in calm
    assert "Nearly the same text" not in calm
    inbox = app_client.get("/inbox").text
    assert inbox.count('<span class="badge suspected"') == 2  # each copy points at the other; not the plain one

    with store.write() as s:  # an author's pattern quotes the author's name: as text
        s.execute(
            update(Item)
            .where(Item.id == plain)
            .values(
                authenticity_risk=0.45,
                analysis={
                    "evidence": {
                        "authenticity": [
                            {"signal": "author_pattern", "author": HOSTILE_AUTHOR, "reviews_in_7_days": 5},
                        ],
                        "urgency": {"escalation": 0.5},
                    }
                },
            )
        )
    page = app_client.get(f"/items/{plain}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; posted 5 reviews within 7 days" in page
    assert HOSTILE_AUTHOR not in page
    assert "from escalation language 0.50" in page
    assert "suspected fake" not in page  # 0.45: evidence shown, no badge
