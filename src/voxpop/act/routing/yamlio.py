"""Routing rules as a YAML file, for the UI's import/export and ``voxpop rules import|export``::

    rules:
      - name: refund words
        when: {keywords: [refund, money back]}
        then: {department: Billing, sla_hours: 4}

Import is all or nothing: every rule is validated (and its department and assignee checked) before any
is written, and an error names the rule and the field. Rules are matched by name: a rule in the file
replaces the stored rule of that name; ``replace=True`` also deletes the stored rules the file omits.
The file's order becomes the rules' order.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.act.routing.rules import (
    RuleSpec,
    check_targets,
    list_rules,
    parse_spec,
    require_rule_editor,
    spec_document,
    spec_of,
)
from voxpop.errors import ValidationError
from voxpop.store.models import User
from voxpop.store.models.routing import RoutingRule
from voxpop.store.types import utcnow

MAX_YAML_BYTES = 2_000_000


def export_yaml(session: Session) -> str:
    """Every rule, in order, as YAML that ``import_yaml`` reads back to the same rules."""
    rules = [spec_document(spec_of(rule)) for rule in list_rules(session)]
    header = "# voxpop routing rules, evaluated top to bottom (see voxpop.act.routing).\n"
    return header + yaml.safe_dump({"rules": rules}, sort_keys=False, allow_unicode=True, width=120)


def parse_yaml(text: str, *, origin: str = "the file") -> list[RuleSpec]:
    """The rules of a YAML document; ValidationError names the rule (by number and name) and the field."""
    if len(text.encode()) > MAX_YAML_BYTES:
        raise ValidationError(f"{origin}: larger than {MAX_YAML_BYTES // 1_000_000} MB")
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValidationError(f"{origin}: not valid YAML{where}: {problem}") from None
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ValidationError(f"{origin}: expected 'rules:' followed by a list of rules")
    specs: list[RuleSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(data, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"{origin}, rule {index}" + (f" ('{name}')" if isinstance(name, str) and name.strip() else "")
        spec = parse_spec(entry, where=f"{label}: ")
        if spec.name in seen:
            raise ValidationError(f"{label}: name: the name '{spec.name}' is used twice")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def import_yaml(
    session: Session, user: User | None, text: str, *, replace: bool = False, origin: str = "the file"
) -> dict[str, int]:
    """Store the file's rules; returns how many were created, updated and deleted."""
    if user is not None:
        require_rule_editor(user)
    specs = parse_yaml(text, origin=origin)
    for index, spec in enumerate(specs, start=1):
        try:
            check_targets(session, spec)
        except ValidationError as exc:
            raise ValidationError(f"{origin}, rule {index} ('{spec.name}'): {exc}") from None
    existing = {rule.name: rule for rule in list_rules(session)}
    counts = {"created": 0, "updated": 0, "deleted": 0}
    if replace:
        for name, stale in list(existing.items()):
            if name not in {s.name for s in specs}:
                session.delete(stale)
                del existing[name]
                counts["deleted"] += 1
        session.flush()
    ordered: list[RoutingRule] = []
    for spec in specs:
        rule: RoutingRule | None = existing.pop(spec.name, None)
        if rule is None:
            rule = RoutingRule()
            session.add(rule)
            counts["created"] += 1
        else:
            rule.updated_at = utcnow()
            counts["updated"] += 1
        rule.name = spec.name
        rule.enabled = spec.enabled
        rule.continue_matching = spec.continue_matching
        rule.is_default = spec.default
        rule.conditions = spec.when.model_dump(exclude_defaults=True)
        rule.actions = spec.then.model_dump(exclude_defaults=True)
        ordered.append(rule)
    # The file's rules first, in its order; stored rules it does not mention keep their order after them.
    for position, rule in enumerate([*ordered, *existing.values()], start=1):
        rule.position = position
    session.flush()
    record(session, "rules_imported", user=user, object_type="routing_rule", replace=replace, counts=counts)
    return counts
