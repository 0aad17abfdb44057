"""The token bucket, with the clock handed in (no sleeping, no timing)."""

from __future__ import annotations

import pytest

from voxpop.loop.ratelimit import RateLimited, TokenBucket


def test_burst_then_refusal_then_refill() -> None:
    bucket = TokenBucket(capacity=3, per_minute=6)  # one token every 10 s
    for _ in range(3):
        bucket.take("a", now=100.0)
    with pytest.raises(RateLimited) as refused:
        bucket.take("a", now=100.0)
    assert refused.value.retry_after == 10
    bucket.take("b", now=100.0)  # another client has its own bucket
    with pytest.raises(RateLimited):
        bucket.take("a", now=105.0)
    bucket.take("a", now=110.0)
    with pytest.raises(RateLimited):
        bucket.take("a", now=110.0)


def test_refill_never_exceeds_capacity() -> None:
    bucket = TokenBucket(capacity=2, per_minute=60)
    bucket.take("a", now=0.0)
    for _ in range(2):
        bucket.take("a", now=1000.0)
    with pytest.raises(RateLimited):
        bucket.take("a", now=1000.0)


def test_memory_is_bounded() -> None:
    bucket = TokenBucket(capacity=1, per_minute=1, max_keys=10)
    for n in range(100):
        bucket.take(f"client-{n}", now=0.0)
    assert len(bucket._buckets) == 10


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="capacity"):
        TokenBucket(capacity=0, per_minute=1)
