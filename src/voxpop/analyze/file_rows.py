"""The rows of a CSV or JSON Lines file, and each row's values as a ``Record`` to analyse.

Errors name the file, the row and the column. A file that is not CSV or JSON Lines, or lacks its text column,
stops the run; a value of an optional field that cannot be read does not (see ``RowConverter``).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from voxpop.analyze.registry import Record
from voxpop.errors import IngestError

#: Optional fields a file may carry, by default read from columns of the same name.
OPTIONAL_FIELDS = ("rating", "created_at", "author", "source", "location", "followers", "likes", "shares")


@dataclass
class Columns:
    """Which column feeds which field. ``id`` may be absent from the file: rows are then numbered."""

    text: str = "text"
    id: str = "id"
    fields: dict[str, str] = field(default_factory=lambda: {name: name for name in OPTIONAL_FIELDS})
    id_required: bool = False


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 1, values) for a CSV (header first) or JSON Lines file (``.jsonl``/``.ndjson``)."""
    name = str(path)
    if not path.is_file():
        raise IngestError(name, "no such file")
    jsonl = path.suffix.lower() in {".jsonl", ".ndjson", ".json"}
    try:
        with path.open(newline="" if not jsonl else None, encoding="utf-8-sig") as handle:
            if jsonl:
                yield from _jsonl_rows(name, handle)
            else:
                yield from _csv_rows(name, handle)
    except UnicodeDecodeError as exc:
        raise IngestError(name, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _csv_rows(name: str, handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None:
        raise IngestError(name, "is empty")
    try:
        for number, row in enumerate(reader, start=1):
            extra = row.pop(None, None)
            if extra is not None:
                raise IngestError(name, f"has {len(extra)} more fields than the header", row=number)
            yield number, row
    except csv.Error as exc:
        raise IngestError(name, f"is not valid CSV ({exc})", row=reader.line_num) from exc


def _jsonl_rows(name: str, handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    number = 0
    for line in handle:
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(name, f"is not valid JSON ({exc.msg})", row=number) from exc
        if not isinstance(value, dict):
            raise IngestError(name, f"holds a JSON {type(value).__name__}, not an object", row=number)
        yield number, value


class RowConverter:
    """One row's values → a ``Record``; errors name the file, the row and the column.

    A value of an optional field that cannot be read (a rating off the scale, a date that is not one) does not
    stop the run: the row is analysed without it, and the reason waits in ``problems`` (by row number) until
    the row's results are written, where it is listed under ``"problems"``. Like ``voxpop ingest``, which
    rejects such a row and goes on, one stray cell in a large export costs that cell, not the run.
    """

    def __init__(self, path: Path, columns: Columns, rating_scale: tuple[float, float] = (1.0, 5.0)) -> None:
        self.name = str(path)
        self.columns = columns
        self.low, self.high = rating_scale
        self.problems: dict[int, list[str]] = {}
        self.problem_rows = 0
        self.first_problem: str | None = None
        if self.high <= self.low:
            raise IngestError(self.name, f"rating scale {self.low}–{self.high} is empty", field="--rating-scale")

    def check_columns(self, values: dict[str, Any], row: int) -> None:
        """Checked on the first row: the text column (and an explicitly named id column) must exist."""
        shown = ", ".join(repr(c) for c in list(values)[:30])
        if self.columns.text not in values:
            raise IngestError(
                self.name, f"no text column {self.columns.text!r} (columns: {shown})", row=row, field=self.columns.text
            )
        if self.columns.id_required and self.columns.id not in values:
            raise IngestError(
                self.name, f"no id column {self.columns.id!r} (columns: {shown})", row=row, field=self.columns.id
            )

    def record(self, number: int, values: dict[str, Any]) -> Record:
        text = values.get(self.columns.text)
        if text is None and self.columns.text not in values:
            raise IngestError(self.name, "the text field is missing", row=number, field=self.columns.text)
        identifier = values.get(self.columns.id)
        found: dict[str, Any] = {}
        for target, column in self.columns.fields.items():
            raw = values.get(column)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                found[target] = self._convert(target, raw)
            except (TypeError, ValueError) as exc:
                self._problem(number, column, f"cannot read {raw!r} as {target} ({exc}); left out")
        return Record(
            id=identifier if identifier not in (None, "") else number,
            text="" if text is None else str(text),
            **found,
        )

    def _problem(self, number: int, column: str, reason: str) -> None:
        found = self.problems.setdefault(number, [])
        if not found:
            self.problem_rows += 1
        found.append(f"field {column!r}: {reason}")
        if self.first_problem is None:
            self.first_problem = f"{self.name}, row {number}, field {column!r}: {reason}"

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
