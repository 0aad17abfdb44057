"""Which platform's export a file is, from its first 64 KiB and its name — or a clear refusal to guess."""

from __future__ import annotations

from pathlib import Path

from voxpop.errors import IngestError
from voxpop.ingest.connectors.base import sniff
from voxpop.ingest.connectors.registry import FileFormat, default_registry

SURE = 0.5  # a format scoring at least this claims the file
CLOSE = 0.1  # two claims closer than this are ambiguous


def file_formats() -> list[FileFormat]:
    return default_registry().file_formats()


def format_named(name: str) -> FileFormat:
    for fmt in file_formats():
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in file_formats())
    raise IngestError("--format", f"{name!r} is not a known format; known: csv, json, jsonl, {known}")


def detect_format(path: Path) -> FileFormat | None:
    """The platform format ``path`` is in; ``None`` for a plain CSV/JSON file; ``IngestError`` if ambiguous."""
    sample = sniff(path)
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    claims = sorted(((fmt.detect(sample, name), fmt.name, fmt) for fmt in file_formats()), key=lambda c: (-c[0], c[1]))
    sure = [c for c in claims if c[0] >= SURE]
    if not sure:
        return None
    if len(sure) > 1 and sure[0][0] - sure[1][0] < CLOSE:
        names = " or ".join(c[1] for c in sure[:3])
        raise IngestError(str(path), f"could be {names}: name the format with --format NAME (see `voxpop formats`)")
    return sure[0][2]
