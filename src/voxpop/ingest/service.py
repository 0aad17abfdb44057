"""Import one export file into the store: the service behind ``voxpop ingest`` (and the web upload).

Everything that can be wrong with the file as a whole is found before anything is written. Then rows are
read in constant memory and written in batches of ``ingest_batch_size``, each batch in its own
transaction together with the run's counters, so a crash, SIGKILL or Ctrl-C leaves the store consistent
and the ``ImportRun`` telling exactly what got in; running the same import again completes it, since
rows already stored are recognised by their dedup key. A bad row is rejected with the file, row and
field, and the rest go in.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from sqlalchemy import update

from voxpop.errors import IngestError, ValidationError
from voxpop.ingest.connectors.base import bytes_read
from voxpop.ingest.connectors.detect import detect_format, format_named
from voxpop.ingest.connectors.registry import FileFormat, RowError
from voxpop.ingest.mapping import RowMapper, resolve_mapping
from voxpop.ingest.reader import FORMATS, DataFile, Format, Row, open_data_file
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.timestamp import naive_times_in, zone
from voxpop.ingest.updates import Stored, store_rows
from voxpop.ingest.writer import KINDS, RecordError, get_or_create_source, prepare_row
from voxpop.store import Store
from voxpop.store.models import ImportRun, Source

# Called with the ids each committed batch added (and, as ``on_updated``, the known items it changed) —
# where the analysis pipeline plugs in.
OnAdded = Callable[[list[int]], None]
# Called after each batch with (bytes read from disk, file size).
OnProgress = Callable[[int, int], None]

KEPT_ERRORS = 50  # the first errors kept on the ImportRun and in the summary


@dataclass
class ImportOptions:
    source: str | None = None  # the Source's name; default: the file's name
    channel: str | None = None  # default channel of the items (and of a new Source)
    kind: str = "review"
    mapping: dict[str, str] | None = None  # target → column; None: columns named like a field
    rating_scale: tuple[float, float] | None = None
    encoding: str | None = None
    format: str | None = None  # csv, json, jsonl or a platform format's name; None: found from the file
    rejects: Path | None = None  # every rejected row is written here as CSV
    timezone: str | None = None  # IANA zone of times written without an offset; None: UTC


@dataclass
class ImportSummary:
    run_id: int
    source: str
    path: str
    format: str | None = None  # the platform format, when the file was one
    status: str = "running"
    read: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)


def default_source_name(path: Path) -> str:
    name = path.name
    return name[:-3] if name.lower().endswith(".gz") else name


def import_file(
    store: Store,
    path: str | Path,
    options: ImportOptions | None = None,
    *,
    on_added: OnAdded | None = None,
    on_progress: OnProgress | None = None,
    on_updated: OnAdded | None = None,
) -> ImportSummary:
    """Import ``path``; returns the summary. Raises ``IngestError`` for a file that cannot be imported."""
    options = options or ImportOptions()
    if options.timezone:
        try:
            naive_zone = zone(options.timezone)
        except ValueError as exc:
            raise ValidationError(f"--timezone: {exc}") from None
        with naive_times_in(naive_zone):
            return import_file(
                store,
                path,
                replace(options, timezone=None),
                on_added=on_added,
                on_progress=on_progress,
                on_updated=on_updated,
            )
    if options.kind not in KINDS:
        raise ValidationError(f"--kind: {options.kind!r} is not one of {', '.join(sorted(KINDS))}")
    if options.rejects is not None and not options.rejects.parent.is_dir():
        raise ValidationError(f"--rejects: the folder {options.rejects.parent} does not exist")
    path = Path(path)
    settings = store.settings
    platform = _platform_format(path, options)
    if platform is not None:
        return _import_platform(store, path, platform, options, on_added, on_progress, on_updated)
    fmt = cast(Format | None, options.format)
    data = open_data_file(path, encoding=options.encoding, fmt=fmt, max_field_bytes=settings.ingest_max_field_bytes)
    with data:
        mapping = resolve_mapping(str(path), data.columns, options.mapping)
        mapper = RowMapper(
            mapping,
            kind=options.kind,
            channel=options.channel,
            rating_scale=options.rating_scale,
            max_field_bytes=settings.ingest_max_field_bytes,
            encoding=data.encoding,
        )
        with store.write() as session:
            source = get_or_create_source(
                session, options.source or default_source_name(path), kind="file", channel=options.channel or "other"
            )
            run = ImportRun(source_id=source.id, path=str(path.resolve()), status="running", errors=[])
            session.add(run)
            session.flush()
            summary = ImportSummary(run_id=run.id, source=source.name, path=str(path))
        with _Importer(
            store, data, source, mapper, summary, options.rejects, on_added, on_progress, on_updated
        ) as importer:
            importer.run(settings.ingest_batch_size)
    return summary


def _platform_format(path: Path, options: ImportOptions) -> FileFormat | None:
    """The platform export format to read ``path`` with: named by ``--format``, or detected when neither
    ``--format`` nor ``--map`` says the file is a plain CSV/JSON one."""
    if options.format in FORMATS or (options.format is None and options.mapping):
        return None
    if options.format is not None:
        return format_named(options.format)
    if not path.is_file():
        raise IngestError(str(path), "no such file")
    if path.stat().st_size == 0:
        raise IngestError(str(path), "is empty")
    return detect_format(path)


def _import_platform(
    store: Store,
    path: Path,
    fmt: FileFormat,
    options: ImportOptions,
    on_added: OnAdded | None,
    on_progress: OnProgress | None,
    on_updated: OnAdded | None,
) -> ImportSummary:
    """Import a platform's export through its format: the records carry their own fields, ids and replies."""
    if not path.is_file():
        raise IngestError(str(path), "no such file")
    with store.write() as session:
        source = get_or_create_source(
            session, options.source or default_source_name(path), kind="file", channel=options.channel or fmt.channel
        )
        run = ImportRun(source_id=source.id, path=str(path.resolve()), status="running", errors=[])
        session.add(run)
        session.flush()
        summary = ImportSummary(run_id=run.id, source=source.name, path=str(path), format=fmt.name)
    records = fmt.read(path, encoding=options.encoding)
    if options.channel:
        records = (_with_channel(r, options.channel) for r in records)
    with _Importer(
        store,
        None,
        source,
        None,
        summary,
        options.rejects,
        on_added,
        on_progress,
        on_updated,
        records=records,
        path=path,
    ) as importer:
        importer.run(store.settings.ingest_batch_size)
    return summary


def _with_channel(record: ItemRecord | RowError, channel: str) -> ItemRecord | RowError:
    if isinstance(record, ItemRecord):
        record.channel = channel
    return record


class _Importer:
    """One run: reads rows, rejects the bad ones, writes batches and keeps the ImportRun in step."""

    def __init__(
        self,
        store: Store,
        data: DataFile | None,
        source: Source,
        mapper: RowMapper | None,
        summary: ImportSummary,
        rejects: Path | None,
        on_added: OnAdded | None,
        on_progress: OnProgress | None,
        on_updated: OnAdded | None = None,
        *,
        records: Iterator[ItemRecord | RowError] | None = None,
        path: Path | None = None,
    ) -> None:
        self.store = store
        self.path = path
        self.records = records
        self._number = 0
        self.on_updated = on_updated
        self.data = data
        self.source = source
        self.mapper = mapper
        self.summary = summary
        self.on_added = on_added
        self.on_progress = on_progress
        self._in_flight = 0
        self._rejects_file: IO[str] | None = None
        self._rejects: Any = None
        if rejects is not None:
            self._rejects_file = rejects.open("w", encoding="utf-8", errors="surrogateescape", newline="")
            self._rejects = csv.writer(self._rejects_file)
            self._rejects.writerow(["row", "line", "field", "error", "record"])

    def __enter__(self) -> _Importer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: TracebackType | None) -> None:
        if self._rejects_file is not None:
            self._rejects_file.close()
        if exc is not None:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            self._finish(status, str(exc) if isinstance(exc, IngestError | ValidationError) else repr(exc))

    def run(self, batch_size: int) -> None:
        """Read and prepare rows here while the previous batch is written on a second thread.

        At most one batch is in flight, so memory stays at two batches; parsing and SQLite/PostgreSQL
        work (which release the GIL) overlap on two cores.
        """
        now = datetime.now(UTC)
        batch: list[dict[str, Any]] = []
        pending: Future[Stored] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="voxpop-ingest") as pool:
            try:
                for row in self._rows():
                    self.summary.read += 1
                    prepared = self._prepare(row, now)
                    if prepared is None:
                        continue
                    batch.append(prepared)
                    if len(batch) >= batch_size:
                        pending = self._submit(pool, pending, batch)
                        batch = []
                        now = datetime.now(UTC)
                pending = self._submit(pool, pending, batch)
                self._collect(pending, len(batch))
            except BaseException:
                if pending is not None:
                    wait([pending])  # the batch in flight commits (or rolls back) whole, counters included
                raise
        self._finish("done")

    def _rows(self) -> Iterator[Row | ItemRecord | RowError]:
        if self.records is not None:
            return self.records
        assert self.data is not None
        return self.data.rows()

    def _submit(
        self, pool: ThreadPoolExecutor, pending: Future[Stored] | None, batch: list[dict[str, Any]]
    ) -> Future[Stored]:
        if pending is not None:
            self._collect(pending, self._in_flight)
        self._in_flight = len(batch)
        counters = (self.summary.read, self.summary.rejected, list(self.summary.errors))
        return pool.submit(self._write, batch, counters)

    def _collect(self, done: Future[Stored], size: int) -> None:
        stored = done.result()
        added = stored.added
        self.summary.added += len(added)
        self.summary.updated += len(stored.updated)
        self.summary.duplicates += size - len(added) - len(stored.updated)
        if added and self.on_added is not None:
            self.on_added(added)
        if stored.updated and self.on_updated is not None:
            self.on_updated(stored.updated)
        if self.on_progress is not None and self.data is not None:
            self.on_progress(self.data.bytes_read, self.data.size)
        elif self.on_progress is not None and self.path is not None:
            position = bytes_read(self.path)
            if position is not None:
                self.on_progress(position, self.path.stat().st_size)

    def _prepare(self, row: Row | ItemRecord | RowError, now: datetime) -> dict[str, Any] | None:
        if not isinstance(row, Row):
            return self._prepare_record(row, now)
        assert self.mapper is not None
        if row.values is None:
            self._reject(row, row.field, row.error or "cannot be read")
            return None
        try:
            return prepare_row(self.source, self.mapper.record(row.values), now=now)
        except RecordError as exc:
            self._reject(row, self.mapper.column_for(exc.field), exc.reason)
            return None

    def _prepare_record(self, record: ItemRecord | RowError, now: datetime) -> dict[str, Any] | None:
        """A record a platform format read (or its error), numbered in file order."""
        self._number += 1
        if isinstance(record, RowError):
            where = Row(record.row, None, source_text=record.source_text)
            self._reject(where, record.field, record.reason)
            return None
        try:
            return prepare_row(self.source, record, now=now)
        except RecordError as exc:
            text = json.dumps(record.raw, ensure_ascii=False, default=str)[:2000]
            self._reject(Row(self._number, None, source_text=text), exc.field, exc.reason)
            return None

    def _reject(self, row: Row, field: str | None, reason: str) -> None:
        self.summary.rejected += 1
        message = f"{self.summary.path}, {row.where}" + (f", field '{field}'" if field else "") + f": {reason}"
        if len(self.summary.errors) < KEPT_ERRORS:
            self.summary.errors.append(message)
        if self._rejects is not None:
            text = row.source_text
            if text is None:
                text = json.dumps(row.values, ensure_ascii=False, default=str)
            self._rejects.writerow([row.number, row.line or "", field or "", reason, text])

    def _write(self, batch: list[dict[str, Any]], counters: tuple[int, int, list[str]]) -> Stored:
        """One batch and the run's counters as of its last row, in one transaction."""
        read, rejected, errors = counters
        stored = Stored()
        with self.store.write() as session:
            if batch:
                stored = store_rows(session, batch)
            added = stored.added
            session.execute(
                update(ImportRun)
                .where(ImportRun.id == self.summary.run_id)
                .values(
                    rows_read=read,
                    added=ImportRun.added + len(added),
                    duplicates=ImportRun.duplicates + len(batch) - len(added) - len(stored.updated),
                    rejected=rejected,
                    errors=errors,
                )
            )
        return stored

    def _finish(self, status: str, error: str | None = None) -> None:
        self.summary.status = status
        if error is not None and len(self.summary.errors) < KEPT_ERRORS:
            self.summary.errors.append(error)
        now = datetime.now(UTC)
        with self.store.write() as session:
            session.execute(
                update(ImportRun)
                .where(ImportRun.id == self.summary.run_id)
                .values(status=status, finished_at=now, errors=list(self.summary.errors))
            )
            if status == "done":
                session.execute(update(Source).where(Source.id == self.source.id).values(last_success_at=now))
            elif error is not None:
                session.execute(
                    update(Source).where(Source.id == self.source.id).values(last_error=error, last_error_at=now)
                )
