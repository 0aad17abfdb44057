"""Posting a reply back to the platform an item came from.

The poster for an item is looked up when the reply is sent, in every process alike (web, CLI, worker):
a poster registered with :func:`register_poster` for the source kind (first) or channel, else the live
connector of that kind in the connector registry (built-in or plug-in) when its capabilities say it can
reply. :func:`post_reply` returns ``None`` when nothing can post there, in which case the agent copies
the reply and opens the item on the platform (``item.url``).
"""

from __future__ import annotations

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
log = logging.getLogger(__name__)


def register_poster(kind_or_channel: str, poster: Poster) -> None:
    """Let ``poster`` answer items whose source kind (first) or channel is ``kind_or_channel``."""
    _POSTERS[kind_or_channel] = poster


def unregister_poster(kind_or_channel: str) -> None:
    _POSTERS.pop(kind_or_channel, None)


def poster_for(kind: str, channel: str | None = None) -> Poster | None:
    """The poster for items of source ``kind`` (or ``channel``): a registered one, else the registry's live
    connector of that kind when it can reply; ``None`` when nothing can post there."""
    registered = _POSTERS.get(kind) or (_POSTERS.get(channel) if channel else None)
    if registered is not None:
        return registered
    from voxpop.ingest.live.replies import live_poster  # the connectors live in the ingest area

    return live_poster(kind)


def post_reply(store: Store, item: Item, text: str) -> PostResult | None:
    """Post ``text`` as the answer to ``item`` on its platform, or ``None`` when no connector can.

    A connector that fails (the platform refused, the network is down) gives ``posted=False`` with the
    reason: the reply is still stored, for the agent to post by hand."""
    poster = poster_for(item.source.kind, item.channel)
    if poster is None:
        return None
    try:
        return poster(store, item, text)
    except Exception as exc:  # a connector's bug or outage must not lose the agent's reply
        log.warning("posting the reply to item %s failed: %s", item.id, type(exc).__name__)
        return PostResult(posted=False, error=f"the platform could not take the reply ({type(exc).__name__})")
