"""Routing rules: their format (validated, so an error names the field) and storing them.

A rule, as the UI, the API and the YAML file all write it::

    name: refund words
    enabled: true
    continue: false          # true: apply this rule and keep looking (see engine)
    default: false           # true: only when no rule and no aspect owner routed the item
    when:                    # every condition given must hold; a list matches any of its values
      channels: [google, trustpilot]
      sources: [Google reviews]
      locations: [Lyon]
      kinds: [review]
      stars_max: 2           # on the 1–5 star scale (stars_min too)
      sentiments: [negative]
      aspects: [billing]
      languages: [en, fr]
      keywords: [refund, money back]      # whole words or phrases, any case
      regex: 'charged (twice|two times)'  # RE2 syntax, any case, linear time
      urgency_min: 0.6
      authenticity_risk_min: 0.5
    then:
      department: Billing
      assignee: ana@example.com
      priority: 2
      sla_hours: 4
      tags: [refund]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.act.departments import get_department_by_name
from voxpop.act.routing.patterns import check_keywords, compile_pattern
from voxpop.act.workflow import clean_tags
from voxpop.errors import NotFoundError, NotUniqueError, PermissionDeniedError, ValidationError
from voxpop.store.models import Role, User
from voxpop.store.models.routing import RoutingRule
from voxpop.store.types import utcnow

SENTIMENTS = ("negative", "neutral", "positive")
MAX_RULES = 1000
Names = list[str]


class Conditions(BaseModel):
    """What an item must look like for the rule to apply. Empty: every item."""

    model_config = ConfigDict(extra="forbid")

    channels: Names = Field(default_factory=list)
    sources: Names = Field(default_factory=list)
    locations: Names = Field(default_factory=list)
    kinds: Names = Field(default_factory=list)
    stars_min: float | None = Field(default=None, ge=1, le=5)
    stars_max: float | None = Field(default=None, ge=1, le=5)
    sentiments: Names = Field(default_factory=list)
    aspects: Names = Field(default_factory=list)
    languages: Names = Field(default_factory=list)
    keywords: Names = Field(default_factory=list)
    regex: str | None = None
    urgency_min: float | None = Field(default=None, ge=0, le=1)
    authenticity_risk_min: float | None = Field(default=None, ge=0, le=1)

    @field_validator("channels", "sources", "locations", "kinds", "aspects", "languages")
    @classmethod
    def _names(cls, values: Names) -> Names:
        cleaned = [v.strip() for v in values if v.strip()]
        if any(len(v) > 200 for v in cleaned):
            raise ValueError("a value is longer than 200 characters")
        return cleaned

    @field_validator("sentiments")
    @classmethod
    def _sentiments(cls, values: Names) -> Names:
        bad = [v for v in values if v not in SENTIMENTS]
        if bad:
            raise ValueError(f"'{bad[0]}' is not one of {', '.join(SENTIMENTS)}")
        return values

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, values: Names) -> Names:
        return check_keywords(values)

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        compile_pattern(value)
        return value

    @model_validator(mode="after")
    def _ranges(self) -> Conditions:
        if self.stars_min is not None and self.stars_max is not None and self.stars_min > self.stars_max:
            raise ValueError("stars_min is above stars_max")
        return self


class Actions(BaseModel):
    """What a matching rule does to the item."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(default=None, max_length=120)
    assignee: str | None = Field(default=None, max_length=320)
    priority: int | None = Field(default=None, ge=0, le=5)
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    tags: Names = Field(default_factory=list)

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: Names) -> Names:
        return clean_tags(values)


class RuleSpec(BaseModel):
    """One rule as written in YAML, the API and the form."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    continue_matching: bool = Field(default=False, alias="continue")
    default: bool = False
    when: Conditions = Field(default_factory=Conditions)
    then: Actions = Field(default_factory=Actions)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip() or any(ord(c) < 32 for c in value):
            raise ValueError("must be a non-blank name on one line")
        return value.strip()

    @model_validator(mode="after")
    def _does_something(self) -> RuleSpec:
        then = self.then
        if not (then.department or then.assignee or then.priority is not None or then.sla_hours or then.tags):
            raise ValueError("a rule needs at least one action under 'then' (department, assignee, priority, …)")
        return self


def _field_of(loc: Sequence[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "rule"


def parse_spec(data: Any, *, where: str = "") -> RuleSpec:
    """A RuleSpec from a plain document; ValidationError names the field (``where`` prefixes it)."""
    if not isinstance(data, dict):
        raise ValidationError(f"{where or 'rule: '}expected a mapping with name, when and then")
    try:
        return RuleSpec.model_validate(data)
    except SchemaError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        field = _field_of(first.get("loc", ()))
        raise ValidationError(f"{where}{field}: {message}") from None


def spec_of(rule: RoutingRule) -> RuleSpec:
    return RuleSpec.model_validate(
        {
            "name": rule.name,
            "enabled": rule.enabled,
            "continue": rule.continue_matching,
            "default": rule.is_default,
            "when": rule.conditions,
            "then": rule.actions,
        }
    )


def spec_document(spec: RuleSpec) -> dict[str, Any]:
    """The spec as a plain document, without empty fields (for YAML and the API)."""
    doc: dict[str, Any] = {"name": spec.name}
    if not spec.enabled:
        doc["enabled"] = False
    if spec.continue_matching:
        doc["continue"] = True
    if spec.default:
        doc["default"] = True
    doc["when"] = spec.when.model_dump(exclude_defaults=True)
    doc["then"] = spec.then.model_dump(exclude_defaults=True)
    return doc


def require_rule_editor(user: User) -> None:
    if user.role not in (Role.admin.value, Role.manager.value) or not user.is_active:
        raise PermissionDeniedError("only managers and admins can change routing rules")


def check_targets(session: Session, spec: RuleSpec) -> None:
    """The department and assignee a rule names must exist (and the assignee belong to the department)."""
    department = None
    if spec.then.department:
        try:
            department = get_department_by_name(session, spec.then.department)
        except NotFoundError:
            raise ValidationError(
                f"then.department: no department named '{spec.then.department}' (create it first)"
            ) from None
    if spec.then.assignee:
        from voxpop.accounts.users import get_user_by_email

        try:
            user = get_user_by_email(session, spec.then.assignee)
        except NotFoundError:
            raise ValidationError(f"then.assignee: no user '{spec.then.assignee}'") from None
        if user.role == Role.viewer.value:
            raise ValidationError(f"then.assignee: {user.email} is read-only (a viewer)")
        if user.role == Role.agent.value and (department is None or department.id not in user.department_ids):
            raise ValidationError(f"then.assignee: {user.email} is not in the rule's department")


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no routing rule {rule_id}")
    return rule


def _apply(rule: RoutingRule, spec: RuleSpec) -> None:
    rule.name = spec.name
    rule.enabled = spec.enabled
    rule.continue_matching = spec.continue_matching
    rule.is_default = spec.default
    rule.conditions = spec.when.model_dump(exclude_defaults=True)
    rule.actions = spec.then.model_dump(exclude_defaults=True)


def _check_name(session: Session, name: str, rule_id: int | None) -> None:
    clash = session.scalar(select(RoutingRule).where(RoutingRule.name == name))
    if clash is not None and clash.id != rule_id:
        raise NotUniqueError(f"name: a rule named '{name}' exists already")


def create_rule(session: Session, user: User | None, spec: RuleSpec, *, position: int | None = None) -> RoutingRule:
    """Add a rule (last unless ``position`` is given). ``user`` None: the CLI, trusted."""
    if user is not None:
        require_rule_editor(user)
    _check_name(session, spec.name, None)
    check_targets(session, spec)
    count = session.scalar(select(func.count()).select_from(RoutingRule)) or 0
    if count >= MAX_RULES:
        raise ValidationError(f"at most {MAX_RULES} routing rules")
    rules = list_rules(session)
    rule = RoutingRule()
    _apply(rule, spec)
    session.add(rule)
    session.flush()
    rules.insert(len(rules) if position is None else max(0, min(position, len(rules))), rule)
    _renumber(rules)
    record(session, "rule_created", user=user, object_type="routing_rule", object_id=rule.id, rule=spec_document(spec))
    return rule


def update_rule(session: Session, user: User | None, rule_id: int, spec: RuleSpec) -> RoutingRule:
    if user is not None:
        require_rule_editor(user)
    rule = get_rule(session, rule_id)
    _check_name(session, spec.name, rule.id)
    check_targets(session, spec)
    before = spec_document(spec_of(rule))
    _apply(rule, spec)
    rule.updated_at = utcnow()
    record(
        session,
        "rule_updated",
        user=user,
        object_type="routing_rule",
        object_id=rule.id,
        before=before,
        after=spec_document(spec),
    )
    return rule


def set_enabled(session: Session, user: User | None, rule_id: int, enabled: bool) -> RoutingRule:
    if user is not None:
        require_rule_editor(user)
    rule = get_rule(session, rule_id)
    if rule.enabled != enabled:
        rule.enabled = enabled
        rule.updated_at = utcnow()
        record(
            session,
            "rule_enabled" if enabled else "rule_disabled",
            user=user,
            object_type="routing_rule",
            object_id=rule.id,
        )
    return rule


def delete_rule(session: Session, user: User | None, rule_id: int) -> None:
    if user is not None:
        require_rule_editor(user)
    rule = get_rule(session, rule_id)
    record(
        session,
        "rule_deleted",
        user=user,
        object_type="routing_rule",
        object_id=rule.id,
        rule=spec_document(spec_of(rule)),
    )
    session.delete(rule)
    session.flush()
    _renumber(list_rules(session))


def move_rule(session: Session, user: User | None, rule_id: int, offset: int) -> list[RoutingRule]:
    """Move a rule ``offset`` places (negative: earlier); returns the rules in their new order."""
    if user is not None:
        require_rule_editor(user)
    rules = list_rules(session)
    rule = get_rule(session, rule_id)
    index = rules.index(rule)
    target = max(0, min(len(rules) - 1, index + offset))
    if target != index:
        rules.insert(target, rules.pop(index))
        _renumber(rules)
        record(session, "rule_moved", user=user, object_type="routing_rule", object_id=rule.id, position=target + 1)
    return rules


def reorder_rules(session: Session, user: User | None, ids: Sequence[int]) -> list[RoutingRule]:
    """Put the rules in the order of ``ids`` (which must name every rule once)."""
    if user is not None:
        require_rule_editor(user)
    rules = {r.id: r for r in list_rules(session)}
    if sorted(ids) != sorted(rules):
        raise ValidationError("order: list every rule's id exactly once")
    ordered = [rules[i] for i in ids]
    _renumber(ordered)
    record(session, "rules_reordered", user=user, object_type="routing_rule", order=list(ids))
    return ordered


def _renumber(rules: Sequence[RoutingRule]) -> None:
    for position, rule in enumerate(rules, start=1):
        rule.position = position
