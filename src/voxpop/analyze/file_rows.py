"""The rows of a CSV, JSON or JSON Lines file, and each row's values as a ``Record`` to analyse.

Files are opened by the importer's reader (:func:`voxpop.ingest.reader.open_data_file`), so ``voxpop analyze``
reads what ``voxpop ingest`` reads: gzip or not, any CSV delimiter of , ; tab |, a UTF-8 or UTF-16 byte-order
mark or an ``--encoding``, JSON arrays and exports holding one, nested JSON keys as ``user.name``.

Errors name the file, the row and the column. A file that cannot be read at all, lacks its text column or is
in another encoding than the one it is read in stops the run; a row that cannot be read (a broken quote, a
line that is not JSON) or a value of an optional field that cannot be read does not (see ``RowConverter``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voxpop.analyze.registry import Record
from voxpop.errors import IngestError
from voxpop.ingest.reader import Row, open_data_file, undecodable

#: Optional fields a file may carry, by default read from columns of the same name.
OPTIONAL_FIELDS = ("rating", "created_at", "author", "source", "location", "followers", "likes", "shares")


@dataclass
class Columns:
    """Which column feeds which field. ``id`` may be absent from the file: rows are then numbered."""

    text: str = "text"
    id: str = "id"
    fields: dict[str, str] = field(default_factory=lambda: {name: name for name in OPTIONAL_FIELDS})
    id_required: bool = False


class RowConverter:
    """One row's values → a ``Record``; errors name the file, the row and the column.

    A value of an optional field that cannot be read (a rating off the scale, a date that is not one) does not
    stop the run: the row is analysed without it, and the reason waits in ``problems`` (by row number) until
    the row's results are written, where it is listed under ``"problems"``. Like ``voxpop ingest``, which
    rejects such a row and goes on, one stray cell in a large export costs that cell, not the run. A row that
    cannot be read at all still gets its line of results (every row has one, in order): numbered, with an
    empty text, and the reason under ``"problems"``. A JSON record without the text field is a text-less
    item (a rating-only review), as one whose text is ``null``.
    """

    def __init__(
        self,
        path: Path,
        columns: Columns,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        encoding: str | None = None,
    ) -> None:
        self.path = path
        self.name = str(path)
        self.encoding = encoding
        self.read_as = encoding or "UTF-8"  # the encoding the file is read in, once opened
        self.columns = columns
        self.low, self.high = rating_scale
        self.problems: dict[int, list[str]] = {}
        self.problem_rows = 0
        self.first_problem: str | None = None
        if self.high <= self.low:
            raise IngestError(self.name, f"rating scale {self.low}–{self.high} is empty", field="--rating-scale")

    def records(self) -> Iterator[Record]:
        """Every row of the file as a record, in order (the columns checked first)."""
        with open_data_file(self.path, encoding=self.encoding) as data:
            self.read_as = "UTF-8" if data.encoding in ("utf-8-sig", "utf-8") else data.encoding
            self.check_columns(data.columns)
            for row in data.rows():
                yield self.record(row)

    def check_columns(self, columns: Sequence[str]) -> None:
        """The text column (and an explicitly named id column) must be among the file's columns: the CSV
        header, or the first JSON record's keys (not checked when that record could not be read)."""
        if not columns:
            return
        shown = ", ".join(repr(c) for c in list(columns)[:30])
        if self.columns.text not in columns:
            raise IngestError(
                self.name, f"no text column {self.columns.text!r} (columns: {shown})", row=1, field=self.columns.text
            )
        if self.columns.id_required and self.columns.id not in columns:
            raise IngestError(
                self.name, f"no id column {self.columns.id!r} (columns: {shown})", row=1, field=self.columns.id
            )

    def record(self, row: Row) -> Record:
        number, values = row.number, row.values
        if values is None:
            self._problem(number, None, f"{row.where} could not be read: {row.error}; analysed as an empty text")
            return Record(id=number, text="")
        text = values.get(self.columns.text)
        identifier = values.get(self.columns.id)
        self._check_decoded(number, self.columns.text, text)
        self._check_decoded(number, self.columns.id, identifier)
        found: dict[str, Any] = {}
        for target, column in self.columns.fields.items():
            raw = values.get(column)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            self._check_decoded(number, column, raw)
            try:
                found[target] = self._convert(target, raw)
            except (TypeError, ValueError) as exc:
                self._problem(number, column, f"cannot read {raw!r} as {target} ({exc}); left out")
        return Record(
            id=identifier if identifier not in (None, "") else number,
            text="" if text is None else str(text),
            **found,
        )

    def _check_decoded(self, number: int, column: str, value: Any) -> None:
        """A byte the file's encoding cannot decode stops the run: the file is in another encoding, and
        every row with such a character would be misread."""
        if not isinstance(value, str) or value.isascii():
            return
        problem = undecodable(value, self.read_as)
        if problem is not None:
            raise IngestError(self.name, problem, row=number, field=column)

    def _problem(self, number: int, column: str | None, reason: str) -> None:
        found = self.problems.setdefault(number, [])
        if not found:
            self.problem_rows += 1
        found.append(reason if column is None else f"field {column!r}: {reason}")
        if self.first_problem is None:
            where = f"{self.name}: " if column is None else f"{self.name}, row {number}, field {column!r}: "
            self.first_problem = where + reason

    def _convert(self, target: str, raw: Any) -> Any:
        if target == "rating":
            value = float(raw)
            if math.isnan(value) or not self.low <= value <= self.high:
                raise ValueError(f"outside the rating scale {self.low:g}–{self.high:g}")
            return (value - self.low) / (self.high - self.low)
        if target == "created_at":
            if isinstance(raw, int | float):
                return datetime.fromtimestamp(float(raw), UTC)
            moment = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if target in {"followers", "likes", "shares"}:
            count = float(raw)
            if count < 0 or math.isnan(count):
                raise ValueError("not a count")
            return int(count)
        return str(raw).strip() or None
