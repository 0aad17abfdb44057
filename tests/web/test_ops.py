"""Liveness, readiness, Prometheus metrics and the pipeline page: who may see what."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World, login
from voxpop.store import Store
from voxpop.workers.stats import record
from voxpop.workers.worker import park


def test_health_and_readiness_need_no_login(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"ok": True}
    ready = app_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ok": True, "problems": []}


def test_readiness_fails_when_the_broker_is_unreachable(store: Store) -> None:
    from voxpop.web.app import create_app

    settings = store.settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(settings, Store(settings))) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    [problem] = ready.json()["problems"]
    assert problem.startswith("broker: ")


def test_metrics_need_the_scope_or_a_manager(app_client: TestClient, world: World, store: Store, token_for) -> None:  # type: ignore[no-untyped-def]
    record(store, "analyze", items=40, seconds=0.5)
    record(store, "analyze", items=10, seconds=0.25, errors=1)
    park(store, "route", [5], [], RuntimeError("boom"), attempts=4)
    assert app_client.get("/metrics").status_code == 401
    reader = token_for("manager@example.com", "items:read")
    assert app_client.get("/metrics", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    cx_metrics = token_for("manager@example.com", "metrics:read")  # the CX metrics API's scope, not ops
    assert app_client.get("/metrics", headers={"Authorization": f"Bearer {cx_metrics}"}).status_code == 403
    scraper = token_for("manager@example.com", "ops:read")
    body = app_client.get("/metrics", headers={"Authorization": f"Bearer {scraper}"}).text
    assert 'voxpop_stage_items_total{stage="analyze"} 50.0' in body
    assert 'voxpop_stage_errors_total{stage="analyze"} 1.0' in body
    assert 'voxpop_stage_batches_total{stage="analyze"} 2.0' in body
    assert "voxpop_failures_parked 1.0" in body
    assert "voxpop_items " in body
    login(app_client, "agent@example.com")
    assert app_client.get("/metrics").status_code == 403
    app_client.cookies.clear()
    login(app_client, "manager@example.com")
    assert app_client.get("/metrics").status_code == 200


def test_pipeline_page_shows_failures_and_retries_them(app_client: TestClient, world: World, store: Store) -> None:
    failure = park(store, "nonexistent-stage-name", [99], [], RuntimeError("model <b>missing</b>"), attempts=4)
    login(app_client, "agent@example.com")
    assert app_client.get("/pipeline").status_code == 403
    app_client.cookies.clear()
    login(app_client, "manager@example.com")
    page = app_client.get("/pipeline")
    assert page.status_code == 200
    assert "model &lt;b&gt;missing&lt;/b&gt;" in page.text  # the error is escaped
    assert app_client.post(f"/pipeline/failures/{failure}/retry").status_code == 403  # no CSRF token


def test_each_metrics_scope_opens_only_its_own_endpoints(app_client: TestClient, world: World, token_for) -> None:  # type: ignore[no-untyped-def]
    """``ops:read`` is the Prometheus endpoint's (operations), ``metrics:read`` the CX metrics API's."""
    ops = {"Authorization": f"Bearer {token_for('manager@example.com', 'ops:read')}"}
    cx = {"Authorization": f"Bearer {token_for('manager@example.com', 'metrics:read')}"}
    both = {"Authorization": f"Bearer {token_for('manager@example.com', 'metrics:read', 'ops:read')}"}
    assert app_client.get("/metrics", headers=ops).status_code == 200
    assert app_client.get("/metrics", headers=cx).status_code == 403
    assert app_client.get("/metrics", headers=both).status_code == 200
    for path in ("/api/v1/metrics", "/api/v1/metrics/series"):
        assert app_client.get(path, headers=ops).status_code == 403
        assert app_client.get(path, headers=cx).status_code == 200
        assert app_client.get(path, headers=both).status_code == 200
    assert app_client.get("/api/v1/items", headers=ops).status_code == 403
    assert app_client.get("/api/v1/items", headers=cx).status_code == 403
