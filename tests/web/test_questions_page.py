"""/questions and ``voxpop questions``: recurring questions grouped into FAQ candidates, over items the
real pipeline analysed (its question detector and its stored sentence vectors)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from tests.web.conftest import World, add_item, login
from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.cli import app
from voxpop.errors import ValidationError
from voxpop.measure.faq import faq_view
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.types import utcnow

REFUND = [
    "Where is my refund? I returned the parcel two weeks ago.",
    "When will I get my refund for the returned order?",
    "Hi, how long does a refund take after you receive a return?",
]
SUNDAY = ["Do you deliver on Sundays?", "Is there delivery on Sunday?"]
HOSTILE = 'Is there <script>alert("faq")</script> a discount for students?'
OTHER = "Can I pay with a gift card in the shop?"


def _seed(store: Store, world: World, models_home: Path) -> dict[str, list[int]]:
    now = utcnow()
    ids: dict[str, list[int]] = {"refund": [], "sunday": [], "left_out": []}

    def add(text: str, key: str, minutes: int, **fields: object) -> None:
        fields.setdefault("department_id", world.billing)
        ids[key].append(add_item(store, world.reviews, minutes=minutes, text=text, **fields))

    for i, text in enumerate(REFUND):
        add(text, "refund", i, department_id=world.billing)
    for i, text in enumerate(SUNDAY):
        add(text, "sunday", 10 + i, department_id=world.delivery)
    add(HOSTILE, "left_out", 20)
    add(HOSTILE.replace("students", "pupils"), "left_out", 21)
    add(OTHER, "left_out", 22)
    add("Thank you, the refund arrived quickly.", "left_out", 23)  # about refunds, but not a question
    add("Where is my refund? Returned it weeks ago!", "left_out", 24, status="spam")
    with store.write() as s:
        rival = Source(name="Rival reviews", kind="file", channel="google", config={}, is_competitor=True)
        s.add(rival)
        s.flush()
        rival_id = rival.id
    ids["left_out"].append(add_item(store, rival_id, minutes=25, text="When do I get my refund back?"))
    every = [i for group in ids.values() for i in group]
    settings = store.settings.model_copy(update={"model_dir": models_home / "models"})
    assert analyze_items(store, every, Analyzer(settings, enrichers=["questions", "topics"])) == len(every)
    with store.write() as s:  # the analysis ran now; the items were made in the last days, one answered
        s.execute(update(Item).where(Item.id.in_(every)).values(created_at=now - timedelta(days=2)))
        s.execute(update(Item).where(Item.id == ids["refund"][0]).values(responded_at=now - timedelta(days=1)))
    return ids


def test_questions_asked_again_are_grouped_with_their_unanswered_count(
    store: Store, world: World, models_home: Path
) -> None:
    ids = _seed(store, world, models_home)
    today = utcnow().date()
    with store.read() as s:
        view = faq_view(s, None, today - timedelta(days=29), today)
    assert view.questions == 8  # 3 refund, 2 Sunday, 2 discount, 1 gift card: not the thanks, spam or rival's
    assert view.not_embedded == 0
    groups = {frozenset(q.item_id for q in e.examples): e for e in view.entries}
    refund = groups[frozenset(ids["refund"])]
    assert (refund.count, refund.unanswered) == (3, 2)
    assert refund.question.item_id in ids["refund"]
    sunday = groups[frozenset(ids["sunday"])]
    assert (sunday.count, sunday.unanswered) == (2, 2)
    assert not any(set(ids["refund"]) & set(g) and set(ids["sunday"]) & set(g) for g in groups)
    with store.read() as s:
        earlier = faq_view(s, None, today - timedelta(days=60), today - timedelta(days=30))
        assert earlier.questions == 0
        assert earlier.entries == []
        with pytest.raises(ValidationError, match="grouping"):
            faq_view(s, None, today, today, grouping="tight")
        with pytest.raises(ValidationError, match="before it starts"):
            faq_view(s, None, today, today - timedelta(days=1))


def test_the_page_scopes_agents_and_escapes_customers_words(
    app_client: TestClient, store: Store, world: World, models_home: Path
) -> None:
    ids = _seed(store, world, models_home)
    login(app_client, "manager@example.com")
    page = app_client.get("/questions?days=30")
    assert page.status_code == 200
    html = page.text
    assert 'href="/questions"' in html  # in the menu
    for item_id in ids["refund"] + ids["sunday"]:
        assert f'href="/items/{item_id}"' in html
    assert "<script>alert" not in html
    assert (
        "Is there &lt;script&gt;alert(&#34;faq&#34;)&lt;/script&gt; a discount" in html
    )  # the stranger's markup is text
    app_client.cookies.clear()
    login(app_client, "agent@example.com")  # Billing only
    mine = app_client.get("/questions?days=30&grouping=loose").text
    assert all(f'href="/items/{i}"' in mine for i in ids["refund"])
    assert not any(f'href="/items/{i}"' in mine for i in ids["sunday"])  # Delivery's
    assert app_client.get("/questions?days=7").status_code == 422
    assert app_client.get("/questions?grouping=tight").status_code == 422
    app_client.cookies.clear()
    assert app_client.get("/questions", follow_redirects=False).status_code in (302, 303, 401)


def test_the_command_prints_the_groups(store: Store, world: World, models_home: Path) -> None:
    ids = _seed(store, world, models_home)
    settings = store.settings
    env = {
        "VOXPOP_DATABASE_URL": settings.database_url,
        "VOXPOP_HOME": str(settings.home),
        "VOXPOP_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    out = CliRunner().invoke(app, ["questions", "--days", "30"], env=env)
    assert out.exit_code == 0, out.output
    assert "8 questions read" in out.output
    assert "3× (2 unanswered)" in out.output
    assert f"#{ids['sunday'][0]}" in out.output
    bad = CliRunner().invoke(app, ["questions", "--grouping", "tight"], env=env)
    assert bad.exit_code == 1
    assert "grouping" in bad.output


def test_the_api_gives_the_groups_to_a_token_that_may_read_items(
    app_client: TestClient, store: Store, world: World, models_home: Path, token_for: Any
) -> None:
    ids = _seed(store, world, models_home)

    def call(token: str, query: str = "days=30") -> Any:
        return app_client.get(f"/api/v1/questions/recurring?{query}", headers={"Authorization": f"Bearer {token}"})

    everything = call(token_for("manager@example.com", "items:read"))
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["questions"] == 8
    groups = {frozenset(q["item_id"] for q in g["examples"]): g for g in body["recurring"]}
    assert groups[frozenset(ids["refund"])]["count"] == 3
    assert groups[frozenset(ids["refund"])]["unanswered"] == 2
    assert frozenset(ids["sunday"]) in groups
    hostile = [g for g in body["recurring"] if "discount" in g["question"]["text"]]
    assert hostile[0]["question"]["text"].startswith('Is there <script>alert("faq")</script>')  # JSON: as typed
    agent = call(token_for("agent@example.com", "items:read")).json()
    seen = {q["item_id"] for g in agent["recurring"] for q in g["examples"]}
    assert set(ids["refund"]) <= seen
    assert not seen & set(ids["sunday"])  # Delivery's
    assert call(token_for("manager@example.com", "metrics:read")).status_code == 403
    assert call(token_for("manager@example.com", "items:read"), "grouping=tight").status_code == 422
    assert call(token_for("manager@example.com", "items:read"), "min_count=1").status_code == 422
    assert app_client.get("/api/v1/questions/recurring").status_code == 401


def test_the_inbox_filters_questions_and_the_page_links_the_unanswered_ones(
    app_client: TestClient, store: Store, world: World, models_home: Path, token_for: Any
) -> None:
    ids = _seed(store, world, models_home)
    login(app_client, "manager@example.com")
    assert 'href="/inbox?question=1&amp;responded=0"' in app_client.get("/questions").text
    asked = ids["refund"] + ids["sunday"] + ids["left_out"][:3]  # the discount pair and the gift card
    thanks = ids["left_out"][3]

    def shown(query: str) -> set[int]:
        html = app_client.get(f"/inbox?{query}").text
        return {int(i) for i in re.findall(r'class="item-link" href="/items/(\d+)"', html)}

    questions = shown("question=1")
    assert set(asked) <= questions
    assert thanks not in questions
    others = shown("question=0")
    assert thanks in others
    assert not others & set(asked)
    unanswered = shown("question=1&responded=0")
    assert ids["refund"][0] not in unanswered  # it has a response
    assert set(asked) - {ids["refund"][0]} <= unanswered
    assert app_client.get("/inbox?question=maybe").status_code == 422
    token = token_for("manager@example.com", "items:read")
    api = app_client.get("/api/v1/items?question=true&limit=500", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    assert {i["id"] for i in api.json()["items"]} == questions
