"""Open an export file whatever it is — CSV, JSON or JSONL, gzip or not — and stream its rows.

The format is found from the content (gzip by its magic bytes, JSON by its first character), so a
``reviews.json`` that is really JSON Lines, or a ``.gz`` without the extension, still reads. Problems with
the whole file (missing, empty, binary, an archive) raise ``IngestError`` before a row is read; problems
with one row come back as a ``Row`` with an ``error``, so the importer rejects that row and goes on.

A gzip file is unpacked as a stream through :class:`UnpackLimit`: it stops with an ``IngestError`` once the
file unpacks to more than ``UnpackLimits.max_unpacked_bytes`` in total (every gzip member counted) or, past
the first ``RATIO_FLOOR`` bytes, to more than ``max_ratio`` times what was read from disk (a real export
compresses 3 to 20 times) — a decompression bomb ends the run cleanly (the batches before it whole,
the one being read not written) instead of filling the disk. ZIP archives, and archives or gzip inside a
gzip, are refused before a row is read.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from voxpop.errors import IngestError

Format = Literal["csv", "json", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "json", "jsonl")

SNIFF_BYTES = 64 * 1024
RATIO_FLOOR = 16 * 1024 * 1024  # small files may compress as well as they like
_GZIP_MAGIC = b"\x1f\x8b"
_ARCHIVES = {b"PK\x03\x04": "a ZIP archive (or an Excel workbook): extract or export it as CSV first"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True, slots=True)
class UnpackLimits:
    """How far a compressed file may unpack: in total, and relative to its size on disk."""

    max_unpacked_bytes: int = 20 * 1024**3
    max_ratio: int = 200


class UnpackLimit(io.RawIOBase):
    """The unpacked bytes of a gzip file, refused past :class:`UnpackLimits` (see the module's doc)."""

    def __init__(self, path: Path, disk: IO[bytes], limits: UnpackLimits) -> None:
        super().__init__()
        self.path, self.disk, self.limits = path, disk, limits
        self.unpacked = 0
        self._gzip = gzip.GzipFile(fileobj=disk, mode="rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._gzip.readinto(buffer)
        self.unpacked += n
        limits = self.limits
        if self.unpacked > limits.max_unpacked_bytes:
            raise IngestError(
                str(self.path),
                f"unpacks to more than {limits.max_unpacked_bytes:,} bytes: refused as a decompression bomb "
                "(split the export into smaller files)",
            )
        if self.unpacked > RATIO_FLOOR and self.unpacked > limits.max_ratio * max(self.disk.tell(), 1):
            raise IngestError(
                str(self.path),
                f"unpacks to more than {limits.max_ratio} times its compressed size: refused as a decompression bomb",
            )
        return n

    def close(self) -> None:
        self._gzip.close()
        super().close()


def unpacked(path: Path, disk: IO[bytes], limits: UnpackLimits) -> IO[bytes]:
    """The gzip file open as ``disk``, unpacked as a buffered stream within ``limits``."""
    return cast(IO[bytes], io.BufferedReader(UnpackLimit(path, disk, limits), buffer_size=SNIFF_BYTES))


@dataclass(slots=True)
class Row:
    """One record of a file: its values, or why it could not be read.

    ``number`` counts records from 1 (the header is not a record); ``line`` is where it starts in the file,
    when the format has lines; ``source_text`` is what the file held, for the rejects file.
    """

    number: int
    values: dict[str, Any] | None
    line: int | None = None
    error: str | None = None
    field: str | None = None
    source_text: str | None = None

    @property
    def where(self) -> str:
        return f"row {self.number}" + (f" (line {self.line})" if self.line is not None else "")


class DataFile:
    """An opened export: its format, its columns (the CSV header or the first JSON record's keys) and rows.

    ``bytes_read`` is the position in the file on disk (compressed bytes for gzip), for progress bars.
    """

    def __init__(
        self,
        path: Path,
        fmt: Format,
        encoding: str,
        *,
        compressed: bool,
        max_field_bytes: int,
        limits: UnpackLimits | None = None,
    ) -> None:
        self.path = path
        self.limits = limits or UnpackLimits()
        self.format = fmt
        self.encoding = encoding
        self.compressed = compressed
        self.max_field_bytes = max_field_bytes
        self.size = path.stat().st_size
        self._disk: IO[bytes] = path.open("rb")
        self._stream: IO[bytes] = unpacked(path, self._disk, self.limits) if compressed else self._disk
        self._rows: Iterator[Row] | None = None
        self._first: Row | None = None
        self.columns: list[str] = []
        self._start()

    @property
    def bytes_read(self) -> int:
        return self._disk.tell() if not self._disk.closed else self.size

    def _start(self) -> None:
        if self.format == "csv":
            from voxpop.ingest.csvrows import CsvRows

            csv_rows = CsvRows(self)
            self.columns = csv_rows.columns
            self._rows = iter(csv_rows)
            return
        from voxpop.ingest.jsonrows import json_rows, jsonl_rows

        self._rows = json_rows(self) if self.format == "json" else jsonl_rows(self)
        # JSON has no header: the first record's keys stand in for one, to check a mapping early.
        self._first = next(self._rows, None)
        if self._first is not None and self._first.values is not None:
            self.columns = list(self._first.values)

    def binary(self) -> IO[bytes]:
        """The decompressed byte stream, positioned after any byte-order mark."""
        return self._stream

    def text(self, errors: str = "surrogateescape") -> io.TextIOWrapper:
        """The decoded text; undecodable bytes become lone surrogates that the row checks name."""
        return io.TextIOWrapper(self._stream, encoding=self.encoding, errors=errors, newline="")

    def rows(self) -> Iterator[Row]:
        if self._first is not None:
            yield self._first
            self._first = None
        assert self._rows is not None
        yield from self._rows

    def error(self, message: str, *, row: int | None = None, field: str | None = None) -> IngestError:
        return IngestError(str(self.path), message, row=row, field=field)

    def close(self) -> None:
        self._stream.close()
        self._disk.close()

    def __enter__(self) -> DataFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def undecodable(value: str, encoding: str) -> str | None:
    """Why ``value`` (read with ``errors="surrogateescape"``) holds a byte ``encoding`` could not decode, or
    ``None`` when it holds none."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ord(value[exc.start])
        byte = f"byte 0x{bad - 0xDC00:02x}" if 0xDC80 <= bad <= 0xDCFF else "a character"
        return (
            f"{byte} is not valid {encoding}; the file may be in another encoding: try --encoding latin-1 (or cp1252)"
        )
    return None


def open_data_file(
    path: str | Path,
    *,
    encoding: str | None = None,
    fmt: Format | None = None,
    max_field_bytes: int = 1_000_000,
    limits: UnpackLimits | None = None,
) -> DataFile:
    """Open ``path`` for import, finding compression, encoding and format from its first bytes."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise IngestError(where, "no such file")
    with path.open("rb") as disk:
        magic = disk.read(4)
        compressed = magic.startswith(_GZIP_MAGIC)
        disk.seek(0)
        try:
            head = gzip.GzipFile(fileobj=disk).read(SNIFF_BYTES) if compressed else disk.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise IngestError(where, f"is not a readable gzip file ({exc})") from exc
    for prefix, what in _ARCHIVES.items():
        if head.startswith(prefix):
            raise IngestError(where, f"is {what}")
    if compressed and head.startswith(_GZIP_MAGIC):
        raise IngestError(where, "is a gzip file inside a gzip file: unpack it once first")
    chosen = encoding or _encoding_from_bom(head)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise IngestError(where, f"unknown encoding {encoding!r}", field="--encoding") from exc
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise IngestError(where, "is empty")
    if _looks_binary(head, chosen):
        raise IngestError(where, "is a binary file, not CSV, JSON or JSON Lines")
    sample = head.decode(chosen, errors="replace")
    return DataFile(
        path,
        fmt or _sniff_format(sample),
        chosen,
        compressed=compressed,
        max_field_bytes=max_field_bytes,
        limits=limits,
    )


def _encoding_from_bom(head: bytes) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return "utf-8-sig"


def _looks_binary(head: bytes, encoding: str) -> bool:
    """NUL bytes or many control characters in the first 64 KiB, unless the text is UTF-16/32."""
    if "16" in encoding or "32" in encoding:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) // 20


def _sniff_format(sample: str) -> Format:
    """JSON when it starts with ``[``; JSON Lines when the first line is a whole object; else CSV."""
    body = sample.lstrip("\ufeff \t\r\n")
    if body.startswith("["):
        return "json"
    if body.startswith("{"):
        first, _, rest = body.partition("\n")
        try:
            obj = json.loads(first)
        except ValueError:
            return "json"  # an object spread over lines: a document
        if not isinstance(obj, dict) or _holds_records(obj):
            return "json"  # e.g. {"reviews": [{...}, ...]} on one line
        return "jsonl" if not rest.strip() or rest.lstrip().startswith("{") else "json"
    return "csv"


def _holds_records(obj: dict[str, Any]) -> bool:
    return any(isinstance(v, list) and v and isinstance(v[0], dict) for v in obj.values())
