"""Deciding where an item goes, and the pipeline's ``route`` stage.

The order, for each item:

1. The enabled rules, by position. The first matching rule wins; a rule marked ``continue`` applies and
   lets the following rules match too — for a single-valued action (department, assignee, priority,
   SLA) the earliest rule that sets it wins, tags add up.
2. No rule named a department: the taxonomy's aspect owners — the department of the item's first
   negative aspect that has one, else of its first aspect that has one (created if missing).
3. Still none: the first enabled rule flagged ``default``, then the ``routing_default_department``
   setting.

The SLA is the rule's ``sla_hours``, else the department's. Every decision is written on the item
(``item.route["text"]``: "routed to Billing by rule 'refund words'") and audited when it changes
anything. Routing never overrides a person: an item whose route a person set (``route.manual``), whose
department a person corrected, or that has left new/assigned is skipped — so running it twice, or
again after re-analysis, changes only what no person touched.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer

from voxpop.act.corrections import corrected_fields
from voxpop.act.departments import create_department, get_department_by_name
from voxpop.act.routing.patterns import compile_pattern, keyword_pattern, search
from voxpop.act.routing.rules import Actions, Conditions, list_rules, spec_of
from voxpop.act.workflow import set_status, sla_due
from voxpop.errors import NotFoundError
from voxpop.store import Store
from voxpop.store.batch_flush import flush_column_changes
from voxpop.store.models import AuditEvent, Department, Item, ItemStatus, Role, User
from voxpop.store.models.routing import RoutingRule
from voxpop.store.types import utcnow
from voxpop.workers.tasks import task

ROUTABLE_STATUSES = (ItemStatus.new.value, ItemStatus.assigned.value)


def _fold(values: Sequence[str]) -> set[str]:
    return {v.casefold() for v in values}


@dataclass
class CompiledRule:
    """A rule ready to test items: sets folded, patterns compiled once."""

    id: int
    name: str
    is_default: bool
    continue_matching: bool
    when: Conditions
    then: Actions
    keywords: Any = None
    regex: Any = None
    sets: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, rule: RoutingRule) -> CompiledRule:
        spec = spec_of(rule)
        when = spec.when
        compiled = cls(
            id=rule.id,
            name=rule.name,
            is_default=rule.is_default,
            continue_matching=rule.continue_matching,
            when=when,
            then=spec.then,
        )
        if when.keywords:
            compiled.keywords = keyword_pattern(tuple(when.keywords))
        if when.regex:
            compiled.regex = compile_pattern(when.regex)
        for name in ("channels", "sources", "locations", "kinds", "aspects", "languages"):
            values = getattr(when, name)
            if values:
                compiled.sets[name] = _fold(values)
        return compiled

    def matches(self, item: Item) -> bool:
        """Every condition the rule gives holds for ``item`` (an unknown value fails a condition on it)."""
        w = self.when
        fields = {
            "channels": item.channel,
            "sources": item.source.name if item.source else None,
            "locations": item.location,
            "kinds": item.kind,
            "languages": item.language,
        }
        for name, value in fields.items():
            wanted = self.sets.get(name)
            if wanted is not None and (value is None or value.casefold() not in wanted):
                return False
        if "aspects" in self.sets:
            names = {str(a.get("name", "")).casefold() for a in item.aspects or []}
            if not names & self.sets["aspects"]:
                return False
        if w.sentiments and item.sentiment not in w.sentiments:
            return False
        if w.stars_min is not None or w.stars_max is not None:
            if item.rating is None:
                return False
            stars = 1 + item.rating * 4
            if w.stars_min is not None and stars < w.stars_min - 1e-9:
                return False
            if w.stars_max is not None and stars > w.stars_max + 1e-9:
                return False
        if w.urgency_min is not None and (item.urgency is None or item.urgency < w.urgency_min):
            return False
        if w.authenticity_risk_min is not None and (
            item.authenticity_risk is None or item.authenticity_risk < w.authenticity_risk_min
        ):
            return False
        if self.keywords is not None or self.regex is not None:
            text = f"{item.title or ''}\n{item.text or ''}"
            if self.keywords is not None and search(self.keywords, text) is None:
                return False
            if self.regex is not None and search(self.regex, text) is None:
                return False
        return True


@dataclass
class Decision:
    """Where an item goes and why."""

    department: str | None = None
    assignee: str | None = None
    priority: int | None = None
    sla_hours: int | None = None
    tags: list[str] = field(default_factory=list)
    by: str | None = None  # rule, aspect, default, setting — or None: not routed
    rule_ids: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    reason: str = ""

    def take(self, then: Actions) -> None:
        """Apply a rule's actions; a value set earlier stays."""
        self.department = self.department or then.department
        self.assignee = self.assignee or then.assignee
        self.priority = self.priority if self.priority is not None else then.priority
        self.sla_hours = self.sla_hours or then.sla_hours
        self.tags = list(dict.fromkeys([*self.tags, *then.tags]))

    def text(self, department_name: str | None) -> str:
        if department_name is None:
            if self.rules:
                return f"not routed to a department; applied rule {_quoted(self.rules)}"
            return "not routed: no rule matched, no aspect of this item has an owner, and there is no default route"
        text = f"routed to {department_name} {self.reason}"
        others = [name for name in self.rules if f"'{name}'" not in self.reason]
        if others:
            text += f"; also applied rule {_quoted(others)}"
        return text


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def decide(item: Item, rules: Sequence[CompiledRule], owners: dict[str, str], default_department: str = "") -> Decision:
    """Where ``item`` goes, by rules, then aspect owners (``owners``: aspect name → department name),
    then the default rule, then ``default_department``."""
    decision = Decision()
    for rule in rules:
        if rule.is_default or not rule.matches(item):
            continue
        if rule.then.department and not decision.department:
            decision.by, decision.reason = "rule", f"by rule '{rule.name}'"
        decision.take(rule.then)
        decision.rule_ids.append(rule.id)
        decision.rules.append(rule.name)
        if not rule.continue_matching:
            break
    if decision.department:
        return decision
    aspects = [a for a in item.aspects or [] if owners.get(str(a.get("name")))]
    aspects.sort(key=lambda a: a.get("sentiment") != "negative")  # stable: negative ones first
    if aspects:
        name = str(aspects[0]["name"])
        decision.department = owners[name]
        decision.by, decision.reason = "aspect", f"because the aspect '{name}' belongs to it"
        return decision
    for rule in rules:
        if rule.is_default:
            decision.take(rule.then)
            decision.rule_ids.append(rule.id)
            decision.rules.append(rule.name)
            if decision.department:
                decision.by, decision.reason = "default", f"by the default rule '{rule.name}'"
            return decision
    if default_department:
        decision.department = default_department
        decision.by, decision.reason = "setting", "by the default route (setting routing_default_department)"
    return decision


def person_decided(item: Item) -> bool:
    """A person set this item's route, corrected its department, or moved it on in the workflow."""
    return (
        bool((item.route or {}).get("manual"))
        or "department" in corrected_fields(item)
        or item.status not in ROUTABLE_STATUSES
    )


class Router:
    """Routes items in one session: the rules compiled once, departments looked up once."""

    def __init__(self, session: Session, owners: dict[str, str], default_department: str = "") -> None:
        self.session = session
        self.owners = owners
        self.default_department = default_department
        self.rules = [CompiledRule.of(r) for r in list_rules(session) if r.enabled]
        self._departments: dict[str, Department] = {}
        #: The ``item_routed`` audit rows of the items routed so far, written by :meth:`write_audit`.
        self.audit: list[dict[str, Any]] = []

    def department(self, name: str, *, create: bool) -> Department | None:
        key = name.casefold()
        if key not in self._departments:
            try:
                # Without autoflush: the look-up does not depend on the items routed so far, and an autoflush
                # would write each of them with its own UPDATE (the ORM's unit of work) instead of leaving them
                # to ``flush_column_changes``'s one statement per chunk.
                with self.session.no_autoflush:
                    self._departments[key] = get_department_by_name(self.session, name)
            except NotFoundError:
                if not create:
                    return None
                self._departments[key] = create_department(self.session, name=name[:1].upper() + name[1:])
        return self._departments[key]

    def route(self, item: Item) -> bool:
        """Route one item; returns whether anything on it changed."""
        if person_decided(item):
            return False
        decision = decide(item, self.rules, self.owners, self.default_department)
        department = None
        if decision.department:
            # Aspect owners are created when missing; a rule's department was checked when it was saved,
            # and a department deleted since leaves the item unrouted rather than re-creating it.
            department = self.department(decision.department, create=decision.by in ("aspect", "setting"))
        before = _snapshot(item)
        if department is not None and item.department_id != department.id:
            item.department_id = department.id
            item.department = department
        hours = decision.sla_hours or (department.sla_hours if department is not None else None)
        if item.responded_at is None:
            if hours:
                item.due_at = sla_due(item, hours)
            elif (item.route or {}).get("sla_hours"):
                item.due_at = None  # the SLA routing set before no longer applies
        if decision.priority is not None:
            item.priority = decision.priority
        if decision.tags:
            item.tags = list(dict.fromkeys([*(item.tags or []), *decision.tags]))
        if decision.assignee:
            self._assign(item, decision.assignee)
        route = {
            "by": decision.by,
            "rules": decision.rules,
            "rule_ids": decision.rule_ids,
            "department": department.name if department is not None else None,
            "sla_hours": hours,
            "text": decision.text(department.name if department is not None else None),
            "manual": False,
        }
        changed = _snapshot(item) != before or {k: v for k, v in (item.route or {}).items() if k != "at"} != route
        if changed:
            now = utcnow()
            item.route = {**route, "at": now.isoformat()}
            # What ``accounts.audit.record`` would add, kept for one multi-row INSERT per chunk.
            self.audit.append(
                {
                    "at": now,
                    "user_id": None,
                    "actor": "routing",
                    "action": "item_routed",
                    "object_type": "item",
                    "object_id": str(item.id),
                    "detail": {
                        "text": route["text"],
                        "by": decision.by,
                        "department": route["department"],
                        "rules": decision.rules,
                    },
                }
            )
        return changed

    def write_audit(self) -> None:
        """Insert the audit rows of the items routed so far, in one statement (not one ORM object each: the
        unit of work's per-object bookkeeping and the ids it fetches back cost about as much as routing)."""
        if self.audit:
            with self.session.no_autoflush:  # the items' changes are written by ``flush_column_changes``
                self.session.execute(insert(AuditEvent), self.audit)
            self.audit = []

    def _assign(self, item: Item, email: str) -> None:
        with self.session.no_autoflush:  # as in ``department``
            user = self.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.is_active or user.role == Role.viewer.value:
            return
        if user.role == Role.agent.value and item.department_id not in user.department_ids:
            return
        item.assignee_id = user.id
        if item.status == ItemStatus.new.value:
            set_status(self.session, item, ItemStatus.assigned.value, None)


def _snapshot(item: Item) -> tuple[Any, ...]:
    return (item.department_id, item.assignee_id, item.priority, item.due_at, tuple(item.tags or ()), item.status)


_owners_lock = threading.Lock()
_owners_cache: dict[tuple[str, str], dict[str, str]] = {}


def aspect_owners(taxonomy: str) -> dict[str, str]:
    """Aspect name → owning department name, for the taxonomy as it is on disk now."""
    from voxpop.analyze.taxonomy import load_taxonomy, taxonomy_fingerprint

    key = (taxonomy, taxonomy_fingerprint(taxonomy))
    with _owners_lock:
        if key not in _owners_cache:
            loaded = load_taxonomy(taxonomy)
            _owners_cache[key] = {a.name: a.department for a in loaded.aspects if a.department}
        return _owners_cache[key]


def route_items(store: Store, ids: Sequence[int], *, chunk: int = 512) -> int:
    """Route the items ``ids``; returns how many changed. ``chunk`` matches the pipeline's 512-item batches, so
    a batch is one transaction (500 split each into 500 + 12)."""
    owners = aspect_owners(store.settings.taxonomy)
    default = store.settings.routing_default_department
    changed = 0
    for start in range(0, len(ids), chunk):
        with store.write() as session:
            router = Router(session, owners, default)
            # ``raw`` (the source record, often the largest column) is never read by routing.
            query = select(Item).options(defer(Item.raw)).where(Item.id.in_(ids[start : start + chunk]))
            routed = list(session.scalars(query.order_by(Item.id)).unique())
            for item in routed:
                changed += router.route(item)
            # The chunk's item changes as one UPDATE per set of changed columns on PostgreSQL (not one per
            # item, each firing the roll-up trigger), then its audit rows as one INSERT; anything else flushes
            # as usual.
            flush_column_changes(session, routed)
            router.write_audit()
    return changed


@task("route")
def route(store: Store, ids: Sequence[int]) -> None:
    route_items(store, ids)
