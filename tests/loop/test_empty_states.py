"""Pages of the loop channels say so when there is nothing to list, instead of showing bare table headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World, login


def test_invitations_page_without_any_invitation(app_client: TestClient, world: World) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get("/invitations")
    assert page.status_code == 200
    recent = page.text.split("<h2>Recent invitations</h2>", 1)[1]
    assert "No customer invited yet." in recent
    assert "<table" not in recent
