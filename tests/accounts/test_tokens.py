from __future__ import annotations

from datetime import timedelta

import pytest

from voxpop.accounts.sessions import end_session, hash_token, load_session, start_session
from voxpop.accounts.tokens import authenticate_token, create_token, revoke_token
from voxpop.accounts.users import create_user, get_user_by_email
from voxpop.errors import AuthenticationError, ValidationError
from voxpop.store import Store
from voxpop.store.models import ApiToken, WebSession
from voxpop.store.types import utcnow


def _user_id(store: Store) -> int:
    with store.write() as s:
        return create_user(s, email="dev@example.com", password="correct horse battery").id


def test_token_is_shown_once_and_stored_hashed(store: Store) -> None:
    _user_id(store)
    with store.write() as s:
        token = create_token(s, get_user_by_email(s, "dev@example.com"), name="ci", scopes=["items:read"])
    assert token.startswith("vxp_")
    with store.read() as s:
        stored = s.query(ApiToken).one()
        assert stored.token_hash == hash_token(token)
        assert token not in (stored.token_hash, stored.prefix)
        assert stored.scopes == ["items:read"]
        assert authenticate_token(s, token).user.email == "dev@example.com"
        with pytest.raises(AuthenticationError, match="invalid"):
            authenticate_token(s, token + "x")


def test_revoked_and_expired_tokens_are_refused(store: Store) -> None:
    _user_id(store)
    with store.write() as s:
        user = get_user_by_email(s, "dev@example.com")
        revoked = create_token(s, user, name="old", scopes=["items:read"])
        expired = create_token(s, user, name="expired", scopes=["items:read"])
    with store.write() as s:
        revoke_token(s, authenticate_token(s, revoked).id)
        authenticate_token(s, expired).expires_at = utcnow() - timedelta(minutes=1)
    with store.read() as s:
        with pytest.raises(AuthenticationError, match="revoked"):
            authenticate_token(s, revoked)
        with pytest.raises(AuthenticationError, match="expired"):
            authenticate_token(s, expired)


@pytest.mark.parametrize(("scopes", "message"), [(["items:delete"], "unknown scope"), ([], "at least one scope")])
def test_bad_scopes_are_refused(store: Store, scopes: list[str], message: str) -> None:
    _user_id(store)
    with store.write() as s:
        user = get_user_by_email(s, "dev@example.com")
        with pytest.raises(ValidationError, match=message):
            create_token(s, user, name="x", scopes=scopes)


def test_web_sessions_store_only_a_hash_expire_and_end(store: Store) -> None:
    _user_id(store)
    with store.write() as s:
        token, web_session = start_session(s, get_user_by_email(s, "dev@example.com"), max_age_hours=2)
        assert web_session.token_hash == hash_token(token) != token
    with store.read() as s:
        loaded = load_session(s, token)
        assert loaded is not None
        assert timedelta(hours=1, minutes=59) < loaded.expires_at - utcnow() <= timedelta(hours=2)
        assert load_session(s, "made-up") is None
    with store.write() as s:
        s.query(WebSession).one().expires_at = utcnow() - timedelta(seconds=1)
    with store.read() as s:
        assert load_session(s, token) is None
    with store.write() as s:
        end_session(s, token)
    with store.read() as s:
        assert s.query(WebSession).count() == 0


def test_tokens_that_read_metrics_keep_the_prometheus_endpoint_after_the_split(store: Store) -> None:
    """Migration 0021: ``metrics:read`` opened ``/metrics`` too; such tokens get ``ops:read`` as well, the
    others are left alone, and the downgrade takes it away again."""
    from voxpop.store.migrate import downgrade, upgrade

    _user_id(store)
    with store.write() as s:
        user = get_user_by_email(s, "dev@example.com")
        scraper = create_token(s, user, name="grafana", scopes=["metrics:read"])
        crm = create_token(s, user, name="crm", scopes=["items:read", "metrics:read"])
        reader = create_token(s, user, name="reader", scopes=["items:read"])
        ops = create_token(s, user, name="ops", scopes=["ops:read"])
    downgrade(store.engine, "0020")
    with store.read() as s:
        assert authenticate_token(s, ops).scopes == ["metrics:read"]  # nothing else could reach /metrics
        assert authenticate_token(s, scraper).scopes == ["metrics:read"]
    with store.write() as s:
        authenticate_token(s, scraper).scopes = ["metrics:read"]
    upgrade(store.engine)
    with store.read() as s:
        assert authenticate_token(s, scraper).scopes == ["metrics:read", "ops:read"]
        assert authenticate_token(s, crm).scopes == ["items:read", "metrics:read", "ops:read"]
        assert authenticate_token(s, reader).scopes == ["items:read"]
        assert authenticate_token(s, ops).scopes == ["metrics:read", "ops:read"]
