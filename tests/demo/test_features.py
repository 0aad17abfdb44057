"""The demo around its items (both backends): rules, templates, events, alerts, widget, survey, ideas and
agents' replies made through the services, once; routing by those rules; every main page opens with data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from voxpop.analyze.pipeline import Analyzer
from voxpop.demo import business as biz
from voxpop.demo import features
from voxpop.demo.analysis import analyze_pending
from voxpop.demo.generator import generate
from voxpop.demo.installer import ADMIN_EMAIL, install
from voxpop.demo.item import DemoItem
from voxpop.store import Store
from voxpop.store.models import Department, Item, User
from voxpop.store.models.insight import Event
from voxpop.store.models.loop import Idea, IdeaVote, Survey, SurveyResponse, WidgetSite
from voxpop.store.models.outreach import AlertDestination, AlertRule
from voxpop.store.models.replies import Reply, ReplyTemplate
from voxpop.store.models.routing import ItemNote, Mention, RoutingRule
from voxpop.web.app import create_app

NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def items() -> list[DemoItem]:
    return generate(NOW, items=400)


def _counts(store: Store) -> dict[str, int]:
    models = (RoutingRule, ReplyTemplate, Event, AlertRule, AlertDestination, WidgetSite, Survey, SurveyResponse)
    with store.read() as session:
        out = {m.__name__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in models}
        out |= {
            m.__name__: int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Idea, IdeaVote, ItemNote, Mention)
        }
        out["Item"] = int(session.scalar(select(func.count(Item.id))) or 0)
    return out


def test_every_feature_is_seeded_once(store: Store, items: list[DemoItem]) -> None:
    install(store, items, password=PASSWORD, now=NOW)
    report = features.seed_setup(store, admin_email=ADMIN_EMAIL, created=NOW)
    assert report.skipped == []
    counts = _counts(store)
    assert counts["RoutingRule"] == len(features.ROUTING_RULES)
    assert counts["ReplyTemplate"] > 10  # the default library
    assert counts["Event"] == 3
    assert counts["AlertRule"] == len(features.ALERT_RULES)
    assert counts["AlertDestination"] == 1
    assert counts["WidgetSite"] == 1
    assert counts["Survey"] == 1
    assert counts["SurveyResponse"] == len(features.SURVEY_ANSWERS)
    assert counts["Idea"] == len(features.IDEAS)
    assert counts["ItemNote"] == len(features.NOTES)
    assert counts["Mention"] == len(features.NOTES)  # each note names the admin
    assert counts["Item"] == 400 + len(features.SURVEY_ANSWERS) + len(features.IDEAS)
    assert sorted(report.item_ids) == sorted(set(report.item_ids))
    assert len(report.item_ids) == len(features.SURVEY_ANSWERS) + len(features.IDEAS)

    with store.read() as session:
        events = {e.name: e for e in session.scalars(select(Event))}
        assert events[biz.PRICE_RISE.label].kind == "price"
        assert (NOW.date() - events[biz.PRICE_RISE.label].starts_on).days == biz.PRICE_RISE.starts_days_ago
        assert events[biz.SEASONAL.label].kind == "campaign"
        assert events[biz.PARTNER.label].location == "Northgate"
        votes = dict(
            session.execute(
                select(Idea.title, func.count(IdeaVote.id))
                .join(IdeaVote, IdeaVote.idea_id == Idea.id)
                .group_by(Idea.title)
            ).all()
        )
        assert votes["Oat milk at no extra charge"] == len(features.VOTERS)
        assert min(votes.values()) >= 2
        responses = list(session.scalars(select(SurveyResponse)))
        assert all(r.item_id is not None for r in responses)
        survey_items = list(session.scalars(select(Item).where(Item.id.in_([r.item_id for r in responses]))))
        scores = sorted(round((i.rating or 0) * 10) for i in survey_items)  # NPS 0–10 is kept as 0–1
        assert scores == sorted(a[0] for a in features.SURVEY_ANSWERS)
        assert any("charged twice" in i.text for i in survey_items)

    again = features.seed_setup(store, admin_email=ADMIN_EMAIL, created=NOW)
    assert not any(again.added.values())
    assert again.item_ids == []
    assert _counts(store) == counts


def test_agents_answer_older_items_with_templates(store: Store, items: list[DemoItem]) -> None:
    install(store, items, password=PASSWORD, now=NOW)
    features.seed_setup(store, admin_email=ADMIN_EMAIL, created=NOW)
    assert features.seed_replies(store, limit=12) == 12
    with store.read() as session:
        replies = list(session.scalars(select(Reply)))
        assert len(replies) == 12
        for reply in replies:
            item = session.get_one(Item, reply.item_id)
            author = session.get_one(User, reply.user_id)
            assert author.role == "agent"
            assert item.department_id in author.department_ids
            assert reply.template_id is not None
            assert reply.origin == "template"
            assert reply.sent_at == item.responded_at
            assert reply.response_seconds == int((item.responded_at - item.created_at).total_seconds())
            assert reply.text.strip()
            assert "{{" not in reply.text
            assert biz.BUSINESS in reply.text or len(reply.text) > 40
    assert features.seed_replies(store, limit=12) == 0


def test_the_demo_rules_route_the_analysed_items(store: Store, items: list[DemoItem]) -> None:
    install(store, items, password=PASSWORD, now=NOW)
    features.seed_setup(store, admin_email=ADMIN_EMAIL, created=NOW)
    analyze_pending(store, Analyzer(store.settings, enrichers=["language", "questions"]))
    refund = re.compile(r"\b(refund|refunded|charged twice|overcharged|gift card|invoice)\b", re.IGNORECASE)
    food = re.compile(r"\b(food poisoning|sick|allergic reaction|plastic)\b", re.IGNORECASE)
    with store.read() as session:
        billing = session.scalar(select(Department.id).where(Department.name == "Billing"))
        open_items = list(session.scalars(select(Item).where(Item.status.in_(("new", "assigned")))))
    money = [i for i in open_items if refund.search(i.text)]
    assert money, "the demo has open refund complaints"
    assert all(i.department_id == billing and "money" in (i.tags or []) for i in money)
    unsafe = [i for i in open_items if food.search(i.text)]
    assert unsafe
    assert all(i.priority == 3 and "food-safety" in (i.tags or []) for i in unsafe)


def _login(client: TestClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    done = client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303


def _main_text(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S)
    assert main, "the page has no <main>"
    return " ".join(re.sub(r"<[^>]+>", " ", main.group(0)).split())


SEEN_ON = {
    "/rules": "Refunds and charges go to Billing",
    "/events": biz.PRICE_RISE.label,
    "/alerts": "Viral complaint",
    "/surveys": "How was your visit to Crumb &amp; Kettle?",
    "/ideas-admin": "Oat milk at no extra charge",
    "/ideas": "Pre-order in the app and skip the queue",
    "/widget-sites": "Crumb &amp; Kettle website",
    "/mentions": '#notes">Item ',  # a link to the item the admin was mentioned on
}


def test_every_main_page_opens_with_demo_data(store: Store, items: list[DemoItem]) -> None:
    install(store, items, password=PASSWORD, now=NOW)
    features.seed_setup(store, admin_email=ADMIN_EMAIL, created=NOW)
    analyze_pending(store, Analyzer(store.settings, enrichers=["language", "questions"]))
    features.seed_replies(store, limit=20)
    with TestClient(create_app(store.settings, store)) as client:
        _login(client)
        inbox = client.get("/inbox")
        nav = re.search(r'<nav class="mainnav".*?</nav>', inbox.text, re.S)
        assert nav
        groups = [p for p in re.findall(r'href="([^"]+)"', nav.group(0)) if p.startswith("/")]
        assert len(groups) == 6  # Inbox · Act · Measure · Listen · Loop · Admin
        pages = []  # each group's page lists the group's pages in its second menu row
        for group in groups:
            subnav = re.search(r'<nav class="subnav".*?</nav>', client.get(group).text, re.S)
            assert subnav, group
            pages += [p for p in re.findall(r'href="([^"]+)"', subnav.group(0)) if p.startswith("/")]
        assert len(pages) > 10
        for path in dict.fromkeys([*pages, *SEEN_ON]):
            page = client.get(path)
            assert page.status_code == 200, path
            if path in SEEN_ON:
                assert SEEN_ON[path] in page.text, path
            if not path.startswith("/api/"):
                assert len(_main_text(page.text).split()) > 10, path
        assert "No mentions" not in client.get("/mentions").text
        with store.read() as session:
            names = list(session.scalars(select(ReplyTemplate.name)))
        library = client.get("/replies/templates").text
        assert all(str(escape(name)) in library for name in names)
