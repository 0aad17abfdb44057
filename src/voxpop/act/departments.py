"""Departments: the teams feedback is routed to (billing, delivery, a location…)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, NotUniqueError, ValidationError
from voxpop.store.models import Department


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def create_department(
    session: Session,
    *,
    name: str,
    description: str = "",
    sla_hours: int | None = None,
    email: str | None = None,
) -> Department:
    name = name.strip()
    if not name:
        raise ValidationError("a department needs a name")
    if sla_hours is not None and sla_hours < 1:
        raise ValidationError("sla_hours must be at least 1")
    slug = slugify(name) or f"department-{len(name)}"
    clash = session.scalar(select(Department).where((Department.name == name) | (Department.slug == slug)))
    if clash is not None:
        raise NotUniqueError(f"a department named '{clash.name}' exists already")
    department = Department(name=name, slug=slug, description=description, sla_hours=sla_hours, email=email)
    session.add(department)
    session.flush()
    return department


def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def get_department_by_name(session: Session, name: str) -> Department:
    department = session.scalar(
        select(Department).where((Department.name == name.strip()) | (Department.slug == slugify(name)))
    )
    if department is None:
        raise NotFoundError(f"no department named '{name}'")
    return department
