"""Review text, titles, author names and raw records are untrusted: they must never become markup."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.store import Store

SCRIPT = "<script>alert('owned')</script>"
IMG = '<img src=x onerror="alert(1)">'
CLOSE = "</textarea></pre><svg onload=alert(2)>"


def _payload_item(store: Store, world: World) -> int:
    return add_item(
        store,
        world.reviews,
        title=f"Title {SCRIPT}",
        text=f"Great food {SCRIPT} and {IMG} {CLOSE}",
        author_name=IMG,
        author_handle='@x" onmouseover="alert(3)',
        url="javascript:alert(4)",
        location=SCRIPT,
        raw={"comment": SCRIPT, "nested": {"author": IMG}},
        rating=0.5,
    )


class _Markup(HTMLParser):
    """What a browser would build from the page: its elements and their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def _assert_inert(html: str) -> _Markup:
    """No payload became an element, an event handler or a javascript: link; returns the parsed page."""
    markup = _Markup()
    markup.feed(html)
    for tag, attrs in markup.tags:
        assert tag not in {"img", "svg"}
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript:")
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/")
    return markup


def test_inbox_escapes_untrusted_text(app_client: TestClient, store: Store, world: World) -> None:
    _payload_item(store, world)
    login(app_client, "admin@example.com")
    html = app_client.get("/inbox").text
    assert SCRIPT in _assert_inert(html).text  # shown as text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_item_page_escapes_text_author_url_and_raw(app_client: TestClient, store: Store, world: World) -> None:
    item_id = _payload_item(store, world)
    login(app_client, "admin@example.com")
    html = app_client.get(f"/items/{item_id}").text
    text = _assert_inert(html).text
    assert "javascript:alert(4)" in text  # a non-http URL is shown as text, never linked
    assert IMG in text
    assert CLOSE in text
    assert "&lt;/textarea&gt;&lt;/pre&gt;&lt;svg onload=alert(2)&gt;" in html
    assert "&#34;comment&#34;: &#34;&lt;script&gt;" in html  # the raw record, pretty-printed and escaped


def test_escaped_payload_round_trips_through_the_api(app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    token = csrf_of(app_client.get("/inbox").text)
    created = app_client.post(
        "/api/v1/items?source=web-form",
        json={"text": f"{SCRIPT} via the API", "author_name": IMG},
        headers={"X-CSRF-Token": token},
    )
    assert created.status_code == 201, created.text
    (item_id,) = created.json()["added"]
    html = app_client.get(f"/items/{item_id}").text
    assert f"{SCRIPT} via the API" in _assert_inert(html).text
    assert app_client.get(f"/api/v1/items/{item_id}").json()["text"] == f"{SCRIPT} via the API"
