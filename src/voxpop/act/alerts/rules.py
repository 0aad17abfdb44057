"""Alert rules: the kinds, their parameters (validated), and creating/editing them."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as ParamsError
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts import audit
from voxpop.act.alerts.access import require_manager
from voxpop.errors import NotFoundError, NotUniqueError, ValidationError
from voxpop.store.models import User
from voxpop.store.models.outreach import AlertDestination, AlertRule
from voxpop.store.types import utcnow


class RuleKind(enum.StrEnum):
    viral = "viral"  # item: urgency (viral risk) at or above a threshold
    rating = "rating"  # item: rating at or below N stars
    keyword = "keyword"  # item: a watched word or phrase
    spike = "spike"  # window: negatives well above the usual for this time of day
    sla = "sla"  # window: an item past its due time with no response
    fake_burst = "fake_burst"  # window: several likely-fake items for one source or location


ITEM_KINDS = frozenset({RuleKind.viral, RuleKind.rating, RuleKind.keyword})
WINDOW_KINDS = frozenset({RuleKind.spike, RuleKind.sla, RuleKind.fake_burst})


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ViralParams(_Params):
    threshold: float = Field(default=0.7, ge=0, le=1, description="Urgency (0–1) at or above which to alert.")


class RatingParams(_Params):
    stars: int = Field(default=1, ge=1, le=5, description="Alert on ratings at or below this many stars.")


class KeywordParams(_Params):
    keywords: list[str] = Field(min_length=1, description="Words or phrases, matched whole and case-blind.")

    @field_validator("keywords")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        words = [w.strip() for w in value if w.strip()]
        if not words:
            raise ValueError("give at least one keyword")
        if any(len(w) > 100 for w in words):
            raise ValueError("a keyword is at most 100 characters")
        return words


class SpikeParams(_Params):
    window_hours: int = Field(default=6, ge=1, le=72)
    days: int = Field(default=28, ge=7, le=120, description="Days of history the baseline comes from.")
    k: float = Field(default=3.0, gt=0, le=10, description="Standard deviations above the mean.")
    min_count: int = Field(default=5, ge=1, description="Never a spike below this many negatives.")


class SlaParams(_Params):
    pass


class FakeBurstParams(_Params):
    window_hours: int = Field(default=24, ge=1, le=168)
    risk: float = Field(default=0.7, ge=0, le=1, description="Authenticity risk counted as likely fake.")
    min_count: int = Field(default=3, ge=2)
    rating_burst: int = Field(
        default=0, ge=0, description="Also alert on this many 1★ (or 5★) ratings for one source/location; 0: off."
    )


PARAMS: dict[str, type[_Params]] = {
    RuleKind.viral: ViralParams,
    RuleKind.rating: RatingParams,
    RuleKind.keyword: KeywordParams,
    RuleKind.spike: SpikeParams,
    RuleKind.sla: SlaParams,
    RuleKind.fake_burst: FakeBurstParams,
}


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with defaults filled in, or a ValidationError naming the bad field."""
    if kind not in PARAMS:
        raise ValidationError(f"unknown alert rule kind '{kind}' (choose from {', '.join(PARAMS)})")
    try:
        return PARAMS[kind].model_validate(params).model_dump()
    except ParamsError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "params"
        raise ValidationError(f"{kind} rule, {field}: {first.get('msg', 'invalid')}") from exc


def _check_destinations(session: Session, ids: list[int]) -> list[int]:
    found = set(session.scalars(select(AlertDestination.id).where(AlertDestination.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(f"no alert destination with id {missing[0]}")
    return sorted(set(ids))


def create_rule(
    session: Session,
    user: User,
    *,
    name: str,
    kind: str,
    params: dict[str, Any] | None = None,
    destination_ids: list[int] | None = None,
    enabled: bool = True,
) -> AlertRule:
    require_manager(user)
    name = name.strip()
    if not name:
        raise ValidationError("an alert rule needs a name")
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is not None:
        raise NotUniqueError(f"an alert rule named '{name}' exists already")
    rule = AlertRule(
        name=name,
        kind=kind,
        params=check_params(kind, params or {}),
        destination_ids=_check_destinations(session, destination_ids or []),
        enabled=enabled,
    )
    session.add(rule)
    session.flush()
    audit.record(session, "alert_rule.create", user=user, object_type="alert_rule", object_id=rule.id, name=name)
    return rule


def update_rule(
    session: Session,
    user: User,
    rule_id: int,
    *,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    destination_ids: list[int] | None = None,
    enabled: bool | None = None,
) -> AlertRule:
    require_manager(user)
    rule = get_rule(session, rule_id)
    if name is not None and name.strip() != rule.name:
        clash = session.scalar(select(AlertRule.id).where(AlertRule.name == name.strip()))
        if clash is not None:
            raise NotUniqueError(f"an alert rule named '{name.strip()}' exists already")
        rule.name = name.strip()
    if params is not None:
        rule.params = check_params(rule.kind, params)
    if destination_ids is not None:
        rule.destination_ids = _check_destinations(session, destination_ids)
    if enabled is not None:
        rule.enabled = enabled
    rule.updated_at = utcnow()
    audit.record(
        session, "alert_rule.update", user=user, object_type="alert_rule", object_id=rule.id, enabled=rule.enabled
    )
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no alert rule {rule_id}")
    return rule


def list_rules(
    session: Session, *, enabled_only: bool = False, kinds: frozenset[RuleKind] | None = None
) -> list[AlertRule]:
    query = select(AlertRule).order_by(AlertRule.name)
    if enabled_only:
        query = query.where(AlertRule.enabled.is_(True))
    if kinds is not None:
        query = query.where(AlertRule.kind.in_([k.value for k in kinds]))
    return list(session.scalars(query))
