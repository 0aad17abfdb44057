"""User accounts: creation and password log-in with lock-out and back-off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.accounts.passwords import burn_time, hash_password, needs_rehash, verify_password
from voxpop.accounts.permissions import check_role
from voxpop.errors import AuthenticationError, NotFoundError, NotUniqueError, ValidationError
from voxpop.settings import Settings, get_settings
from voxpop.store.models import Department, User
from voxpop.store.types import utcnow

MAX_LOCKOUT = timedelta(hours=24)
LOGIN_FAILED = "wrong e-mail or password"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320:
        raise ValidationError(f"'{email}' is not an e-mail address")
    return email


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str = "agent",
    name: str = "",
    department_ids: Sequence[int] = (),
) -> User:
    """Add a user with an argon2 password hash. Raises NotUniqueError when the e-mail is taken."""
    email = normalise_email(email)
    check_role(role)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise NotUniqueError(f"a user with e-mail {email} exists already")
    departments: list[Department] = []
    if department_ids:
        departments = list(session.scalars(select(Department).where(Department.id.in_(department_ids))))
        missing = set(department_ids) - {d.id for d in departments}
        if missing:
            raise NotFoundError(f"no department with id {', '.join(map(str, sorted(missing)))}")
    user = User(email=email, name=name, password_hash=hash_password(password), role=role, failed_logins=0)
    user.departments = departments
    session.add(user)
    session.flush()
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user with e-mail {email}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(func.lower(User.email))))


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def lockout_for(failures: int, settings: Settings) -> timedelta | None:
    """Every ``login_max_failures`` failures in a row lock the account, each time twice as long."""
    limit = settings.login_max_failures
    if failures < limit or failures % limit:
        return None
    rounds = min(failures // limit, 16)  # 2**15 × any lock-out is past the 24-hour cap already
    return min(timedelta(minutes=settings.login_lockout_minutes) * 2 ** (rounds - 1), MAX_LOCKOUT)


def authenticate(session: Session, email: str, password: str, *, settings: Settings | None = None) -> User:
    """The active user with this e-mail and password, or AuthenticationError.

    A failure is counted on the user (and may lock the account), so the caller commits ``session``
    even when this raises. The error never says whether the e-mail exists.
    """
    settings = settings or get_settings()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        burn_time(password)
        raise AuthenticationError(LOGIN_FAILED)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        minutes = ceil((user.locked_until - now).total_seconds() / 60)
        raise AuthenticationError(f"too many failed log-ins: try again in {minutes} minute(s)")
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        lock = lockout_for(user.failed_logins, settings)
        if lock is not None:
            user.locked_until = now + lock
        session.flush()
        raise AuthenticationError(LOGIN_FAILED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user
