"""What the reply pages and API share: suggestions for an item with the app's settings, and durations."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from voxpop.act.inbox import get_item
from voxpop.act.replies.suggest import Encode, Suggestion, past_reply_suggestions, template_suggestions
from voxpop.act.replies.tone_model import ToneModel, get_tone_model
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import User


def suggestions_for(store: Store, settings: Settings, user: User, item_id: int) -> list[Suggestion]:
    """Best templates first, then the team's past replies to similar items."""
    with store.write() as session:
        item = get_item(session, user, item_id)
        found = template_suggestions(session, item, user, business=settings.business_name, vertical=settings.taxonomy)
    found += past_reply_suggestions(store, item_id, user, encode=_encoder(settings), model=_model_name(settings))
    return found


def _model_name(settings: Settings) -> str:
    """The embedder's fingerprint, known without loading the model."""
    from voxpop.analyze.embeddings import PREPROCESSING, quantized_model_path

    return f"{quantized_model_path(settings).name}-{PREPROCESSING}"


def _encoder(settings: Settings) -> Encode:
    """Loads the embedder only when there are past replies to compare with."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        from voxpop.analyze.embeddings import get_embedder

        return get_embedder(settings).encode(texts)

    return encode


def tone_model_for(settings: Settings) -> ToneModel | None:
    """The learned tone classifier when switched on (``settings.tone_model``), else None (rules only)."""
    return get_tone_model(_encoder(settings)) if settings.tone_model else None


_warming = threading.Lock()
_warmed = False


def warm_tone_model(settings: Settings) -> None:
    """Load the embedder and fit the tone model in the background (once per process), so the live
    check is quick by the time the agent starts typing."""
    global _warmed
    if not settings.tone_model:
        return
    with _warming:
        if _warmed:
            return
        _warmed = True
    threading.Thread(target=tone_model_for, args=(settings,), name="tone-model-warm-up", daemon=True).start()


def human_duration(seconds: int | None) -> str:
    """3 d 4 h, 2 h 5 min, 12 min, 40 s."""
    if seconds is None:
        return "–"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
