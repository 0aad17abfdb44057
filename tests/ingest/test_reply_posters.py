"""Reply posters come from the connector registry wherever a reply is sent — not from the web app's imports.

A reply sent through the replies' ``send_reply`` (what the web pages, the API and ``voxpop demo`` call) is
posted by the live connector of the item's source kind, found in the registry when it is sent: in a fresh
process that never imports the web app, and for a plug-in registered after start-up.
"""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from tests.ingest.live_support import local_store, make_source, payload
from tests.servers import HttpSink, Response
from voxpop.accounts.users import create_user
from voxpop.act.replies import posting
from voxpop.act.replies.send import ReplyInput, send_reply
from voxpop.ingest.connectors.registry import Capabilities, default_registry
from voxpop.ingest.live.base import LiveConnector
from voxpop.ingest.live.scheduler import poll_source
from voxpop.store import Store
from voxpop.store.models import Item

__all__ = ["local_store"]

UNIT = "507f191e810c19729de860ea"
REVIEW = "5e3de1b45fb06f0001790b51"


def test_a_fresh_process_finds_the_posters_without_the_web_app() -> None:
    script = (
        "import sys\n"
        "from voxpop.act.replies.posting import poster_for\n"
        "found = {k: poster_for(k) is not None for k in ('trustpilot_api', 'google_business_api', 'rss')}\n"
        "assert 'voxpop.web' not in sys.modules, 'the web app was imported'\n"
        "print(sorted(k for k, v in found.items() if v))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['google_business_api', 'trustpilot_api']"  # RSS cannot take replies


def test_send_reply_posts_through_the_registry_connector(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", "/v1/oauth/oauth-business-users-for-applications/refresh")] = Response(
        200, {"access_token": "at-r", "expires_in": 359999}
    )
    http_server.routes[("GET", f"/v1/private/business-units/{UNIT}/reviews")] = Response(
        200, payload("trustpilot_reviews.json")
    )
    http_server.routes[("POST", f"/v1/private/reviews/{REVIEW}/reply")] = Response(201, b"")
    credentials = {"api_key": "key-abcdefgh1234", "api_secret": "secret-abcdefgh5678", "refresh_token": "rt-1"}
    config = {"business_unit_id": UNIT, "business_user_id": "bu-789", "api_base": http_server.url}
    source_id = make_source(local_store, "trustpilot_api", config, credentials)
    assert poll_source(local_store, source_id).ok
    assert "trustpilot_api" not in posting._POSTERS  # nothing registered by hand: found in the registry
    with local_store.write() as session:
        agent = create_user(session, email="agent@example.com", password="correct horse battery", role="admin")
        item_id = session.scalars(select(Item.id).where(Item.external_id == REVIEW)).one()
    reply = send_reply(local_store, agent, item_id, ReplyInput(text="We are sorry, Maria: we have written to you."))
    assert reply.delivery == "posted"
    sent = http_server.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/v1/private/reviews/{REVIEW}/reply")
    assert sent.json()["message"] == "We are sorry, Maria: we have written to you."


class _PluginPlatform(LiveConnector):
    """A third party's live connector that can reply, registered after start-up."""

    name = "plugin_reviews"
    label = "Plug-in reviews"
    channel = "plugin"
    capabilities = Capabilities(reads=("reviews",), can_reply=True)


def test_a_plugin_registered_later_is_found_too() -> None:
    registry = default_registry()
    assert posting.poster_for("plugin_reviews") is None
    registry.register(_PluginPlatform())
    try:
        assert posting.poster_for("plugin_reviews") is not None
    finally:
        registry.unregister("plugin_reviews")
    assert posting.poster_for("plugin_reviews") is None
