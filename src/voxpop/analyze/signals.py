"""Batch-level evidence of fake reviews: near-duplicates, rating bursts, and prolific extreme authors.

Each detector looks at the batch *and* at a bounded window of recently seen items (``RecentWindow``), so
a file streamed in small batches still finds a duplicate posted two batches earlier, while memory stays
constant. Each yields ``(index in batch, signal, strength 0–1, evidence dict)``.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from voxpop.analyze.registry import Batch

Finding = tuple[int, str, float, dict[str, Any]]

WINDOW_ITEMS = 5000  # recent texts kept for near-duplicate search
MAX_KEYS = 20_000  # places / authors remembered (least recently seen forgotten first)
MAX_TIMES_PER_KEY = 2000
MIN_WORDS = 6  # "thank you so much" twice is not a campaign
COSINE_CANDIDATE = 0.9
FUZZ_CONFIRM = 90.0
BURST_WINDOW_HOURS = 24.0
BURST_MIN = 5
BURST_FACTOR = 4.0
BURST_HISTORY_DAYS = 7.0  # a place's usual pace needs this much history…
BURST_HISTORY_ITEMS = 10  # …and this many items outside the rush
AUTHOR_WINDOW_DAYS = 7.0
AUTHOR_MIN = 3
EXTREME_LOW, EXTREME_HIGH = 0.2, 0.8


class _Timeline:
    """Per-key (time, rating) history, bounded in keys and in entries per key."""

    def __init__(self) -> None:
        self._keys: OrderedDict[str, deque[tuple[float, float, Any]]] = OrderedDict()

    def get(self, key: str, skip: set[Any]) -> list[tuple[float, float]]:
        """The (time, rating) history of ``key``, without the items whose ids are in ``skip`` — so an item
        analysed again is not counted twice."""
        entries = self._keys.get(key)
        return [(t, r) for t, r, item in entries if item not in skip] if entries is not None else []

    def add(self, key: str, moment: float, rating: float, item: Any) -> None:
        entries = self._keys.get(key)
        if entries is None:
            entries = self._keys[key] = deque(maxlen=MAX_TIMES_PER_KEY)
            if len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        entries.append((moment, rating, item))


class RecentWindow:
    """What the detectors remember between batches."""

    def __init__(self, size: int = WINDOW_ITEMS) -> None:
        self.size = size
        self.texts: deque[str] = deque(maxlen=size)
        self.ids: deque[Any] = deque(maxlen=size)
        self.authors: deque[str | None] = deque(maxlen=size)
        self._vectors: np.ndarray | None = None  # ring buffer, aligned with ``texts`` while every batch has them
        self._filled = 0
        self._next = 0
        self.has_vectors = True
        self.places = _Timeline()
        self.people = _Timeline()

    def matrix(self) -> np.ndarray | None:
        """The remembered vectors in the order of ``texts`` (oldest first), or None."""
        if self._vectors is None or not self._filled or not self.has_vectors:
            return None
        if self._filled < self.size:
            return self._vectors[: self._filled]
        return np.roll(self._vectors, -self._next, axis=0)

    def similar(self, vectors: np.ndarray, threshold: float) -> np.ndarray | None:
        """``vectors @ matrix().T >= threshold`` (columns oldest first), or None when ``matrix()`` is.

        Computed on the ring buffer as it lies and the columns put in order afterwards, which spares
        copying the whole window into order (``np.roll``) for every batch; each cosine is the same dot
        product either way.
        """
        if self._vectors is None or not self._filled or not self.has_vectors:
            return None
        close = vectors @ self._vectors[: self._filled].T >= threshold
        if self._filled < self.size:
            return close
        return close[:, (self._next + np.arange(self.size)) % self.size]

    def _remember(self, vector: np.ndarray) -> None:
        if self._vectors is None:
            self._vectors = np.zeros((self.size, vector.shape[0]), dtype=np.float32)
        self._vectors[self._next] = vector
        self._next = (self._next + 1) % self.size
        self._filled = min(self._filled + 1, self.size)

    def add(self, batch: Batch) -> None:
        for i, record in enumerate(batch.records):
            if _word_count(record.text) >= MIN_WORDS:
                self.texts.append(record.text)
                self.ids.append(record.id)
                self.authors.append(record.author)
                if batch.embeddings is None:
                    self.has_vectors = False
                else:
                    self._remember(batch.embeddings[i])
            if record.created_at is None:
                continue
            moment = record.created_at.timestamp()
            rating = np.nan if record.rating is None else float(record.rating)
            place = record.location or record.source
            if place:
                self.places.add(place, moment, rating, record.id)
            if record.author:
                self.people.add(record.author, moment, rating, record.id)


def _word_count(text: str) -> int:
    return len(text.split())


def near_duplicates(batch: Batch, window: RecentWindow) -> Iterator[Finding]:
    """Items whose text nearly repeats another item's (in the batch or the recent window)."""
    eligible = [i for i, text in enumerate(batch.texts) if _word_count(text) >= MIN_WORDS]
    if not eligible:
        return
    pool_texts = [batch.texts[i] for i in eligible] + list(window.texts)
    pool_ids = [batch.records[i].id for i in eligible] + list(window.ids)
    pool_authors = [batch.records[i].author for i in eligible] + list(window.authors)
    queries = [batch.texts[i] for i in eligible]
    mine = batch.embeddings[eligible] if batch.embeddings is not None else None
    history = window.similar(mine, COSINE_CANDIDATE) if mine is not None else None
    if mine is not None and (history is not None or not window.texts):
        # Embedding cosine picks the few candidates worth an exact string comparison.
        similar = mine @ mine.T >= COSINE_CANDIDATE
        if history is not None:
            similar = np.hstack([similar, history])
    else:
        similar = process.cdist(queries, pool_texts, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZ_CONFIRM) > 0
    for row, i in enumerate(eligible):
        record = batch.records[i]
        candidates = np.flatnonzero(similar[row])
        best: tuple[float, int] | None = None
        for candidate in candidates:
            j = int(candidate)
            if j == row or pool_ids[j] == record.id:
                continue
            score = fuzz.token_sort_ratio(record.text, pool_texts[j], score_cutoff=FUZZ_CONFIRM)
            if score and (best is None or score > best[0]):
                best = (score, j)
        if best is None:
            continue
        score, j = best
        other = pool_authors[j]
        same_author = bool(record.author and other and record.author == other)
        yield (
            i,
            "near_duplicate_same_author" if same_author else "near_duplicate",
            1.0,
            {
                "signal": "near_duplicate",
                "similar_to": pool_ids[j],
                "similarity": round(score / 100.0, 3),
                "same_author": same_author,
                "other_author": other,
            },
        )


def _extreme(ratings: np.ndarray) -> bool:
    known = ratings[~np.isnan(ratings)]
    return len(known) >= AUTHOR_MIN and bool(np.all((known <= EXTREME_LOW) | (known >= EXTREME_HIGH)))


def _grouped(batch: Batch, key_of: Any) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(batch.records):
        key = key_of(record)
        if key and record.created_at is not None:
            groups.setdefault(key, []).append(i)
    return groups


def bursts(batch: Batch, window: RecentWindow) -> Iterator[Finding]:
    """Items posted in a 24-hour rush for their place (or source), well above its usual pace."""
    half = BURST_WINDOW_HOURS * 3600.0 / 2
    for place, members in _grouped(batch, lambda r: r.location or r.source).items():
        past = window.places.get(place, {batch.records[i].id for i in members})
        times = np.array([t for t, _ in past] + [_stamp(batch, i) for i in members], dtype=np.float64)
        ratings = np.array([r for _, r in past] + [_rating(batch, i) for i in members], dtype=np.float64)
        if len(times) < BURST_MIN:
            continue
        order = np.argsort(times)
        times, ratings = times[order], ratings[order]
        span_days = max((times[-1] - times[0]) / 86400.0, 1.0)
        mine = np.array([_stamp(batch, i) for i in members], dtype=np.float64)
        lo = np.searchsorted(times, mine - half, side="left")
        hi = np.searchsorted(times, mine + half, side="right")
        counts = hi - lo
        for k, i in enumerate(members):
            count = int(counts[k])
            usual = max((len(times) - count) / span_days, 1.0)
            if count < BURST_MIN or count < BURST_FACTOR * usual:
                continue
            extreme = _extreme(ratings[lo[k] : hi[k]])
            if not extreme and (span_days < BURST_HISTORY_DAYS or len(times) - count < BURST_HISTORY_ITEMS):
                # Without a usual pace to compare with, only a rush of all-extreme ratings stands out.
                continue
            yield (
                i,
                "burst_extreme" if extreme else "burst",
                1.0,
                {
                    "signal": "burst",
                    "place": place,
                    "items_in_24h": count,
                    "usual_per_day": round(usual, 2),
                    "all_extreme_ratings": extreme,
                },
            )


def author_patterns(batch: Batch, window: RecentWindow) -> Iterator[Finding]:
    """Items by an author who posted many reviews within a week, every one of them extreme."""
    span = AUTHOR_WINDOW_DAYS * 86400.0
    for author, members in _grouped(batch, lambda r: r.author).items():
        past = window.people.get(author, {batch.records[i].id for i in members})
        times = np.array([t for t, _ in past] + [_stamp(batch, i) for i in members], dtype=np.float64)
        ratings = np.array([r for _, r in past] + [_rating(batch, i) for i in members], dtype=np.float64)
        if len(times) < AUTHOR_MIN:
            continue
        for i in members:
            moment = _stamp(batch, i)
            near = np.abs(times - moment) <= span
            count = int(near.sum())
            if count >= AUTHOR_MIN and _extreme(ratings[near]):
                yield (
                    i,
                    "author_pattern",
                    1.0,
                    {
                        "signal": "author_pattern",
                        "author": author,
                        "reviews_in_7_days": count,
                        "all_extreme_ratings": True,
                    },
                )


def _stamp(batch: Batch, i: int) -> float:
    created = batch.records[i].created_at
    return np.nan if created is None else created.timestamp()


def _rating(batch: Batch, i: int) -> float:
    rating = batch.records[i].rating
    return np.nan if rating is None else float(rating)
