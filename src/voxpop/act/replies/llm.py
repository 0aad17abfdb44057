"""AI-drafted replies from the business's own language model (any OpenAI-compatible endpoint, such as
a local Ollama at ``http://localhost:11434/v1``).

The draft is grounded in the item, the best-fitting template and the business's facts
(``settings.business_facts``), and it is only ever a draft: it goes into the editor for a person to
read, change and send — it is never posted by itself. Off unless ``llm_base_url`` and ``llm_model``
are set. The endpoint passes the outbound-URL check before every call.
"""

from __future__ import annotations

from typing import Any

import httpx

from voxpop.accounts.audit import record
from voxpop.act.inbox import get_item
from voxpop.act.replies.suggest import template_suggestions
from voxpop.errors import VoxpopError
from voxpop.notify.urls import check_outbound_url, pinned_client
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, User

MAX_ITEM_CHARS = 4000
MAX_DRAFT_CHARS = 5000

SYSTEM = (
    "You draft replies to customer feedback for {business}. Write in the customer's language ({language}), "
    "warm and human, short (at most 120 words). Thank promoters and invite them back. For complaints: "
    "acknowledge, apologise without blaming anyone, never argue, never promise what you cannot guarantee, "
    "and invite the customer to a private channel. Answer questions only with the facts given; if a fact "
    "is missing, say you will find out. Never invent prices, policies, names or compensation. "
    "Reply with the text of the reply only."
)


class LlmError(VoxpopError):
    """The language model could not give a draft; the message says why (for the agent)."""


def enabled(settings: Settings) -> bool:
    return bool(settings.llm_base_url.strip() and settings.llm_model.strip())


def build_messages(item: Item, *, business: str, facts: str, template_text: str | None) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the facts, the template and the item as data."""
    parts = []
    if facts.strip():
        parts.append(f"Facts about the business:\n{facts.strip()}")
    if template_text:
        parts.append(
            f"A template the team uses for feedback like this (adapt it, do not copy blindly):\n{template_text}"
        )
    details = [f"channel: {item.channel}"]
    if item.rating is not None:
        details.append(f"rating: {1 + round(item.rating * 4)} of 5 stars")
    if item.sentiment:
        details.append(f"sentiment: {item.sentiment}")
    aspects = [str(a.get("name")) for a in item.aspects or [] if a.get("name")]
    if aspects:
        details.append(f"about: {', '.join(aspects)}")
    if item.author_name:
        details.append(f"customer's name: {item.author_name}")
    text = (item.title + "\n" if item.title else "") + (item.text or "")
    parts.append("The customer's feedback (" + "; ".join(details) + "):\n<<<\n" + text[:MAX_ITEM_CHARS] + "\n>>>")
    system = SYSTEM.format(business=business or "the business", language=item.language or "en")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def chat(settings: Settings, messages: list[dict[str, str]]) -> str:
    """One chat completion; every failure becomes an LlmError that says what went wrong."""
    if not enabled(settings):
        raise LlmError("AI drafts are off: set llm_base_url and llm_model")
    url = settings.llm_base_url.strip().rstrip("/") + "/chat/completions"
    try:
        check_outbound_url(url, allow_private=settings.allow_private_urls)
    except VoxpopError as exc:
        raise LlmError(f"the language model's address is not allowed: {exc}") from exc
    headers = {"Accept": "application/json"}
    key = settings.llm_api_key.get_secret_value()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    payload: dict[str, Any] = {"model": settings.llm_model, "messages": messages, "temperature": 0.3, "stream": False}
    try:
        with pinned_client(
            allow_private=settings.allow_private_urls, timeout=settings.llm_timeout_seconds, follow_redirects=False
        ) as client:
            answer = client.post(url, json=payload, headers=headers)
    except VoxpopError as exc:  # the name now resolves to an address the check refuses
        raise LlmError(f"the language model's address is not allowed: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise LlmError(f"the language model did not answer within {settings.llm_timeout_seconds:g} s") from exc
    except httpx.HTTPError as exc:
        raise LlmError(f"cannot reach the language model at {settings.llm_base_url}: {type(exc).__name__}") from exc
    if answer.status_code >= 400:
        raise LlmError(f"the language model answered HTTP {answer.status_code}: {_error_text(answer)}")
    try:
        content = answer.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LlmError("the language model's answer is not an OpenAI-style chat completion") from exc
    if not isinstance(content, str) or not content.strip():
        raise LlmError("the language model returned an empty draft")
    return content.strip()[:MAX_DRAFT_CHARS]


def _error_text(answer: httpx.Response) -> str:
    try:
        body = answer.json()
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message:
            return message[:200]
    except ValueError:
        pass
    return answer.text[:200] or answer.reason_phrase


def draft_for_item(store: Store, settings: Settings, user: User, item_id: int) -> str:
    """A draft reply for an item the user can see (audited; never sent)."""
    with store.write() as session:
        item = get_item(session, user, item_id)
        best = template_suggestions(
            session, item, user, business=settings.business_name, vertical=settings.taxonomy, limit=1
        )
        messages = build_messages(
            item,
            business=settings.business_name,
            facts=settings.business_facts,
            template_text=best[0].text if best else None,
        )
    draft = chat(settings, messages)
    with store.write() as session:
        record(session, "reply_drafted", user=user, object_type="item", object_id=item_id, model=settings.llm_model)
    return draft
