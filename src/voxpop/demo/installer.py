"""Writing the demo into a store: departments, one source per channel, the items, logins, a lived-in inbox.

The demo lives in its own data folder (``<home>/demo``) with its own SQLite file, so it never touches the
user's real database, whatever ``VOXPOP_DATABASE_URL`` says. Installing is idempotent: items are keyed by
their external ids, departments and users by name and e-mail, so running it again adds nothing.

The demo password is generated per install (not a fixed, documented one): the demo is a real server, and
``voxpop demo --host 0.0.0.0`` would otherwise expose a well-known admin login on the network. It is kept
(mode 0600) next to the demo database so every run can print it again.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from voxpop.accounts.users import create_user, set_password
from voxpop.act.departments import create_department, slugify
from voxpop.demo import business as biz
from voxpop.demo.item import DemoItem
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Department, Item, ItemStatus, Source, User

ADMIN_EMAIL = "demo@voxpop.local"
MANAGER_EMAIL = "manager@voxpop.local"
VIEWER_EMAIL = "viewer@voxpop.local"
LOGIN_FILE = "demo-login.txt"
DONE_FILE = "demo-complete"
BATCH = 500
_DB_FILES = ("voxpop.db", "voxpop.db-wal", "voxpop.db-shm", LOGIN_FILE, DONE_FILE)


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    role: str
    department: str | None


@dataclass
class InstallResult:
    added: int = 0
    duplicates: int = 0
    logins: list[Login] = field(default_factory=list)


def demo_home(settings: Settings) -> Path:
    return settings.home / "demo"


def demo_settings(settings: Settings) -> Settings:
    """The user's settings pointed at the demo's own folder and SQLite file (models stay shared). The demo
    never sends mail, posts webhooks or reaches a language model, whatever the user configured: its
    customers and alerts are made up."""
    home = demo_home(settings)
    return settings.model_copy(
        update={
            "home": home,
            "database_url": f"sqlite:///{home / 'voxpop.db'}",
            "model_dir": settings.models_path,
            "smtp_host": "",
            "llm_base_url": "",
            "broker_url": "",
        }
    )


def is_installed(settings: Settings) -> bool:
    """Whether a complete demo exists in the folder of these (demo) settings."""
    return (settings.home / DONE_FILE).is_file()


def mark_installed(settings: Settings) -> None:
    (settings.home / DONE_FILE).write_text("The demo data set is fully written.\n", encoding="utf-8")


def reset(settings: Settings) -> None:
    """Remove the demo database and its login (only the files the demo itself creates)."""
    for name in _DB_FILES:
        (settings.home / name).unlink(missing_ok=True)


def demo_password(settings: Settings) -> tuple[str, bool]:
    """The demo's password and whether it was just generated (kept, mode 0600, in the demo folder)."""
    path = settings.ensure_home() / LOGIN_FILE
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("password: "):
                return line.removeprefix("password: ").strip(), False
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"The voxpop demo's accounts (every one uses this password).\nemail: {ADMIN_EMAIL}\n")
        handle.write(f"password: {password}\n")
    return password, True


def install(
    store: Store,
    items: Sequence[DemoItem],
    *,
    password: str,
    now: datetime,
    reset_passwords: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> InstallResult:
    """Write ``items`` and everything around them into ``store``; safe to run again."""
    result = InstallResult()
    with store.write() as session:
        departments = _departments(session)
        result.logins = _users(session, departments, password, reset_passwords)
        sources = {
            c.source: get_or_create_source(session, c.source, kind=c.source_kind, channel=c.key).id
            for c in biz.CHANNELS
        }
    agents = _agents(store)
    rng = random.Random(f"voxpop-demo-workflow:{now.date().isoformat()}")
    by_source: dict[str, list[DemoItem]] = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    for name, group in by_source.items():
        for start in range(0, len(group), BATCH):
            batch = group[start : start + BATCH]
            with store.write() as session:
                source = session.get_one(Source, sources[name])
                written = write_batch(session, source, [i.record for i in batch])
                result.added += len(written.added_ids)
                result.duplicates += written.duplicates
                if written.added_ids:
                    _set_workflow(session, batch, written.added_ids, departments, agents, rng, now)
            if on_progress is not None:
                on_progress(len(batch))
    return result


def _departments(session: Session) -> dict[str, tuple[int, int]]:
    """Name → (id, SLA hours) of the demo's departments, creating those not there yet."""
    out: dict[str, tuple[int, int]] = {}
    for spec in biz.DEPARTMENTS:
        existing = session.scalar(select(Department).where(Department.name == spec.name))
        department = existing or create_department(
            session, name=spec.name, description=spec.description, sla_hours=spec.sla_hours, email=spec.email
        )
        out[spec.name] = (department.id, department.sla_hours or spec.sla_hours)
    return out


def _users(
    session: Session, departments: dict[str, tuple[int, int]], password: str, reset_passwords: bool
) -> list[Login]:
    """The demo admin, a manager and a viewer (so every role can be tried), and one agent per department
    (``<department>@voxpop.local``)."""
    wanted = [
        Login(ADMIN_EMAIL, "Demo Admin", "admin", None),
        Login(MANAGER_EMAIL, "Demo Manager", "manager", None),
        Login(VIEWER_EMAIL, "Demo Viewer", "viewer", None),
    ]
    wanted += [Login(f"{slugify(name)}@voxpop.local", f"{name} agent", "agent", name) for name in departments]
    for login in wanted:
        user = session.scalar(select(User).where(User.email == login.email))
        if user is None:
            ids = [departments[login.department][0]] if login.department else []
            create_user(
                session, email=login.email, password=password, role=login.role, name=login.name, department_ids=ids
            )
        elif reset_passwords:
            set_password(session, user, password)
    return wanted


def _agents(store: Store) -> dict[int, int]:
    """Department id → the id of its demo agent."""
    with store.read() as session:
        rows = session.execute(
            select(User.id, User.email).where(User.email.like("%@voxpop.local"), User.role == "agent")
        ).all()
        by_email = {email: uid for uid, email in rows}
        departments = session.execute(select(Department.id, Department.name)).all()
    return {
        did: by_email[f"{slugify(name)}@voxpop.local"]
        for did, name in departments
        if f"{slugify(name)}@voxpop.local" in by_email
    }


def _set_workflow(
    session: Session,
    batch: Sequence[DemoItem],
    added_ids: Sequence[int],
    departments: dict[str, tuple[int, int]],
    agents: dict[int, int],
    rng: random.Random,
    now: datetime,
) -> None:
    """Route the newly added items and give them the statuses of an inbox a team has been working."""
    by_external = {i.record.external_id: i for i in batch}
    rows = session.execute(select(Item.id, Item.external_id).where(Item.id.in_(list(added_ids)))).all()
    updates = []
    for item_id, external_id in sorted(rows):
        demo = by_external.get(external_id)
        if demo is not None:
            updates.append({"id": item_id, **workflow(demo, rng, now, departments, agents)})
    if updates:
        session.execute(update(Item), updates)


def workflow(
    item: DemoItem,
    rng: random.Random,
    now: datetime,
    departments: dict[str, tuple[int, int]],
    agents: dict[int, int],
) -> dict[str, object]:
    """Department, status, assignee, priority, due and response times for one item."""
    created = item.created_at
    age = (now - created).total_seconds() / 86400
    routed = item.department in departments and rng.random() < (0.55 if age < 2 else 0.9)
    department_id, sla = departments[item.department] if routed and item.department else (None, 24)
    if item.replied_at is not None:
        status = ItemStatus.responded.value
    elif age < 2:
        status = rng.choices(("new", "assigned"), (0.7, 0.3))[0]
    elif age < 14:
        status = rng.choices(("new", "assigned", "waiting", "responded", "resolved"), (25, 30, 15, 20, 10))[0]
    else:
        status = rng.choices(("resolved", "responded", "ignored", "assigned", "new"), (55, 20, 7, 8, 10))[0]
    if item.story in ("fake_burst", "viral", "pile_on") and age < 30:
        status = ItemStatus.new.value  # left for the team (and the detectors) to find
    if department_id is None:  # nobody owns it yet; a reply on the platform still counts
        status = ItemStatus.responded.value if item.replied_at is not None else ItemStatus.new.value
    worked = status not in (ItemStatus.new.value, ItemStatus.ignored.value)
    responded_at = item.replied_at
    if responded_at is None and status in (ItemStatus.responded.value, ItemStatus.resolved.value):
        responded_at = min(created + timedelta(hours=rng.uniform(0.5, sla * 1.5)), now - timedelta(minutes=5))
    priority = 0
    if item.sentiment == "negative":
        priority = 1 + int((item.record.reach_followers or 0) > 20_000) + int(item.story == "viral")
    return {
        "department_id": department_id,
        "status": status,
        "assignee_id": agents.get(department_id) if worked and department_id is not None else None,
        "priority": priority,
        "due_at": created + timedelta(hours=sla) if department_id is not None else None,
        "responded_at": responded_at,
        "updated_at": responded_at or (min(created + timedelta(minutes=rng.randint(5, 600)), now) if worked else None),
    }


def created_at(store: Store) -> datetime | None:
    """When the demo in ``store`` was made: the time its first item was stored."""
    with store.read() as session:
        return session.scalar(select(func.min(Item.ingested_at)))


def counts(store: Store) -> dict[str, int]:
    """Items per source name in ``store`` (what the CLI prints at the end)."""
    with store.read() as session:
        rows = session.execute(
            select(Source.name, func.count(Item.id)).join(Item, Item.source_id == Source.id).group_by(Source.name)
        ).all()
    return {name: int(n) for name, n in rows}
