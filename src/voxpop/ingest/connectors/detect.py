"""Which platform's export a file is, from its first 64 KiB and its name — or a clear refusal to guess."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from voxpop.errors import IngestError
from voxpop.ingest.connectors.base import sniff
from voxpop.ingest.connectors.registry import FileFormat, default_registry

SURE = 0.5  # a format scoring at least this claims the file
CLOSE = 0.1  # two claims closer than this are ambiguous
XLSX_HEAD_ROWS = 5


def file_formats() -> list[FileFormat]:
    return default_registry().file_formats()


def format_named(name: str) -> FileFormat:
    for fmt in file_formats():
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in file_formats())
    raise IngestError("--format", f"{name!r} is not a known format; known: csv, json, jsonl, {known}")


def detect_format(path: Path) -> FileFormat | None:
    """The platform format ``path`` is in; ``None`` for a plain CSV/JSON file; ``IngestError`` if ambiguous.

    An XLSX workbook is judged by its first sheet's first rows, written out as CSV text, and only by the
    formats that can read one (``reads_xlsx``).
    """
    sample = sniff(path)
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    formats = file_formats()
    if name.lower().endswith(".xlsx") and sample.startswith(b"PK\x03\x04"):
        sample = xlsx_head(path)
        formats = [fmt for fmt in formats if getattr(fmt, "reads_xlsx", False)]
    claims = sorted(((fmt.detect(sample, name), fmt.name, fmt) for fmt in formats), key=lambda c: (-c[0], c[1]))
    sure = [c for c in claims if c[0] >= SURE]
    if not sure:
        return None
    if len(sure) > 1 and sure[0][0] - sure[1][0] < CLOSE:
        names = " or ".join(c[1] for c in sure[:3])
        raise IngestError(str(path), f"could be {names}: name the format with --format NAME (see `voxpop formats`)")
    return sure[0][2]


def xlsx_head(path: Path) -> bytes:
    """The first rows of the workbook's first sheet as UTF-8 CSV (what a CSV format's ``detect`` reads)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise IngestError(str(path), f"is not a readable XLSX workbook ({exc})") from exc
    try:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True)):
            if number >= XLSX_HEAD_ROWS:
                break
            writer.writerow(["" if v is None else v for v in values])
    finally:
        book.close()
    return out.getvalue().encode()
