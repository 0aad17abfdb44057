"""An item posted through the API is analysed after the response, with the app's models."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import World
from voxpop.accounts.tokens import create_token
from voxpop.accounts.users import get_user_by_email
from voxpop.store import Store
from voxpop.web.app import create_app


def test_posted_items_are_analysed(store: Store, world: World, models_home: Path) -> None:
    settings = store.settings.model_copy(update={"analyze_on_ingest": True, "model_dir": models_home / "models"})
    with store.write() as session:
        admin = get_user_by_email(session, "admin@example.com")
        token = create_token(session, admin, name="t", scopes=["items:read", "items:write"])
    headers = {"Authorization": f"Bearer {token}"}
    body = [
        {"text": "My order arrived cold and an hour late, and nobody answers the phone.", "external_id": "a"},
        {"text": "Wonderful service, thank you so much!", "external_id": "b"},
    ]
    with TestClient(create_app(settings, Store(settings))) as client:
        created = client.post("/api/v1/items?source=api-test", json=body, headers=headers)
        assert created.status_code == 201, created.text
        ids = created.json()["added"]
        bad, good = (client.get(f"/api/v1/items/{i}", headers=headers).json() for i in ids)
    assert bad["sentiment"] == "negative"
    assert good["sentiment"] == "positive"
    assert bad["language"] == "en"
