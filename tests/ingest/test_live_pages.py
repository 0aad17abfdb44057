"""The sources pages: health and the capability matrix for managers, adding and credentials for admins
only, secrets never shown back (only ••••last4), agents kept out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World, app_client, csrf_of, login, world
from voxpop.ingest.live.credentials import unseal
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.store.models.sources import SourceState

__all__ = ["app_client", "world"]


def test_admin_adds_source_and_credentials_stay_hidden(store: Store, app_client: TestClient, world: World) -> None:
    assert login(app_client, "admin@example.com").status_code == 303
    page = app_client.get("/sources/new?kind=trustpilot_api")
    assert page.status_code == 200
    assert "all of the business unit" in page.text  # its capability-matrix row
    assert "Needs a Trustpilot Business plan" in page.text
    token = csrf_of(page.text)
    secret = "refresh-token-0123456789-WXYZ"
    answer = app_client.post(
        "/sources/new",
        data={
            "csrf_token": token,
            "kind": "trustpilot_api",
            "name": "Trustpilot",
            "business_unit_id": "507f",
            "api_key": "key-000011112222",
            "api_secret": "sec-333344445555",
            "refresh_token": secret,
            "interval_minutes": "30",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    detail = app_client.get(answer.headers["location"])
    assert detail.status_code == 200
    assert "refresh_token ••••WXYZ" in detail.text
    assert secret not in detail.text
    assert "sec-333344445555" not in detail.text
    assert 'type="password"' in detail.text
    assert secret[:10] not in detail.text

    source_id = int(answer.headers["location"].rsplit("/", 1)[1])
    new_secret = "another-refresh-token-ABCD"
    saved = app_client.post(
        f"/sources/{source_id}/credentials",
        data={"csrf_token": csrf_of(detail.text), "refresh_token": new_secret, "api_key": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with store.read() as session:
        state = session.get(SourceState, source_id)
        source = session.get(Source, source_id)
        assert state is not None
        assert source is not None
        creds = unseal(store.settings, state.credentials)
        assert creds["refresh_token"] == new_secret
        assert creds["api_key"] == "key-000011112222"  # blank field: kept
        assert state.poll_interval_seconds == 1800
        assert "refresh_token" not in source.config

    listing = app_client.get("/sources")
    assert listing.status_code == 200
    assert "Trustpilot" in listing.text
    assert "healthy" in listing.text
    assert "Google Business Profile" in listing.text  # the matrix lists every live kind
    assert new_secret not in listing.text


def test_webhook_secret_shown_once(app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    token = csrf_of(app_client.get("/sources/new?kind=webhook").text)
    made = app_client.post("/sources/new", data={"csrf_token": token, "kind": "webhook", "name": "Forms"})
    assert made.status_code == 201
    assert "shown once" in made.text
    assert "/api/v1/hooks/sources/" in made.text
    later = app_client.get("/sources")
    source_link = later.text.split('href="/sources/')[1].split('"')[0]
    detail = app_client.get(f"/sources/{source_link}")
    assert "shown once" not in detail.text


def test_agents_and_managers(app_client: TestClient, world: World) -> None:
    login(app_client, "agent@example.com")
    assert app_client.get("/sources").status_code == 403
    app_client.cookies.clear()
    login(app_client, "manager@example.com")
    assert app_client.get("/sources").status_code == 200
    assert app_client.get("/sources/new").status_code == 403
    app_client.cookies.clear()
    assert app_client.get("/sources", follow_redirects=False).status_code == 303  # login first


def test_pause_and_resume(store: Store, app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    token = csrf_of(app_client.get("/sources/new?kind=webhook").text)
    app_client.post("/sources/new", data={"csrf_token": token, "kind": "webhook", "name": "Forms"})
    with store.read() as session:
        source_id = session.query(Source).filter_by(name="Forms").one().id
    page = app_client.get(f"/sources/{source_id}")
    assert ">Pause<" in page.text
    paused = app_client.post(
        f"/sources/{source_id}/enabled", data={"csrf_token": csrf_of(page.text), "enabled": "0"}, follow_redirects=True
    )
    assert "Paused: not polled, deliveries refused" in paused.text
    with store.read() as session:
        source = session.get(Source, source_id)
        assert source is not None
        assert source.enabled is False
    resumed = app_client.post(
        f"/sources/{source_id}/enabled",
        data={"csrf_token": csrf_of(paused.text), "enabled": "1"},
        follow_redirects=True,
    )
    assert ">Pause<" in resumed.text
