"""CSV rows that survive broken quoting.

An unclosed quote makes a CSV parser read the following lines as one field, silently. Here the parser
runs in strict mode and every record remembers the lines it consumed: when a record fails to parse, or
spans several lines yet has the wrong number of fields, its first line is rejected ("unclosed quote on
line N") and the lines after it are parsed again, so one bad row costs one row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING

from voxpop.ingest.reader import Row

if TYPE_CHECKING:
    from voxpop.ingest.reader import DataFile

DELIMITERS = (",", ";", "\t", "|")
# A field this long can only be an unclosed quote eating the file (real fields are rejected far earlier
# by ``ingest_max_field_bytes``); the parser gives up on it, bounding memory.
_MIN_FIELD_LIMIT = 16 * 1024 * 1024


class _LineFeed:
    """The file's lines, remembering those the current record used and taking lines back to re-read."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._pending: list[str] = []  # lines given back, last one first
        self.used: list[str] = []
        self.line = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._pending.pop() if self._pending else next(self._lines)
        self.line += 1
        self.used.append(line)
        return line

    def give_back(self, lines: list[str]) -> None:
        self._pending.extend(reversed(lines))
        self.line -= len(lines)


class CsvRows:
    """Iterate a CSV file's records as ``Row``s keyed by the header's column names."""

    def __init__(self, data: DataFile) -> None:
        self._data = data
        csv.field_size_limit(max(_MIN_FIELD_LIMIT, 16 * data.max_field_bytes))
        self._feed = _LineFeed(iter(data.text()))
        header_line = self._peek_header_line()
        self._dialect = _dialect(header_line)
        self._reader = self._new_reader()
        self.columns = self._read_header()

    def _peek_header_line(self) -> str:
        for line in self._feed:
            if line.strip():
                self._feed.give_back([line])
                self._feed.used = []
                return line
        raise self._data.error("is empty")

    def _new_reader(self) -> Iterator[list[str]]:
        return csv.reader(self._feed, delimiter=self._dialect, strict=True)

    def _read_header(self) -> list[str]:
        try:
            header = next(self._reader)
        except csv.Error as exc:
            raise self._data.error(f"the header line cannot be read ({exc})", row=0) from exc
        columns = [name.strip() for name in header]
        if not any(columns):
            raise self._data.error("has no header line naming its columns", row=0)
        columns = _unique(columns)
        for name in columns:
            if not name.isascii():
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise self._data.error(
                        f"the header is not valid {self._data.encoding}; pass --encoding (e.g. latin-1)", row=0
                    ) from exc
        return columns

    def __iter__(self) -> Iterator[Row]:
        feed = self._feed
        width = len(self.columns)
        columns = self.columns
        number = 0
        while True:
            feed.used = []
            start = feed.line + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield self._unclosed(number, start, f"broken quoting ({exc})")
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            number += 1
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                fields = fields[:width]  # trailing empty fields, as spreadsheets write them
            if len(fields) != width:
                if len(feed.used) > 1:
                    yield self._unclosed(number, start, f"has {len(fields)} fields, the header has {width}")
                    continue
                yield Row(
                    number,
                    None,
                    line=start,
                    error=f"has {len(fields)} fields, the header has {width}",
                    source_text=feed.used[0],
                )
                continue
            yield Row(number, dict(zip(columns, fields, strict=True)), line=start)

    def _unclosed(self, number: int, start: int, problem: str) -> Row:
        """Reject the record's first line as an unclosed quote and re-read the lines after it."""
        used = self._feed.used
        self._feed.give_back(used[1:])
        self._feed.used = []
        self._reader = self._new_reader()
        return Row(
            number,
            None,
            line=start,
            error=f"{problem}: a quote opened on line {start} is not closed where the row ends"
            if len(used) > 1
            else problem,
            source_text=used[0],
        )


def _dialect(header_line: str) -> str:
    """The delimiter: whichever of , ; tab | the header line uses most."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unique(columns: list[str]) -> list[str]:
    """Name unnamed columns ``column_3`` and repeated ones ``name_2``, so no value is lost."""
    seen: set[str] = set()
    out: list[str] = []
    for index, name in enumerate(columns, 1):
        base = name or f"column_{index}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out
