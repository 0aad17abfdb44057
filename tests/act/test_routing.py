"""Routing rules: each condition, order, continue, aspect-owner fallback, default route, explanations,
idempotence, a person's decision kept, and safe regular expressions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import World, add_item
from voxpop.accounts.users import get_user_by_email
from voxpop.act.inbox import get_item
from voxpop.act.routing.engine import route_items
from voxpop.act.routing.patterns import MAX_PATTERN, compile_pattern, search
from voxpop.act.routing.rules import (
    create_rule,
    delete_rule,
    list_rules,
    move_rule,
    parse_spec,
    set_enabled,
    update_rule,
)
from voxpop.act.workflow import history, set_department
from voxpop.errors import NotUniqueError, PermissionDeniedError, ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Department, Item


def rule(store: Store, name: str, when: dict[str, Any], then: dict[str, Any], **extra: Any) -> int:
    with store.write() as s:
        return create_rule(s, None, parse_spec({"name": name, "when": when, "then": then, **extra})).id


def routed(store: Store, item_id: int) -> Item:
    route_items(store, [item_id])
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        return item


def department_name(item: Item) -> str | None:
    return item.department.name if item.department else None


CONDITIONS = [
    ({"channels": ["Google"]}, {"channel": "google"}, {"channel": "twitter"}),
    ({"sources": ["Google reviews"]}, {}, {"source": "tweets"}),
    ({"locations": ["Lyon"]}, {"location": "lyon"}, {"location": "Paris"}),
    ({"kinds": ["ticket"]}, {"kind": "ticket"}, {"kind": "review"}),
    ({"stars_max": 2}, {"rating": 0.25}, {"rating": 0.5}),
    ({"stars_min": 4}, {"rating": 0.75}, {"rating": None}),
    ({"sentiments": ["negative"]}, {"sentiment": "negative"}, {"sentiment": "positive"}),
    ({"aspects": ["Billing"]}, {"aspects": [{"name": "billing"}]}, {"aspects": [{"name": "weather"}]}),
    ({"languages": ["fr"]}, {"language": "fr"}, {"language": "en"}),
    ({"keywords": ["refund", "money back"]}, {"text": "I want my MONEY back."}, {"text": "Refunded already"}),
    ({"regex": r"charged (twice|two times)"}, {"text": "They CHARGED TWICE"}, {"text": "charged once"}),
    ({"urgency_min": 0.6}, {"urgency": 0.7}, {"urgency": 0.5}),
    ({"authenticity_risk_min": 0.5}, {"authenticity_risk": 0.9}, {"authenticity_risk": None}),
]


def test_each_condition(store: Store, world: World) -> None:
    """Each condition routes the item that meets it and leaves the one that does not (one rule at a time)."""
    for n, (when, hit, miss) in enumerate(CONDITIONS):
        rule_id = rule(store, f"rule {n}", when, {"department": "Billing"})

        def make(fields: dict[str, Any], minutes: int) -> int:
            fields = dict(fields)
            source = world.tweets if fields.pop("source", None) == "tweets" else world.reviews
            return add_item(store, source, minutes=minutes, **fields)

        assert department_name(routed(store, make(hit, 2 * n))) == "Billing", when
        missed = routed(store, make(miss, 2 * n + 1))
        assert missed.department_id is None, when
        assert missed.route is not None
        assert missed.route["text"].startswith("not routed"), when
        with store.write() as s:
            delete_rule(s, None, rule_id)


def test_first_match_wins_and_explains(store: Store, world: World) -> None:
    rule(store, "refund words", {"keywords": ["refund"]}, {"department": "Billing", "priority": 2, "tags": ["refund"]})
    rule(store, "late words", {"keywords": ["late"]}, {"department": "Delivery"})
    item = routed(store, add_item(store, world.reviews, text="Late delivery and no refund"))
    assert department_name(item) == "Billing"
    assert item.priority == 2
    assert item.tags == ["refund"]
    assert item.route is not None
    assert item.route["text"] == "routed to Billing by rule 'refund words'"
    assert item.route["by"] == "rule"
    # Reordered, the other rule wins.
    with store.write() as s:
        late = next(r for r in list_rules(s) if r.name == "late words")
        move_rule(s, None, late.id, -1)
    assert department_name(routed(store, add_item(store, world.reviews, minutes=1, text="late refund"))) == "Delivery"


def test_continue_rules_add_up(store: Store, world: World) -> None:
    rule(store, "vip", {"locations": ["Lyon"]}, {"priority": 3, "tags": ["vip"]}, **{"continue": True})
    rule(store, "refund words", {"keywords": ["refund"]}, {"department": "Billing", "priority": 1, "tags": ["refund"]})
    item = routed(store, add_item(store, world.reviews, text="refund please", location="Lyon"))
    assert department_name(item) == "Billing"
    assert item.priority == 3  # the earlier rule's value stays
    assert item.tags == ["vip", "refund"]
    assert item.route is not None
    assert item.route["text"] == "routed to Billing by rule 'refund words'; also applied rule 'vip'"


def test_aspect_owner_is_the_fallback_and_is_created(store: Store, world: World) -> None:
    rule(store, "only tickets", {"kinds": ["ticket"]}, {"department": "Billing"})
    item_id = add_item(
        store,
        world.reviews,
        aspects=[{"name": "price", "sentiment": "positive"}, {"name": "delivery", "sentiment": "negative"}],
    )
    item = routed(store, item_id)
    # The negative aspect's owner wins; "logistics" did not exist and is created.
    assert department_name(item) == "Logistics"
    assert item.route is not None
    assert item.route["text"] == "routed to Logistics because the aspect 'delivery' belongs to it"
    with store.read() as s:
        assert s.query(Department).filter_by(slug="logistics").count() == 1
    # "billing" (taxonomy owner "billing") maps onto the existing "Billing" by its slug.
    again = routed(store, add_item(store, world.reviews, minutes=1, aspects=[{"name": "billing"}]))
    assert again.department_id == world.billing


def test_default_rule_then_default_setting(store: Store, world: World, settings: Settings) -> None:
    rule(store, "everything else", {}, {"department": "Delivery", "sla_hours": 48}, default=True)
    rule(store, "refund words", {"keywords": ["refund"]}, {"department": "Billing"})
    item = routed(store, add_item(store, world.reviews, text="Nice place"))
    assert item.department_id == world.delivery
    assert item.route is not None
    assert item.route["text"] == "routed to Delivery by the default rule 'everything else'"
    assert item.due_at is not None
    assert (item.due_at - item.ingested_at).total_seconds() == 48 * 3600
    with store.write() as s:
        for r in list_rules(s):
            delete_rule(s, None, r.id)
    fallback = Store(settings.model_copy(update={"routing_default_department": "Front desk"}), migrate=False)
    try:
        item_id = add_item(store, world.reviews, minutes=1, text="Nice place")
        route_items(fallback, [item_id])
    finally:
        fallback.dispose()
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert department_name(item) == "Front desk"
        assert item.route is not None
        assert item.route["text"] == "routed to Front desk by the default route (setting routing_default_department)"


def test_department_sla_is_the_default_and_rule_sla_overrides(store: Store, world: World) -> None:
    with store.write() as s:
        billing = s.get(Department, world.billing)
        assert billing is not None
        billing.sla_hours = 24
    rule(store, "urgent refunds", {"keywords": ["lawyer"]}, {"department": "Billing", "sla_hours": 2})
    rule(store, "refunds", {"keywords": ["refund"]}, {"department": "Billing"})
    slow = routed(store, add_item(store, world.reviews, text="refund"))
    fast = routed(store, add_item(store, world.reviews, minutes=1, text="my lawyer wants a refund"))
    assert slow.due_at is not None
    assert fast.due_at is not None
    assert (slow.due_at - slow.ingested_at).total_seconds() == 24 * 3600
    assert (fast.due_at - fast.ingested_at).total_seconds() == 2 * 3600


def test_rule_assigns_and_routing_is_idempotent(store: Store, world: World) -> None:
    rule(store, "refunds", {"keywords": ["refund"]}, {"department": "Billing", "assignee": "agent@example.com"})
    item_id = add_item(store, world.reviews, text="refund")
    assert route_items(store, [item_id]) == 1
    assert route_items(store, [item_id]) == 0  # nothing changes, nothing recorded
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert item.status == "assigned"
        assert item.assignee_id == get_user_by_email(s, "agent@example.com").id
        actions = [e.action for e in history(s, item_id)]
        assert actions.count("item_routed") == 1


def test_a_persons_decision_is_kept(store: Store, world: World) -> None:
    rule(store, "refunds", {"keywords": ["refund"]}, {"department": "Billing"})
    moved = add_item(store, world.reviews, text="refund")
    resolved = add_item(store, world.reviews, minutes=1, text="refund", status="resolved")
    corrected = add_item(store, world.reviews, minutes=2, text="refund", analysis={"corrected": ["department"]})
    route_items(store, [moved])
    with store.write() as s:
        manager = get_user_by_email(s, "manager@example.com")
        set_department(s, get_item(s, manager, moved), s.get(Department, world.delivery), manager)
    assert route_items(store, [moved, resolved, corrected]) == 0
    with store.read() as s:
        item = s.get(Item, moved)
        assert item is not None
        assert item.department_id == world.delivery
        assert item.route is not None
        assert item.route["manual"] is True
        assert item.route["text"] == "moved to Delivery by manager@example.com"
        assert s.get(Item, resolved).department_id is None  # type: ignore[union-attr]
        assert s.get(Item, corrected).department_id is None  # type: ignore[union-attr]


def test_only_managers_edit_rules_and_every_change_is_audited(store: Store, world: World) -> None:
    spec = parse_spec({"name": "r", "when": {}, "then": {"priority": 1}})
    with store.write() as s:
        agent = get_user_by_email(s, "agent@example.com")
        with pytest.raises(PermissionDeniedError, match="managers and admins"):
            create_rule(s, agent, spec)
    with store.write() as s:
        manager = get_user_by_email(s, "manager@example.com")
        made = create_rule(s, manager, spec)
        with pytest.raises(NotUniqueError, match="name: a rule named 'r'"):
            create_rule(s, manager, spec)
        update_rule(s, manager, made.id, parse_spec({"name": "r2", "then": {"priority": 2}}))
        set_enabled(s, manager, made.id, False)
        delete_rule(s, manager, made.id)
    with store.read() as s:
        actions = [e.action for e in s.query(AuditEvent).filter_by(object_type="routing_rule").order_by(AuditEvent.id)]
        assert actions == ["rule_created", "rule_updated", "rule_disabled", "rule_deleted"]


def test_disabled_rules_do_not_apply(store: Store, world: World) -> None:
    rule(store, "off", {}, {"department": "Billing"}, enabled=False)
    assert routed(store, add_item(store, world.reviews)).department_id is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "x", "when": {"regex": "(a)\\1"}, "then": {"priority": 1}},
            "when.regex: .* is not a pattern voxpop can run safely",
        ),
        ({"name": "x", "when": {"regex": "(?=lookahead)"}, "then": {"priority": 1}}, "when.regex: .* look-arounds"),
        ({"name": "x", "when": {"regex": "a" * (MAX_PATTERN + 1)}, "then": {"priority": 1}}, "longer than 500"),
        ({"name": "x", "when": {"sentiments": ["angry"]}, "then": {"priority": 1}}, "when.sentiments: 'angry'"),
        ({"name": "x", "when": {"stars_max": 9}, "then": {"priority": 1}}, "when.stars_max: "),
        ({"name": "x", "when": {"colour": "red"}, "then": {"priority": 1}}, "when.colour: "),
        ({"name": "x", "when": {}, "then": {}}, "needs at least one action"),
        ({"name": " ", "then": {"priority": 1}}, "name: "),
        ({"name": "x", "then": {"priority": 9}}, "then.priority: "),
    ],
)
def test_bad_rules_are_refused_naming_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_spec(data)


def test_unknown_department_or_assignee_refused(store: Store, world: World) -> None:
    with store.write() as s, pytest.raises(ValidationError, match=r"then\.department: no department named 'Kitchen'"):
        create_rule(s, None, parse_spec({"name": "x", "then": {"department": "Kitchen"}}))
    with store.write() as s, pytest.raises(ValidationError, match=r"then\.assignee: agent@example\.com is not in"):
        create_rule(
            s, None, parse_spec({"name": "x", "then": {"department": "Delivery", "assignee": "agent@example.com"}})
        )


def test_catastrophic_patterns_run_in_linear_time() -> None:
    """RE2 has no backtracking: the classic ReDoS patterns compile and answer at once on the input that
    would make a backtracking engine run for ages (Python's ``re`` needs ~2^n steps here)."""
    for pattern in [r"(a+)+$", r"(a|aa)+$", r"(\w+\s?)*$x", r"^(a|a?)+b$"]:
        compiled = compile_pattern(pattern)
        hostile = "a" * 50_000 + "!"
        assert search(compiled, hostile) is None or pattern == r"(a+)+$"
    assert compile_pattern(r"(a+)+$").search("a" * 50_000 + "!") is None
    # The engine is RE2 and refuses what RE2 cannot do in linear time.
    with pytest.raises(ValueError, match="back-references"):
        compile_pattern(r"(\w+)\s\1")


def test_route_is_a_registered_pipeline_stage(store: Store, world: World) -> None:
    from voxpop.workers.executor import get_executor
    from voxpop.workers.pipeline import run_pipeline, stages_from

    rule(store, "refunds", {"keywords": ["refund"]}, {"department": "Billing"})
    item_id = add_item(store, world.reviews, text="refund please")
    executor = get_executor(store)
    assert "route" in stages_from("route")
    run_pipeline(executor, [item_id], start="route")
    with store.read() as s:
        assert s.get(Item, item_id).department_id == world.billing  # type: ignore[union-attr]


def test_hostile_text_against_a_backtracking_pattern_routes_normally(store: Store, world: World) -> None:
    """The rule's pattern is the textbook ReDoS one and the text is what makes a backtracking engine
    explode; with RE2 (and texts cut at MAX_TEXT) routing simply answers "no match"."""
    rule(store, "evil", {"regex": r"^(a+)+$"}, {"department": "Billing"})
    item = routed(store, add_item(store, world.reviews, text="a" * 60_000 + "!", dedup_key="hostile"))
    assert item.department_id is None
    assert item.route is not None
    assert item.route["text"].startswith("not routed")


def test_a_chunk_is_written_set_based_even_when_departments_are_looked_up_midway(store: Store, world: World) -> None:
    """Each department is looked up when a chunk first needs it. That look-up must not autoflush: an
    autoflush wrote every item routed so far with the ORM's own per-row UPDATE, so on PostgreSQL most of a
    chunk bypassed the one-statement-per-column-set write (and its single firing of the roll-up trigger)."""
    from sqlalchemy import event

    rule(store, "refunds", {"keywords": ["refund"]}, {"department": "Billing"})
    rule(store, "late", {"keywords": ["late"]}, {"department": "Delivery", "sla_hours": 24})
    texts = ["nice", "refund please", "nice", "it came late", "refund now", "late again"]
    ids = [add_item(store, world.reviews, minutes=n, text=t) for n, t in enumerate(texts)]
    updates: list[str] = []
    audit_inserts: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and "items" in statement.split("SET")[0]:
            updates.append(statement)
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            audit_inserts.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert route_items(store, ids) == len(ids)  # every item gets its route written
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    with store.read() as s:
        got = {i.id: i.department_id for i in s.query(Item).filter(Item.id.in_(ids))}
    expected = [None, world.billing, None, world.delivery, world.billing, world.delivery]
    assert [got[i] for i in ids] == expected
    # The chunk's audit rows in one INSERT, each as ``accounts.audit.record`` would have written it.
    assert len(audit_inserts) == 1
    with store.read() as s:
        routes = {str(i.id): i.route for i in s.query(Item).filter(Item.id.in_(ids))}
        events = s.query(AuditEvent).filter(AuditEvent.action == "item_routed").all()
    assert sorted(e.object_id for e in events) == sorted(routes)
    for e in events:
        route = routes[e.object_id]
        assert route is not None
        assert (e.actor, e.object_type, e.user_id) == ("routing", "item", None)
        assert e.detail == {
            "text": route["text"],
            "by": route["by"],
            "department": route["department"],
            "rules": route["rules"],
        }
        assert e.at.isoformat() == route["at"]
    if store.engine.dialect.name == "postgresql":
        # One statement per set of changed columns: route only; route + department; route + department + due.
        assert len(updates) == 3
        assert all("unnest" in u for u in updates)
