"""Posting a reply back to the platform an item came from — the hook connectors fill in.

A connector that can answer on its platform registers a poster for its source kind (or channel) with
:func:`register_poster`; :func:`post_reply` finds it for an item and returns ``None`` when nothing can
post there, in which case the agent copies the reply and opens the item on the platform (``item.url``).
"""

from __future__ import annotations

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


def register_poster(kind_or_channel: str, poster: Poster) -> None:
    """Let ``poster`` answer items whose source kind (first) or channel is ``kind_or_channel``."""
    _POSTERS[kind_or_channel] = poster


def unregister_poster(kind_or_channel: str) -> None:
    _POSTERS.pop(kind_or_channel, None)


def post_reply(store: Store, item: Item, text: str) -> PostResult | None:
    """Post ``text`` as the answer to ``item`` on its platform, or ``None`` when no connector can."""
    poster = _POSTERS.get(item.source.kind) or _POSTERS.get(item.channel)
    if poster is None:
        return None
    return poster(store, item, text)
