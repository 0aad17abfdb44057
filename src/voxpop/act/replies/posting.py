"""Posting a reply back to the platform an item came from — the hook connectors fill in.

A connector that can answer on its platform registers a poster for its source kind (or channel) with
:func:`register_poster`; :func:`post_reply` finds it for an item and returns ``None`` when nothing can
post there, in which case the agent copies the reply and opens the item on the platform (``item.url``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from voxpop.store import Store
from voxpop.store.models import Item


@dataclass(frozen=True)
class PostResult:
    """What the platform said: where the reply now lives, or why it could not be posted."""

    posted: bool
    url: str | None = None
    external_id: str | None = None
    error: str | None = None


Poster = Callable[[Store, Item, str], PostResult]
_POSTERS: dict[str, Poster] = {}
#: Modules whose import registers posters (the live connectors register theirs in ``replies``).
DISCOVER = ("voxpop.ingest.live.replies",)
_discovered = False
log = logging.getLogger(__name__)


def register_poster(kind_or_channel: str, poster: Poster) -> None:
    """Let ``poster`` answer items whose source kind (first) or channel is ``kind_or_channel``."""
    _POSTERS[kind_or_channel] = poster


def unregister_poster(kind_or_channel: str) -> None:
    _POSTERS.pop(kind_or_channel, None)


def _discover() -> None:
    """Import the modules that register posters (the live connectors), once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for name in DISCOVER:
        try:
            importlib.import_module(name)
        except ImportError:
            log.debug("no reply posters from %s", name)


def post_reply(store: Store, item: Item, text: str) -> PostResult | None:
    """Post ``text`` as the answer to ``item`` on its platform, or ``None`` when no connector can.

    A connector that fails (the platform refused, the network is down) gives ``posted=False`` with the
    reason: the reply is still stored, for the agent to post by hand."""
    _discover()
    poster = _POSTERS.get(item.source.kind) or _POSTERS.get(item.channel)
    if poster is None:
        return None
    try:
        return poster(store, item, text)
    except Exception as exc:  # a connector's bug or outage must not lose the agent's reply
        log.warning("posting the reply to item %s failed: %s", item.id, type(exc).__name__)
        return PostResult(posted=False, error=f"the platform could not take the reply ({type(exc).__name__})")
