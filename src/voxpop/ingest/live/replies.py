"""Posting a reply back to the platform an item came from — the hook the replies' send calls.

``post_reply(store, item, text)`` returns ``None`` when the item's source cannot take replies (a file, a
feed, a platform whose API allows none), a ``ReplyPosted`` when the platform accepted it, and raises
``SourceError`` (with the platform's reason) when it refused. Credentials refreshed on the way are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voxpop.errors import ValidationError
from voxpop.ingest.live.base import PollContext, ReplyPosted
from voxpop.ingest.live.catalogue import live_connector
from voxpop.ingest.live.credentials import seal, unseal
from voxpop.ingest.live.http import LiveClient
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.sources import SourceState
from voxpop.store.types import utcnow


def can_post_reply(store: Store, item: Item) -> bool:
    with store.read() as session:
        source = session.get(Source, item.source_id)
        kind = source.kind if source is not None else ""
    try:
        connector = live_connector(kind)
    except ValidationError:
        return False
    return connector.capabilities.can_reply and bool(item.external_id)


def post_reply(store: Store, item: Item, text: str) -> ReplyPosted | None:
    """Post ``text`` as the business's public reply to ``item`` on its platform, if its source can."""
    if not can_post_reply(store, item):
        return None
    if not text.strip():
        raise ValidationError("the reply is empty")
    settings = store.settings
    with store.read() as session:
        source = session.get(Source, item.source_id)
        state = session.get(SourceState, item.source_id)
        if source is None or state is None:
            return None
        connector = live_connector(source.kind)
        config, sealed, name = dict(source.config or {}), state.credentials, source.name
    with LiveClient(settings) as http:
        ctx = PollContext(
            settings=settings,
            http=http,
            source_id=item.source_id,
            source_name=name,
            config=config,
            cursor={},
            credentials=unseal(settings, sealed),
        )
        try:
            return connector.post_reply(ctx, dict(item.raw or {}), str(item.external_id), text)
        finally:
            if ctx.credentials_changed:
                with store.write() as session:
                    state = session.get(SourceState, item.source_id)
                    if state is not None:
                        state.credentials, state.updated_at = seal(settings, ctx.credentials), utcnow()


def _as_post_result(store: Store, item: Item, text: str) -> object:
    """The replies area's poster hook (``voxpop.act.replies.posting``) for sources that can post."""
    from voxpop.act.replies.posting import PostResult
    from voxpop.errors import VoxpopError

    try:
        posted = post_reply(store, item, text)
    except VoxpopError as exc:
        return PostResult(posted=False, error=str(exc))
    if posted is None:
        return PostResult(posted=False, error="this source cannot post replies")
    return PostResult(posted=True, url=item.url, external_id=posted.reference)


def live_poster(kind: str) -> Callable[[Store, Item, str], Any] | None:
    """The replies' poster for source ``kind``: ``post_reply`` when the connector registry has a live
    connector of that kind that can reply (looked up on each send, so a plug-in counts too)."""
    try:
        connector = live_connector(kind)
    except ValidationError:
        return None
    return _as_post_result if connector.capabilities.can_reply else None
