"""Which items a measure counts: the :class:`Slice` (a period of whole UTC days, optionally narrowed to a
channel, a department, a location, an aspect, or one value of another dimension).

Its own module because both the public API (``measure.series``, which re-exports it: import it from there)
and the low-level reads of the roll-up cells (``measure.cell_reads``) take one, and neither should import
the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from voxpop.errors import ValidationError
from voxpop.measure.cell_dimensions import PAIR

#: The dimensions a slice can pick one value of (``Slice.dimension``).
ONE_VALUE = ("source", "kind", "product", "segment")
MAX_DAYS = 3700


@dataclass(frozen=True)
class Slice:
    """Which items count. ``date_to`` is inclusive. ``dimension``/``value`` pick one value of
    source (id), kind, product or segment; ``department_id`` 0 means items with no department."""

    date_from: date
    date_to: date
    channel: str | None = None
    department_id: int | None = None
    location: str | None = None
    aspect: str | None = None
    dimension: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValidationError("the period ends before it starts")
        if (self.date_to - self.date_from).days > MAX_DAYS:
            raise ValidationError(f"the period is longer than {MAX_DAYS} days")
        if (self.dimension is None) != (self.value is None):
            raise ValidationError("a dimension needs a value, and a value a dimension")
        if self.dimension is not None and self.dimension not in ONE_VALUE:
            raise ValidationError(f"dimension must be one of {', '.join(ONE_VALUE)}")
        if self.dimension is not None and (self.location or self.aspect):
            raise ValidationError(f"a {self.dimension} cannot be combined with a location or an aspect")
        if self.aspect and self.location and self.channel:
            raise ValidationError("an aspect at a location is counted over all channels: leave the channel out")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Slice:
        """The period of the same length just before this one."""
        return replace(
            self, date_from=self.date_from - timedelta(days=self.days), date_to=self.date_from - timedelta(days=1)
        )

    def base(self) -> tuple[str, str]:
        """The roll-up (dimension, value) whose cells hold exactly this slice's items."""
        if self.aspect and self.location:
            return "aspect_location", f"{self.aspect}{PAIR}{self.location}"
        if self.location:
            return "location", self.location
        if self.aspect:
            return "aspect", self.aspect
        if self.dimension and self.value is not None:
            return self.dimension, self.value
        return "all", ""
