"""Workflow transitions, assignment, department moves, tags, history and the SLA clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import World, add_item
from voxpop.accounts.users import create_user, get_user_by_email
from voxpop.act.inbox import get_item
from voxpop.act.sla import breached_items, count_breached, mark_breaches
from voxpop.act.workflow import (
    add_tags,
    allowed_next,
    assign,
    department_by_id,
    history,
    remove_tags,
    set_department,
    set_status,
)
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.store import Store
from voxpop.store.models import Item

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_status_walks_the_workflow_and_is_audited(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, department_id=world.billing)
    with store.write() as s:
        agent = get_user_by_email(s, "agent@example.com")
        item = get_item(s, agent, item_id)
        assert set_status(s, item, "waiting", agent) is True
        assert set_status(s, item, "waiting", agent) is False  # already there: nothing recorded
        assert set_status(s, item, "responded", agent) is True
        first = item.responded_at
        assert first is not None
        set_status(s, item, "resolved", agent)
        set_status(s, item, "assigned", agent)  # reopened
        set_status(s, item, "responded", agent)
        assert item.responded_at == first  # the first response is what the SLA and response time use
    with store.read() as s:
        steps = [(e.detail["from"], e.detail["to"]) for e in history(s, item_id) if e.action == "item_status"]
        assert steps == [
            ("new", "waiting"),
            ("waiting", "responded"),
            ("responded", "resolved"),
            ("resolved", "assigned"),
            ("assigned", "responded"),
        ]


def test_forbidden_and_unknown_transitions(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, status="spam")
    with store.write() as s:
        admin = get_user_by_email(s, "admin@example.com")
        item = get_item(s, admin, item_id)
        with pytest.raises(ValidationError, match="from 'spam' to 'resolved'"):
            set_status(s, item, "resolved", admin)
        with pytest.raises(ValidationError, match="unknown status 'closed'"):
            set_status(s, item, "closed", admin)
        assert allowed_next("spam") == ["new"]
        viewer = get_user_by_email(s, "viewer@example.com")
        with pytest.raises(PermissionDeniedError):
            set_status(s, item, "new", viewer)


def test_assignment_follows_the_department(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, department_id=world.billing)
    with store.write() as s:
        create_user(
            s, email="d@example.com", password="correct horse battery", role="agent", department_ids=[world.delivery]
        )
    with store.write() as s:
        manager = get_user_by_email(s, "manager@example.com")
        agent = get_user_by_email(s, "agent@example.com")
        other = get_user_by_email(s, "d@example.com")
        item = get_item(s, manager, item_id)
        with pytest.raises(ValidationError, match="not in this item's department"):
            assign(s, item, other, manager)
        assert assign(s, item, agent, manager) is True
        assert item.status == "assigned"
        assert item.route is not None
        assert item.route["manual"] is True
        # Moving it to Delivery takes it off the Billing agent and sets the clock from Delivery's SLA.
        delivery = department_by_id(s, world.delivery)
        delivery.sla_hours = 4
        set_department(s, item, delivery, manager)
        assert item.assignee_id is None
        assert item.status == "new"
        assert item.due_at == item.ingested_at + timedelta(hours=4)
        assert assign(s, item, None, manager) is False
    with store.read() as s:
        actions = [e.action for e in history(s, item_id)]
        assert actions == ["item_assigned", "item_status", "item_department", "item_assigned", "item_status"]
        # The Billing agent cannot even see it any more.
        with pytest.raises(NotFoundError):
            get_item(s, get_user_by_email(s, "agent@example.com"), item_id)


def test_tags_are_cleaned_and_audited(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews)
    with store.write() as s:
        admin = get_user_by_email(s, "admin@example.com")
        item = get_item(s, admin, item_id)
        assert add_tags(s, item, [" Refund ", "refund", "VIP"], admin) == ["refund", "vip"]
        assert add_tags(s, item, ["vip"], admin) == []
        assert remove_tags(s, item, ["refund"], admin) == ["refund"]
        with pytest.raises(ValidationError, match=r"tags: .* longer than 50"):
            add_tags(s, item, ["x" * 51], admin)
    with store.read() as s:
        assert s.get(Item, item_id).tags == ["vip"]  # type: ignore[union-attr]


def test_sla_breach_is_found_and_marked_once(store: Store, world: World) -> None:
    late = add_item(store, world.reviews, minutes=1, department_id=world.billing, due_at=NOW - timedelta(hours=1))
    on_time = add_item(store, world.reviews, minutes=2, department_id=world.billing, due_at=NOW + timedelta(hours=1))
    answered = add_item(
        store, world.reviews, minutes=3, due_at=NOW - timedelta(hours=2), responded_at=NOW - timedelta(hours=3)
    )
    closed = add_item(store, world.reviews, minutes=4, due_at=NOW - timedelta(hours=2), status="resolved")
    other = add_item(store, world.tweets, minutes=5, department_id=world.delivery, due_at=NOW - timedelta(hours=5))
    assert [i.id for i in breached_items(store, NOW)] == [other, late]  # most overdue first
    assert [i.id for i in breached_items(store, NOW, department_id=world.billing)] == [late]
    with store.read() as s:
        assert count_breached(s, NOW) == 2
        assert count_breached(s, NOW, department_id=world.delivery) == 1
        assert [i.id for i in breached_items(s, NOW + timedelta(hours=2))] == [other, late, on_time]
    assert mark_breaches(store, NOW) == sorted([late, other])
    assert mark_breaches(store, NOW) == []  # idempotent: an alert fires once
    with store.read() as s:
        assert s.get(Item, late).sla_breached_at == NOW  # type: ignore[union-attr]
        assert s.get(Item, answered).sla_breached_at is None  # type: ignore[union-attr]
        assert s.get(Item, closed).sla_breached_at is None  # type: ignore[union-attr]
