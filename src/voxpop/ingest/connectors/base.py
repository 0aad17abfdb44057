"""What the platform file formats share: opening an export, sniffing it, and streaming its records.

A JSON format names the keys that identify it (``required``: all must appear in the first 64 KiB;
``hints``: each found makes it surer) and where its records are (ijson prefixes, the first present is
used), and maps one record with ``map``. A CSV format names its header columns the same way. Records are
streamed — ijson for JSON, the csv module for CSV — so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

import ijson  # type: ignore[import-untyped]

from voxpop.errors import IngestError
from voxpop.ingest.connectors.registry import Capabilities, ConnectorKind, RowError
from voxpop.ingest.reader import UnpackLimits, unpacked
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.timestamp import parse_timestamp

SNIFF_BYTES = 64 * 1024
T = TypeVar("T")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class MappingError(ValueError):
    """One record does not hold what its format promises; ``field`` is the record's own key."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


# The file on disk each path is being read from, so an importer can show how far it got.
_reading: dict[Path, IO[bytes]] = {}


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (within the reader's decompression-bomb limits)."""
    disk = path.open("rb")
    _reading[path] = disk
    if disk.read(2) == b"\x1f\x8b":
        disk.seek(0)
        return unpacked(path, disk, UnpackLimits())
    disk.seek(0)
    return disk


def bytes_read(path: Path) -> int | None:
    """How far into ``path`` (on disk, compressed bytes for gzip) the latest reader of it is."""
    disk = _reading.get(path)
    if disk is None:
        return None
    if disk.closed:  # read to the end
        _reading.pop(path, None)
        return path.stat().st_size
    try:
        return disk.tell()
    except (OSError, ValueError):
        return None


def sniff(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of the (decompressed) file."""
    try:
        with open_bytes(path) as stream:
            return stream.read(size)
    except (OSError, EOFError) as exc:
        raise IngestError(str(path), f"cannot be read ({exc})") from exc


def encoding_of(sample: bytes, default: str = "utf-8-sig") -> str:
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    return default


def sample_text(sample: bytes) -> str:
    """The sample decoded as its byte-order mark says (UTF-8 without one); a cut last character is dropped."""
    return sample.decode(encoding_of(sample), errors="ignore").lstrip("\ufeff")


def text_or_none(value: Any) -> str | None:
    """A scalar as text (a CSV cell, a number), blank as ``None``; a record's field is read with ``text_at``."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def section(record: dict[str, Any], key: str, *deeper: str) -> dict[str, Any]:
    """The nested object under ``key`` (and ``deeper`` keys within it; empty when missing); anything else
    there is a mapping error naming its path (``relationships.response.data``), so a damaged export is
    rejected by field instead of failing on the first ``.get``."""
    node, path = record, ""
    for part in (key, *deeper):
        path = f"{path}.{part}" if path else part
        value = node.get(part)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise MappingError(path, f"{show_value(value)} is not an object")
        node = value
    return node


# The lookups below take a field as ``section`` does — a key, and deeper keys through nested objects
# (``text_at(record, "reviewer", "name")``) — and return its documented type, ``None`` when it is missing or
# blank. A value of another shape (a list for a rating, an object for a name, a date past the year 9999) is a
# ``MappingError`` naming the field's dotted path, so a damaged record is rejected by row and field.


def _at(record: dict[str, Any], key: str, deeper: tuple[str, ...]) -> tuple[Any, str]:
    """The value at the path and the path's name; the objects on the way are read with ``section``."""
    *parents, last = (key, *deeper)
    node = section(record, parents[0], *parents[1:]) if parents else record
    return node.get(last), ".".join((key, *deeper))


def text_at(record: dict[str, Any], key: str, *deeper: str) -> str | None:
    """Text (a number is taken as its digits, as platforms write ids); an object, list or boolean is not text —
    stored, it would read as a Python structure (``{'x': 1}``) where a person's words should be."""
    value, path = _at(record, key, deeper)
    if isinstance(value, bool | dict | list):
        raise MappingError(path, f"{show_value(value)} is not text")
    return text_or_none(value)


def _scalar_at(
    record: dict[str, Any], key: str, deeper: tuple[str, ...], what: str
) -> tuple[str | int | float, str] | None:
    """The field's text or number and its dotted path; ``None`` when absent or empty; a boolean, object or
    list is an error naming the path (``what``: "a number", "a time")."""
    value, path = _at(record, key, deeper)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MappingError(path, f"{show_value(value)} is not {what}")
    return value, path


def number(record: dict[str, Any], key: str, *deeper: str) -> float | None:
    """A finite number (a numeric string too)."""
    found = _scalar_at(record, key, deeper, "a number")
    if found is None:
        return None
    value, path = found
    try:
        result = float(value)
    except (ValueError, OverflowError):
        raise MappingError(path, f"{show_value(value)} is not a number") from None
    if not math.isfinite(result):
        raise MappingError(path, f"{show_value(value)} is not a finite number")
    return result


def one_of(record: dict[str, Any], key: str, values: Mapping[str, T]) -> T | None:
    """The value ``values`` gives the field's text (a rating named ``FOUR``); any other value is an error."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in values:
        raise MappingError(key, f"{show_value(value)} is not one of {', '.join(values)}")
    return values[value]


def time_or_none(record: dict[str, Any], key: str, *deeper: str) -> datetime | None:
    """A time as text (ISO 8601, RFC 2822…) or epoch seconds/milliseconds."""
    found = _scalar_at(record, key, deeper, "a time")
    if found is None:
        return None
    value, path = found
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError) as exc:
        raise MappingError(path, f"{show_value(value)} is not a time") from exc


def entries(record: dict[str, Any], key: str, *deeper: str) -> list[Any]:
    """The list under the field (empty when missing or null)."""
    value, path = _at(record, key, deeper)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise MappingError(path, f"{show_value(value)} is not a list")
    return value


def objects(record: dict[str, Any], key: str, *deeper: str, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of the list under the field, with its path for ``within`` (``answers[2]``; under ``at``,
    the path of ``record`` itself: ``pages[0].questions[1]``); a null item is skipped, any other non-object is
    a mapping error naming it."""
    path = ".".join((at, key, *deeper) if at else (key, *deeper))
    with within(at):
        found = entries(record, key, *deeper)
    for index, value in enumerate(found):
        if value is None:
            continue
        if not isinstance(value, dict):
            raise MappingError(f"{path}[{index}]", f"{show_value(value)} is not an object")
        yield f"{path}[{index}]", value


@contextmanager
def within(path: str) -> Iterator[None]:
    """Mapping errors raised in the block name their field from ``path`` (``answers[2].number``)."""
    try:
        yield
    except MappingError as exc:
        raise MappingError(f"{path}.{exc.field}" if path else exc.field, exc.reason) from None


def whole(value: Any) -> int | None:
    """A whole number for a count (likes, votes); anything else, or beyond a 64-bit count, is ``None``."""
    try:
        count = None if value is None or value == "" or isinstance(value, bool) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return count if count is not None and abs(count) < 2**63 else None


def show_value(value: Any) -> str:
    """A damaged value, short enough for a message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class FormatBase:
    """Shared attributes and detection score of a file format."""

    kind: ConnectorKind = "file"
    name: ClassVar[str]
    label: ClassVar[str]
    channel: ClassVar[str]
    item_kind: ClassVar[str] = "review"
    capabilities: ClassVar[Capabilities]
    required: ClassVar[tuple[str, ...]] = ()
    hints: ClassVar[tuple[str, ...]] = ()
    filenames: ClassVar[tuple[str, ...]] = ()  # lower-case parts of the usual file name

    def score(self, text: str, filename: str) -> float:
        """0 unless every required marker is in ``text``; then 0.6 plus up to 0.3 for hints, 0.1 for the name."""
        if not all(marker in text for marker in self.required):
            return 0.0
        found = sum(1 for hint in self.hints if hint in text)
        score = 0.6 + (0.3 * found / len(self.hints) if self.hints else 0.3)
        if any(part in filename.lower() for part in self.filenames):
            score += 0.1
        return round(min(score, 1.0), 3)


class JsonFormat(FormatBase):
    """A JSON (or JSON Lines) export whose records sit at one of ``prefixes`` (ijson paths)."""

    prefixes: ClassVar[tuple[str, ...]] = ("item",)
    jsonl: ClassVar[bool] = False  # also read JSON Lines: one record per line

    def detect(self, sample: bytes, filename: str) -> float:
        text = sample_text(sample)
        start = self.json_start(text)
        if start is None:
            return 0.0
        return self.score(" ".join(text[start:].split()), filename)

    def json_start(self, text: str) -> int | None:
        body = text.lstrip()
        return len(text) - len(body) if body[:1] in ("{", "[") else None

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        raise NotImplementedError

    def skip_preamble(self, stream: IO[bytes]) -> IO[bytes]:
        """Formats with text before the JSON (the X archive's ``window.YTD… =``) skip it here."""
        return stream

    def records(self, path: Path, prefixes: tuple[str, ...] | None = None) -> Iterator[dict[str, Any]]:
        """Every record object of the file (at the first of ``prefixes`` it has), streamed."""
        where = str(path)
        if self.jsonl and self._is_jsonl(path):
            yield from self._lines(path)
            return
        prefix = self._prefix(path, prefixes or self.prefixes)
        with open_bytes(path) as raw:
            stream = self.skip_preamble(_skip_bom(raw))
            number = 0
            try:
                for obj in ijson.items(stream, prefix, use_float=True):
                    number += 1
                    yield obj if isinstance(obj, dict) else {"__not_an_object__": obj}
            except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
                raise IngestError(where, f"is not valid JSON after record {number} ({exc})", row=number + 1) from exc

    def _is_jsonl(self, path: Path) -> bool:
        head = sample_text(sniff(path, 8192)).lstrip()
        first, _, rest = head.partition("\n")
        if not first.startswith("{"):
            return False
        try:
            obj = json.loads(first)
        except ValueError:
            return False
        if rest.strip():
            return rest.lstrip().startswith("{")
        # One line: a JSON Lines file of one record, or a whole minified page that holds the records.
        return not self._holds_records(obj)

    def _holds_records(self, obj: Any) -> bool:
        """Whether ``obj`` has a list where one of the format's record paths (``tickets.item``) points."""
        for prefix in self.prefixes:
            node = obj
            for key in prefix.split(".")[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if prefix != "item" and isinstance(node, list):
                return True
        return False

    def _lines(self, path: Path) -> Iterator[dict[str, Any]]:
        with open_bytes(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace") as text:
            for line in text:
                if line.strip():
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        obj = {"__not_an_object__": line.strip()[:200]}
                    yield obj if isinstance(obj, dict) else {"__not_an_object__": obj}

    def _prefix(self, path: Path, prefixes: tuple[str, ...]) -> str:
        """The first of ``prefixes`` the file actually has records at."""
        wanted = {p.rsplit(".item", 1)[0] if p != "item" else "": p for p in prefixes}
        with open_bytes(path) as raw:
            stream = self.skip_preamble(_skip_bom(raw))
            try:
                for prefix, event, _ in ijson.parse(stream):
                    if event == "start_array" and prefix in wanted:
                        return wanted[prefix]
            except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
                raise IngestError(str(path), f"is not valid JSON ({exc})") from exc
        raise NoRecordsError(str(path), f"holds no {self.label} records (looked for {', '.join(prefixes)})")

    def read(self, path: Path, *, encoding: str | None = None) -> Iterator[ItemRecord | RowError]:
        yield from self.read_with(self, path)

    def read_with(self, mapper: Mapper, path: Path) -> Iterator[ItemRecord | RowError]:
        for number, obj in enumerate(self.records(path), 1):
            yield from _mapped(mapper, number, obj)


class CsvFormat(FormatBase):
    """A CSV export with a header row; ``header_rows`` > 1 for exports with extra heading rows."""

    header_rows: ClassVar[int] = 1

    def detect(self, sample: bytes, filename: str) -> float:
        text = sample_text(sample)
        first_line = text.split("\n", 1)[0]
        if first_line.lstrip().startswith(("{", "[")):
            return 0.0
        return self.score(text.split("\n", self.header_rows)[0] if self.header_rows == 1 else text, filename)

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        raise NotImplementedError

    def headings(self, rows: list[list[str]]) -> list[str]:
        """The column names, from the heading rows (the first row unless a format says otherwise)."""
        return rows[0]

    def records(self, path: Path, encoding: str | None = None) -> Iterator[dict[str, Any]]:
        chosen = encoding or encoding_of(sniff(path, 4))
        with open_bytes(path) as raw:
            text = io.TextIOWrapper(raw, encoding=chosen, errors="strict", newline="")
            reader = csv.reader(text)
            try:
                heading = [next(reader) for _ in range(self.header_rows)]
            except StopIteration:
                raise IngestError(str(path), "has no header row") from None
            except UnicodeDecodeError as exc:
                raise IngestError(str(path), f"is not {chosen} text ({exc}); pass --encoding") from exc
            columns = [c.strip() for c in self.headings(heading)]
            try:
                for values in reader:
                    if not any(v.strip() for v in values):
                        continue
                    yield dict(zip(columns, values, strict=False))
            except UnicodeDecodeError as exc:
                raise IngestError(str(path), f"is not {chosen} text ({exc}); pass --encoding") from exc

    def read(self, path: Path, *, encoding: str | None = None) -> Iterator[ItemRecord | RowError]:
        for number, obj in enumerate(self.records(path, encoding), 1):
            yield from _mapped(self, number, obj)


class NoRecordsError(IngestError):
    """The file has none of the arrays a format reads its records from."""


class Mapper(Protocol):
    def map(self, record: dict[str, Any]) -> ItemRecord | None: ...


def _mapped(fmt: Mapper, number: int, obj: dict[str, Any]) -> Iterable[ItemRecord | RowError]:
    if "__not_an_object__" in obj:
        yield RowError(number, None, "is not an object", source_text=str(obj["__not_an_object__"])[:500])
        return
    try:
        record = fmt.map(obj)
    except MappingError as exc:
        yield RowError(number, exc.field, exc.reason, source_text=_source(obj))
        return
    if record is not None:
        yield record


def _source(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)[:2000]


def _skip_bom(raw: IO[bytes]) -> IO[bytes]:
    stream = io.BufferedReader(cast(Any, raw))
    if stream.peek(3).startswith(codecs.BOM_UTF8):
        stream.read(3)
    return stream


class _Text(HTMLParser):
    """Collects the text of an HTML fragment (tags dropped, block ends as line breaks, entities decoded)."""

    BLOCKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")


def html_text(value: Any) -> str | None:
    """Plain text of an HTML body (support tools store messages as HTML); never executed or rendered."""
    if value is None:
        return None
    parser = _Text()
    parser.feed(str(value))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) or None


def local_time(value: Any, zone: str, key: str) -> datetime | None:
    """A wall-clock time the platform gives in a named zone (no offset in the value), as a UTC instant."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MappingError(key, f"{show_value(value)} is not a time")
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MappingError(key, f"{show_value(value)} is not a time") from exc
