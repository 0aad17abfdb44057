"""Fixtures for the web tests: an app over the real store, users of every role, and items."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxpop.accounts.tokens import create_token
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.web.app import create_app

PASSWORD = "correct horse battery"
BASE_TIME = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    """Two departments, one user per role (the agent belongs to Billing only) and two sources."""

    billing: int
    delivery: int
    reviews: int
    tweets: int


@pytest.fixture
def world(store: Store) -> World:
    with store.write() as s:
        billing = create_department(s, name="Billing")
        delivery = create_department(s, name="Delivery")
        create_user(s, email="admin@example.com", password=PASSWORD, role="admin", name="Ada Admin")
        create_user(s, email="manager@example.com", password=PASSWORD, role="manager")
        create_user(s, email="agent@example.com", password=PASSWORD, role="agent", department_ids=[billing.id])
        create_user(s, email="viewer@example.com", password=PASSWORD, role="viewer")
        reviews = Source(name="Google reviews", kind="file", channel="google", config={})
        tweets = Source(name="Twitter", kind="file", channel="twitter", config={})
        s.add_all([reviews, tweets])
        s.flush()
        return World(billing=billing.id, delivery=delivery.id, reviews=reviews.id, tweets=tweets.id)


def add_item(store: Store, source_id: int, *, minutes: int = 0, **fields: Any) -> int:
    """Store one item ``minutes`` after BASE_TIME; keyword arguments override any column."""
    values: dict[str, Any] = {
        "source_id": source_id,
        "dedup_key": f"t:{source_id}:{minutes}:{fields.get('text', '')}:{fields.get('external_id', '')}",
        "channel": "google",
        "text": "A perfectly ordinary review.",
        "created_at": BASE_TIME + timedelta(minutes=minutes),
        "raw": {},
        "status": "new",
        "priority": 0,
        "kind": "review",
    }
    values.update(fields)
    with store.write() as s:
        item = Item(**values)
        s.add(item)
        s.flush()
        return item.id


@pytest.fixture
def app_client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as client:
        yield client


def login(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/inbox") -> Any:
    """Log in through the real form (its CSRF cookie and field included); returns the response."""
    form = client.get("/login")
    token = csrf_of(form.text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


@pytest.fixture
def token_for(store: Store) -> Any:
    def make(email: str, *scopes: str) -> str:
        from voxpop.accounts.users import get_user_by_email

        with store.write() as s:
            return create_token(s, get_user_by_email(s, email), name="test", scopes=list(scopes))

    return make
