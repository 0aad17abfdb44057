"""Rate limits for the public endpoints: an in-process token bucket per (purpose, client).

In-process rather than in the database on purpose: a limit is checked on *every* public request,
including the flood it exists to stop, and a database write per request would turn a flood into write
load on the store (SQLite has one writer). The cost is that each web process keeps its own buckets, so
with N processes a client gets up to N times the rate — still bounded — and a restart forgets them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from voxpop.errors import VoxpopError


class RateLimited(VoxpopError):
    """Too many requests from one client; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"too many requests: try again in {self.retry_after} s")


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBucket:
    """``capacity`` requests at once, refilled at ``per_minute`` a minute, per key.

    Memory is bounded: the least recently used keys are forgotten beyond ``max_keys`` (a forgotten key
    starts full again, which only ever errs towards letting a request through).
    """

    def __init__(self, capacity: int, per_minute: float, *, max_keys: int = 50_000) -> None:
        if capacity < 1 or per_minute <= 0:
            raise ValueError("a bucket needs a capacity of at least 1 and a positive rate")
        self.capacity = capacity
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, *, now: float | None = None) -> None:
        """Spend one token for ``key``, or raise ``RateLimited``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.capacity), now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens < 1:
                raise RateLimited((1 - bucket.tokens) / self.rate)
            bucket.tokens -= 1
