from __future__ import annotations

from datetime import timedelta

import pytest

from voxpop.accounts.users import authenticate, create_user, lockout_for
from voxpop.errors import AuthenticationError, NotFoundError, NotUniqueError, ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import User
from voxpop.store.types import utcnow

PASSWORD = "correct horse battery"


def test_create_user_hashes_with_argon2_and_normalises_email(store: Store) -> None:
    with store.write() as s:
        user = create_user(s, email="  Ann@Example.COM ", password=PASSWORD, role="manager", name="Ann")
    with store.read() as s:
        stored = s.get(User, user.id)
        assert stored is not None
        assert stored.email == "ann@example.com"
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
        assert stored.role == "manager"


def test_duplicate_email_is_refused(store: Store) -> None:
    with store.write() as s:
        create_user(s, email="ann@example.com", password=PASSWORD)
    with pytest.raises(NotUniqueError, match=r"ann@example\.com"), store.write() as s:
        create_user(s, email="ANN@example.com", password=PASSWORD)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"role": "owner"}, ValidationError, "unknown role 'owner'"),
        ({"password": "short"}, ValidationError, "at least 8"),
        ({"email": "not-an-email"}, ValidationError, "not an e-mail"),
        ({"department_ids": [999]}, NotFoundError, "999"),
    ],
)
def test_bad_users_are_refused_with_a_clear_message(
    store: Store, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {"email": "ann@example.com", "password": PASSWORD} | kwargs
    with pytest.raises(error, match=message), store.write() as s:
        create_user(s, **arguments)  # type: ignore[arg-type]


def test_authenticate_accepts_the_right_password_only(store: Store, settings: Settings) -> None:
    with store.write() as s:
        create_user(s, email="ann@example.com", password=PASSWORD)
    with store.write() as s:
        user = authenticate(s, "Ann@example.com", PASSWORD, settings=settings)
        assert user.email == "ann@example.com"
        assert user.last_login_at is not None
    with store.write() as s, pytest.raises(AuthenticationError, match="wrong e-mail or password"):
        authenticate(s, "ann@example.com", "wrong password", settings=settings)
    with store.write() as s, pytest.raises(AuthenticationError, match="wrong e-mail or password"):
        authenticate(s, "nobody@example.com", PASSWORD, settings=settings)


def _attempt(store: Store, settings: Settings, password: str) -> str:
    """One log-in attempt committed like the web handler does; returns the error message or 'ok'."""
    with store.write() as s:
        try:
            authenticate(s, "ann@example.com", password, settings=settings)
        except AuthenticationError as exc:
            return str(exc)
    return "ok"


def test_lockout_after_max_failures_even_for_the_right_password(store: Store, settings: Settings) -> None:
    settings = settings.model_copy(update={"login_max_failures": 3, "login_lockout_minutes": 10})
    with store.write() as s:
        create_user(s, email="ann@example.com", password=PASSWORD)
    assert [_attempt(store, settings, "nope-nope") for _ in range(3)] == ["wrong e-mail or password"] * 3
    assert "try again in 10 minute" in _attempt(store, settings, PASSWORD)
    # Once the lock has passed, the right password works and the count starts again.
    with store.write() as s:
        user = s.query(User).one()
        user.locked_until = utcnow() - timedelta(seconds=1)
    assert _attempt(store, settings, PASSWORD) == "ok"
    with store.read() as s:
        assert s.query(User).one().failed_logins == 0


def test_lockouts_back_off() -> None:
    settings = Settings(login_max_failures=5, login_lockout_minutes=15)
    assert lockout_for(4, settings) is None
    assert lockout_for(5, settings) == timedelta(minutes=15)
    assert lockout_for(7, settings) is None
    assert lockout_for(10, settings) == timedelta(minutes=30)
    assert lockout_for(15, settings) == timedelta(minutes=60)
    assert lockout_for(500, settings) == timedelta(hours=24)


def test_disabled_user_cannot_log_in(store: Store, settings: Settings) -> None:
    with store.write() as s:
        create_user(s, email="ann@example.com", password=PASSWORD).is_active = False
    with store.write() as s, pytest.raises(AuthenticationError):
        authenticate(s, "ann@example.com", PASSWORD, settings=settings)
