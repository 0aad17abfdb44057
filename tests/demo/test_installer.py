"""Installing the demo into a store (both backends): departments, sources, logins, a lived-in inbox."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from voxpop.accounts.users import authenticate
from voxpop.demo import business as biz
from voxpop.demo.analysis import analyze_pending, pending_ids
from voxpop.demo.generator import generate
from voxpop.demo.installer import ADMIN_EMAIL, install
from voxpop.demo.item import DemoItem
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer, Department, Item, Source, User

NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def items() -> list[DemoItem]:
    return generate(NOW, items=400)


def test_install_writes_everything_once(store: Store, settings: Settings, items: list[DemoItem]) -> None:
    first = install(store, items, password=PASSWORD, now=NOW)
    assert (first.added, first.duplicates) == (400, 0)
    with store.read() as session:
        departments = {d.name: d for d in session.scalars(select(Department))}
        assert set(departments) == {d.name for d in biz.DEPARTMENTS}
        assert all(d.sla_hours for d in departments.values())
        sources = {s.name: s.channel for s in session.scalars(select(Source))}
        assert sources == {c.source: c.key for c in biz.CHANNELS}
        users = list(session.scalars(select(User)))
        assert len(users) == 3 + len(biz.DEPARTMENTS)  # admin, manager, viewer and an agent each
        roles = Counter(u.role for u in users)
        assert roles == {"admin": 1, "manager": 1, "viewer": 1, "agent": len(biz.DEPARTMENTS)}
        assert all(len(u.departments) == 1 for u in users if u.role == "agent")
        assert session.scalar(select(func.count(Item.id))) == 400
        assert session.scalar(select(func.count(Customer.id))) > 50  # tickets and surveys carry e-mails

    second = install(store, items, password=PASSWORD, now=NOW)
    assert (second.added, second.duplicates) == (0, 400)
    with store.read() as session:
        assert session.scalar(select(func.count(Item.id))) == 400
        assert session.scalar(select(func.count(User.id))) == 3 + len(biz.DEPARTMENTS)
        assert session.scalar(select(func.count(Department.id))) == len(biz.DEPARTMENTS)


def test_the_inbox_looks_lived_in(store: Store, items: list[DemoItem]) -> None:
    install(store, items, password=PASSWORD, now=NOW)
    by_external = {i.record.external_id: i for i in items}
    with store.read() as session:
        stored = list(session.scalars(select(Item)))
        agents = {u.id: u.department_ids for u in session.scalars(select(User).where(User.role == "agent"))}
        departments = {d.id: d.name for d in session.scalars(select(Department))}
    statuses = Counter(i.status for i in stored)
    assert {"new", "assigned", "responded", "resolved"} <= set(statuses)
    assert statuses["new"] < len(stored) / 2
    routed = [i for i in stored if i.department_id is not None]
    assert len(routed) > 0.6 * len(stored)
    for item in stored:
        demo = by_external[item.external_id]
        assert item.channel == demo.record.channel
        assert item.kind == demo.record.kind
        assert item.created_at == demo.created_at
        if item.department_id is not None:
            assert departments[item.department_id] == demo.department
            assert item.due_at is not None
            assert item.due_at > item.created_at
        if item.assignee_id is not None:
            assert item.department_id in agents[item.assignee_id]
        if item.status in ("assigned", "waiting", "responded", "resolved") and demo.replied_at is None:
            assert item.department_id is not None
            assert item.assignee_id is not None
        if demo.replied_at is not None:
            assert item.status == "responded"
            assert item.responded_at == demo.replied_at
        if item.responded_at is not None:
            assert item.created_at < item.responded_at <= NOW
    reviews = [i for i in stored if i.kind == "review"]
    assert all(i.rating is not None and 0 <= i.rating <= 1 for i in reviews)
    assert any(i.priority >= 2 for i in stored)  # big-reach complaints stand out


def test_the_demo_logins_work(store: Store, settings: Settings, items: list[DemoItem]) -> None:
    install(store, items[:50], password=PASSWORD, now=NOW)
    with store.write() as session:
        admin = authenticate(session, ADMIN_EMAIL, PASSWORD, settings=settings)
        assert admin.role == "admin"
        agent = authenticate(session, "delivery@voxpop.local", PASSWORD, settings=settings)
        assert [d.name for d in agent.departments] == ["Delivery"]
        assert authenticate(session, "manager@voxpop.local", PASSWORD, settings=settings).role == "manager"
        viewer = authenticate(session, "viewer@voxpop.local", PASSWORD, settings=settings)
        assert viewer.role == "viewer"
        assert viewer.departments == []


def test_a_new_password_is_set_on_the_existing_logins(store: Store, settings: Settings, items: list[DemoItem]) -> None:
    install(store, items[:20], password=PASSWORD, now=NOW)
    install(store, [], password="a-brand-new-password", now=NOW, reset_passwords=True)
    with store.write() as session:
        assert authenticate(session, ADMIN_EMAIL, "a-brand-new-password", settings=settings).role == "admin"


def test_analysis_picks_up_what_is_not_analysed_yet(store: Store, settings: Settings, items: list[DemoItem]) -> None:
    from voxpop.analyze.pipeline import Analyzer

    install(store, items[:120], password=PASSWORD, now=NOW)
    analyzer = Analyzer(settings, enrichers=["language", "questions"])  # the model-free ones: quick
    seen: list[int] = []
    assert analyze_pending(store, analyzer, on_progress=seen.append, batch_size=50) == 120
    assert seen == [50, 50, 20]
    assert pending_ids(store) == []
    with store.read() as session:
        stored = list(session.scalars(select(Item)))
    assert all(i.analyzed_at is not None for i in stored)
    by_language = Counter(i.language for i in stored)
    assert by_language["en"] > 100
    assert any(i.is_question for i in stored if "?" in i.text)

    install(store, items[120:150], password=PASSWORD, now=NOW)
    assert len(pending_ids(store)) == 30
    assert analyze_pending(store, analyzer) == 30


def test_the_demo_never_reaches_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from voxpop.demo.installer import demo_settings

    mine = Settings(
        home=tmp_path,
        smtp_host="smtp.example.com",
        llm_base_url="http://localhost:11434/v1",
        broker_url="redis://127.0.0.1:6379/0",
    )
    demo = demo_settings(mine)
    assert (demo.smtp_host, demo.llm_base_url, demo.broker_url) == ("", "", "")
    assert demo.home != mine.home
    assert demo.database_url.startswith("sqlite:///")
