"""JSON and JSON Lines rows, streamed.

A JSON document is either an array of records or an object holding one (``{"reviews": [...]}``, as
platform exports do); the first array of objects found is the one imported, read item by item with
``ijson`` so a 5 GB export takes constant memory. Nested objects are flattened to dotted keys
(``user.name``) so a mapping can name them. JSON has no way to skip a broken part, so invalid JSON stops
the import with the row it happened after; a broken line in JSON Lines only rejects that line.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

import ijson  # type: ignore[import-untyped]

from voxpop.ingest.reader import Row, unpacked

if TYPE_CHECKING:
    from voxpop.ingest.reader import DataFile


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"user": {"name": "x"}}`` → ``{"user.name": "x"}``; lists stay values."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _utf8_stream(data: DataFile) -> IO[bytes] | io.TextIOWrapper:
    """What ijson reads: the bytes when the file is UTF-8 (after its BOM), else strictly decoded text."""
    if data.encoding in ("utf-8-sig", "utf-8", "utf8"):
        stream = io.BufferedReader(cast(Any, data.binary()))
        if stream.peek(3).startswith(codecs.BOM_UTF8):
            stream.read(3)
        return stream
    return data.text(errors="strict")


def _records_prefix(data: DataFile) -> str:
    """The ijson prefix of the records: ``item`` for a top-level array, else the first array of objects."""
    with data.path.open("rb") as disk:
        raw = unpacked(data.path, disk, data.limits) if data.compressed else disk
        previous: tuple[str, str] = ("", "")
        empty_array = False
        try:
            for prefix, event, _value in ijson.parse(_strip_bom(raw)):
                if previous[1] == "start_array" and event == "start_map":
                    return f"{previous[0]}.item" if previous[0] else "item"
                if prefix == "" and event in ("string", "number", "boolean", "null"):
                    break
                empty_array = empty_array or (previous == ("", "start_array") and event == "end_array")
                previous = (prefix, event)
        except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
            raise data.error(f"is not valid JSON ({exc})") from exc
        if empty_array:
            return "item"
    raise data.error('holds no array of records (expected [ {...}, ... ] or {"reviews": [ {...} ]})')


def _strip_bom(raw: IO[bytes]) -> IO[bytes]:
    stream = io.BufferedReader(cast(Any, raw))
    if stream.peek(3).startswith(codecs.BOM_UTF8):
        stream.read(3)
    return stream


def json_rows(data: DataFile) -> Iterator[Row]:
    prefix = _records_prefix(data)
    stream = _utf8_stream(data)
    number = 0
    try:
        for obj in ijson.items(stream, prefix, use_float=True):
            number += 1
            if isinstance(obj, dict):
                yield Row(number, flatten(obj))
            else:
                yield Row(number, None, error="is not an object", source_text=json.dumps(obj, default=str))
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
        hint = "; pass --encoding if the file is not UTF-8" if isinstance(exc, UnicodeDecodeError) else ""
        raise data.error(f"is not valid JSON after row {number} ({exc}){hint}", row=number + 1) from exc


def jsonl_rows(data: DataFile) -> Iterator[Row]:
    number = 0
    for line_number, line in enumerate(data.text(), 1):
        if not line.strip():
            continue
        number += 1
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield Row(number, None, line=line_number, error=f"is not valid JSON ({exc})", source_text=line)
            continue
        if not isinstance(obj, dict):
            yield Row(number, None, line=line_number, error="is not a JSON object", source_text=line)
            continue
        yield Row(number, flatten(obj), line=line_number)
