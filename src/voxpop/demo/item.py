"""One generated demo item: the record to store, plus what the generator knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voxpop.ingest.records import ItemRecord

SENTIMENT = {"pos": "positive", "neg": "negative", "mixed": "mixed", "neu": "neutral"}


@dataclass
class DemoItem:
    """``record`` is what a platform would give us. The rest is the generator's own knowledge — the
    truth behind the text — used to route the item and set its workflow state, and by the tests; it is
    never written into the record.
    """

    source: str  # the name of the source (one per channel)
    record: ItemRecord
    sentiment: str  # positive / negative / mixed / neutral
    aspects: tuple[tuple[str, str], ...]  # (aspect, pos|neg|neu)
    department: str | None  # the team that owns it
    story: str | None = None  # partner, price_rise, seasonal, fake_burst, viral, pile_on
    replied_at: datetime | None = None  # when the business replied on the platform

    @property
    def created_at(self) -> datetime:
        assert self.record.created_at is not None
        return self.record.created_at
