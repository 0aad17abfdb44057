"""AI drafts from an OpenAI-compatible endpoint: a real local HTTP server speaking /v1/chat/completions,
its errors and time-outs, the SSRF guard, and the page that shows the draft (never sends it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from tests.servers import HttpSink, Request, Response
from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.accounts.users import get_user_by_email
from voxpop.act.replies import llm
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import AuditEvent, User
from voxpop.store.models.replies import Reply
from voxpop.web.app import create_app

PATH = "/v1/chat/completions"
DRAFT = "Hi Maria, I'm so sorry your parcel was late. Could you send us your order number?"


def _completion(request: Request) -> Response:
    return Response(
        200, {"id": "x", "object": "chat.completion", "choices": [{"message": {"role": "assistant", "content": DRAFT}}]}
    )


def _settings(store: Store, sink: HttpSink, **extra: object) -> Settings:
    values: dict[str, object] = {
        "llm_base_url": f"{sink.url}/v1",
        "llm_model": "llama3.1:8b",
        "llm_api_key": SecretStr("sk-local-test"),
        "allow_private_urls": True,
        "business_name": "Acme",
        "business_facts": "Refunds within 14 days. Support: help@acme.example.",
    }
    values.update(extra)
    return store.settings.model_copy(update=values)


def _agent(store: Store) -> User:
    with store.read() as s:
        user = get_user_by_email(s, "agent@example.com")
        s.expunge(user)
        return user


def _item(store: Store, world: World) -> int:
    return add_item(
        store,
        world.reviews,
        text="Parcel a week late!",
        author_name="Maria Lopez",
        sentiment="negative",
        aspects=[{"name": "delivery"}],
        department_id=world.billing,
    )


def test_draft_is_grounded_in_item_template_and_facts(store: Store, world: World, http_server: HttpSink) -> None:
    http_server.routes[("POST", PATH)] = _completion
    item_id = _item(store, world)
    settings = _settings(store, http_server)
    assert llm.draft_for_item(store, settings, _agent(store), item_id) == DRAFT
    sent = http_server.requests[-1]
    assert sent.headers["Authorization"] == "Bearer sk-local-test"
    body = sent.json()
    assert body["model"] == "llama3.1:8b"
    user_message = body["messages"][1]["content"]
    assert "Parcel a week late!" in user_message
    assert "Refunds within 14 days" in user_message
    assert "I'm so sorry your delivery let you down" in user_message  # the best template
    assert "Acme" in body["messages"][0]["content"]
    with store.read() as s:
        assert s.scalar(select(Reply.id)) is None  # a draft is never sent
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "reply_drafted")) is not None


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Response(500, {"error": {"message": "model not loaded"}}), "HTTP 500: model not loaded"),
        (Response(401, "unauthorised"), "HTTP 401: unauthorised"),
        (Response(200, "not json"), "not an OpenAI-style chat completion"),
        (Response(200, {"choices": []}), "not an OpenAI-style chat completion"),
        (Response(200, {"choices": [{"message": {"content": "  "}}]}), "empty draft"),
        (Response(200, {"choices": [{"message": {"content": "x"}}]}, delay=1.5), "did not answer within 0.5 s"),
    ],
)
def test_errors_and_timeouts_are_clear(
    store: Store, world: World, http_server: HttpSink, answer: Response, message: str
) -> None:
    http_server.routes[("POST", PATH)] = answer
    settings = _settings(store, http_server, llm_timeout_seconds=0.5)
    with pytest.raises(llm.LlmError, match=message):
        llm.draft_for_item(store, settings, _agent(store), _item(store, world))


def test_private_endpoint_refused_unless_allowed(store: Store, world: World, http_server: HttpSink) -> None:
    settings = _settings(store, http_server, allow_private_urls=False)
    with pytest.raises(llm.LlmError, match="not allowed"):
        llm.draft_for_item(store, settings, _agent(store), _item(store, world))
    assert http_server.requests == []


def test_off_without_settings(store: Store, world: World) -> None:
    assert not llm.enabled(store.settings)
    with pytest.raises(llm.LlmError, match="AI drafts are off"):
        llm.draft_for_item(store, store.settings, _agent(store), _item(store, world))


def test_draft_button_and_page(store: Store, world: World, http_server: HttpSink) -> None:
    http_server.routes[("POST", PATH)] = _completion
    item_id = _item(store, world)
    with TestClient(create_app(_settings(store, http_server), store), base_url="http://testserver") as client:
        assert login(client, "agent@example.com").status_code == 303
        page = client.get(f"/items/{item_id}/reply")
        assert 'id="ai-draft"' in page.text
        answer = client.post(f"/items/{item_id}/draft", headers={"X-CSRF-Token": csrf_of(page.text)})
        assert "Hi Maria, I&#39;m so sorry your parcel was late." in answer.text
        assert "AI draft — read and edit it before sending" in answer.text
    http_server.routes[("POST", PATH)] = Response(503, "busy")
    with TestClient(create_app(_settings(store, http_server), store), base_url="http://testserver") as client:
        login(client, "agent@example.com")
        page = client.get(f"/items/{item_id}/reply")
        answer = client.post(f"/items/{item_id}/draft", headers={"X-CSRF-Token": csrf_of(page.text)})
        assert "AI draft failed: the language model answered HTTP 503: busy" in answer.text
