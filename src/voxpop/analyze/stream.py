"""Analyse a CSV or JSON Lines file without a store, streaming, in constant memory.

Rows are read, analysed and written one batch at a time, in input order; the first batches are small so
the first result appears within a second or two of the models loading. Topics are corpus-level, so they
come last: while streaming, each item's embedding (float16, 768 bytes) and date go to a temporary file
on disk and a seeded reservoir sample of at most ``topics.FIT_SAMPLE`` texts stays in memory; once the
last rows are embedded the topics are fitted on the sample and every item is placed by
``TopicModel.assign`` reading the embeddings back in chunks — on the embedding thread, while the main
thread still runs the enrichers over the last rows — and at the end the output is rewritten once, line
by line, with its ``topics`` filled in (plus a ``<output>.topics.json`` summary). Memory stays bounded by
the sample, whatever the file size; disk use grows by under 1 KB per item for the duration of the run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from voxpop.analyze.file_rows import Columns, RowConverter
from voxpop.analyze.pipeline import Analyzer, Staged, _jsonable
from voxpop.analyze.registry import Batch, Record
from voxpop.analyze.topics import FIT_SAMPLE, MIN_ITEMS, Topic, discover_topics, week_of
from voxpop.analyze.topics import preload as preload_topics

BATCH_SIZES = (8, 32, 128)  # the first batches, then ``batch_size`` from there on
#: Past the first batches, rows are embedded this many at a time (a whole number of batches), then run
#: through the enrichers ``batch_size`` at a time. The embedder sorts the texts it is given by length
#: before batching them for the model, so a larger window wastes less on padding: on the airline tweets
#: windows of 256 items cost 24 % more word pieces than the texts hold, windows of 2,048 items 4 %.
EMBED_WINDOW = 2048
ASSIGN_CHUNK = 20_000


@dataclass
class FileSummary:
    rows: int
    topics: list[Topic]
    topics_path: Path | None
    problem_rows: int = 0  # rows with a value that could not be read (left out, listed under "problems")
    first_problem: str | None = None


def analyze_file(
    source: Path,
    target: Path,
    analyzer: Analyzer,
    *,
    columns: Columns | None = None,
    rating_scale: tuple[float, float] = (1.0, 5.0),
    topics: bool = True,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> FileSummary:
    """Analyse ``source`` into ``target`` (one JSON object per input row, same order).

    While one batch goes through the enrichers, the next one is embedded on a helper thread (onnxruntime
    and the tokenizer release the GIL), so the model rarely waits for the rest; the next window is read,
    split into clauses and tokenised on this thread before it is handed over, so the helper only runs the
    model and pools its output. The helper also keeps each embedded window for the topics and, once the
    last rows are embedded, fits and assigns the topics while the enrichers finish the last windows (the
    reservoir sample sees the items in input order either way, so the topics are the same).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # The BLAS runs on one thread: the embedding model has the cores, the enrichers' and the topic fit's
    # matrices are small, and OpenBLAS's second thread mostly spun. Same output, byte for byte; on 2,000
    # tweets (loaded) 5.06 instead of 5.34 CPU ms per item, and the topic fit alone on 4,096 tweets
    # 0.28 instead of 0.68 CPU seconds.
    with threadpool_limits(1, user_api="blas"):
        return _analyze_file(source, target, analyzer, columns, rating_scale, topics, batch_size, progress, encoding)


def _analyze_file(
    source: Path,
    target: Path,
    analyzer: Analyzer,
    columns: Columns | None,
    rating_scale: tuple[float, float],
    topics: bool,
    batch_size: int,
    progress: Callable[[int], None] | None,
    encoding: str | None,
) -> FileSummary:
    convert = RowConverter(source, columns or Columns(), rating_scale, encoding)
    corpus = _Corpus(target.parent) if topics and "topics" in analyzer.names else None
    rows = 0

    def embed(staged: Staged) -> Batch:
        batch = analyzer.embed_staged(staged)
        if corpus is not None:
            corpus.add(batch.records, batch.embeddings)
        return batch

    try:
        with target.open("w", encoding="utf-8") as out, ThreadPoolExecutor(1, "voxpop-embed") as helper:
            # The embedding model loads on the helper while the enrichers' models load on another thread
            # (the helper's first batch would otherwise wait for the enrichers' imports, e.g. scikit-learn).
            if any(spec.needs_embeddings for spec in analyzer.specs):
                helper.submit(_embedder_quietly, analyzer)
            threading.Thread(target=_load_quietly, args=(analyzer,), name="voxpop-load", daemon=True).start()
            ahead: Future[Batch] | None = None
            fitted: Future[_Placed | None] | None = None
            preloading = False
            window = batch_size * max(1, EMBED_WINDOW // batch_size)
            for records, last in _batches(convert, batch_size, window):
                upcoming = helper.submit(embed, analyzer.stage(records))
                if last and corpus is not None:  # runs on the helper once the last rows are embedded
                    fitted = helper.submit(corpus.fit)
                if ahead is not None:
                    rows = _write_window(analyzer, ahead.result(), batch_size, out, rows, progress, convert.problems)
                    if corpus is not None and not preloading:  # once the first results are out
                        preloading = True
                        threading.Thread(target=_preload_quietly, name="voxpop-preload", daemon=True).start()
                ahead = upcoming
            if ahead is not None:
                rows = _write_window(analyzer, ahead.result(), batch_size, out, rows, progress, convert.problems)
            placed = fitted.result() if fitted is not None else None
        problems, first = convert.problem_rows, convert.first_problem
        if corpus is None or rows == 0:
            return FileSummary(rows, [], None, problems, first)
        found = corpus.finish(target, placed)
        return FileSummary(rows, found, target.with_name(target.name + ".topics.json"), problems, first)
    finally:
        if corpus is not None:
            corpus.close()


def _embedder_quietly(analyzer: Analyzer) -> None:
    # As in ``_load_quietly``: a failure is met again by the first ``prepare``.
    with contextlib.suppress(Exception):
        _ = analyzer.context.embedder


def _preload_quietly() -> None:
    # The topics' fit imports what it needs itself; this only moves the cost off the end of the run.
    with contextlib.suppress(Exception):
        preload_topics()


def _load_quietly(analyzer: Analyzer) -> None:
    # A failure here is met again, and reported, by the main thread when it needs that enricher.
    with contextlib.suppress(Exception):
        analyzer.load()


def _batches(convert: RowConverter, batch_size: int, window: int | None = None) -> Iterator[tuple[list[Record], bool]]:
    """Records in batches: small ones first (the first result appears at once, none over ``batch_size``),
    then ``window`` (default ``batch_size``) at a time; each with whether it is the last one (a full
    batch is held back until the next row is read, so the flag is known when the batch comes out)."""
    window = window or batch_size
    sizes = iter([min(size, batch_size) for size in BATCH_SIZES])
    limit = next(sizes, window)
    pending: list[Record] = []
    full: list[Record] | None = None
    for record in convert.records():
        if full is not None:
            yield full, False
            full = None
        pending.append(record)
        if len(pending) >= limit:
            full, pending = pending, []
            limit = next(sizes, window)
    if full is not None:
        yield full, True
    elif pending:
        yield pending, True


def _write_window(
    analyzer: Analyzer,
    prepared: Batch,
    batch_size: int,
    out: IO[str],
    rows: int,
    progress: Callable[[int], None] | None,
    problems: dict[int, list[str]] | None = None,
) -> int:
    """Run an embedded window through the enrichers ``batch_size`` items at a time; returns rows written.

    The enrichers see the same batches whatever the window, so their batch-level evidence (near-duplicates
    within a batch, bursts) does not depend on how many rows were embedded together.
    """
    for start in range(0, len(prepared), batch_size):
        rows += _write_batch(analyzer, _slice(prepared, start, start + batch_size), out, rows, problems)
        if progress is not None:
            progress(rows)
    return rows


def _slice(batch: Batch, start: int, stop: int) -> Batch:
    """Items ``start:stop`` of a batch no enricher has run on yet, as a batch of their own."""
    if start == 0 and stop >= len(batch):
        return batch
    embeddings = None if batch.embeddings is None else batch.embeddings[start:stop]
    segments = None if batch.segments is None else batch.segments[start:stop]
    # The layered vectors too: without them the sentiment model would embed the texts again.
    layered = None if batch.layered is None else batch.layered.part(start, stop)
    return Batch.of(batch.records[start:stop], embeddings, segments, layered)


def _write_batch(
    analyzer: Analyzer, batch: Batch, out: IO[str], before: int = 0, problems: dict[int, list[str]] | None = None
) -> int:
    """Analyse and write a batch whose first row is row ``before + 1`` of the file (rows come out in order)."""
    analyzer.run(batch, corpus=False)
    lines = []
    for number, (result, evidence) in enumerate(zip(batch.results, batch.evidence, strict=True), start=before + 1):
        row = analyzer.output(result, evidence)
        if problems and (found := problems.pop(number, None)):
            row["problems"] = found
        lines.append(_dumps(row))
    out.write("\n".join(lines) + "\n")
    out.flush()
    return len(batch)


def _plain(value: Any) -> Any:
    """``json.dumps``'s ``default``: numpy scalars and arrays, datetimes and the like as JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain)


def _dumps(row: dict[str, Any]) -> str:
    """One result as a JSON line, as ``json.dumps(_jsonable(row))`` writes it but without first copying
    every dict and list: plain values are written directly and only the others go through ``_plain``
    (``np.float64`` is a ``float``, written with the same digits). A value neither handles takes the slow
    path. (Keys ``True``/``False``/``None``, which no enricher uses, would read ``true``/``false``/``null``
    rather than ``True``/``False``/``None``.)"""
    try:
        return _ENCODER.encode(row)
    except TypeError:
        return json.dumps(_jsonable(row), ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Placed:
    """The topics found, and each item's topic name (``None``: no topic), in input order."""

    topics: list[Topic]
    names: list[str | None]


class _Corpus:
    """What the end-of-file topic pass needs: embeddings and dates on disk, a reservoir of texts."""

    def __init__(self, folder: Path, seed: int = 0) -> None:
        self._dir = tempfile.TemporaryDirectory(dir=folder, prefix=".voxpop-topics-")
        self._vectors = open(Path(self._dir.name) / "vectors.f16", "wb")  # noqa: SIM115 — closed in close()
        self._dates = open(Path(self._dir.name) / "dates.f64", "wb")  # noqa: SIM115
        self._random = random.Random(seed)
        self.count = 0
        self.dim = 0
        self.sample: list[tuple[int, str]] = []  # (index, text): reservoir sampling, "algorithm R"

    def add(self, records: Sequence[Record], embeddings: np.ndarray | None) -> None:
        if embeddings is None:
            return
        self.dim = embeddings.shape[1]
        embeddings.astype(np.float16).tofile(self._vectors)
        dates = np.array([r.created_at.timestamp() if r.created_at else np.nan for r in records], dtype=np.float64)
        dates.tofile(self._dates)
        for record in records:
            if len(self.sample) < FIT_SAMPLE:
                self.sample.append((self.count, record.text))
            else:
                slot = self._random.randrange(self.count + 1)
                if slot < FIT_SAMPLE:
                    self.sample[slot] = (self.count, record.text)
            self.count += 1

    def fit(self) -> _Placed | None:
        """Fit the topics on the sample and place every item (``None``: too few items). Called once,
        after the last ``add``; on one thread, BLAS and OpenMP included (scikit-learn may load OpenMP
        after ``analyze_file`` set its limit)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._fit()

    def _fit(self) -> _Placed | None:
        self._vectors.close()
        self._dates.close()
        if self.count < MIN_ITEMS:
            return None
        vectors = np.memmap(self._vectors.name, dtype=np.float16, mode="r", shape=(self.count, self.dim))
        dates = np.fromfile(self._dates.name, dtype=np.float64)
        chosen = sorted(self.sample)
        indices = np.array([i for i, _ in chosen], dtype=np.int64)
        sample_dates = [_moment(dates[i]) for i in indices]
        model = discover_topics(
            [text for _, text in chosen], np.asarray(vectors[indices], dtype=np.float32), sample_dates
        )
        labels = np.full(self.count, -1, dtype=np.int64)
        for start in range(0, self.count, ASSIGN_CHUNK):
            labels[start : start + ASSIGN_CHUNK] = model.assign(
                np.asarray(vectors[start : start + ASSIGN_CHUNK], dtype=np.float32)
            )
        labels[indices] = model.labels  # the fitted sample keeps its clusters
        for topic in model.topics:
            members = np.flatnonzero(labels == topic.id)
            topic.size = len(members)
            volume: dict[str, int] = {}
            for i in members:
                moment = _moment(dates[i])
                if moment is not None:
                    volume[week_of(moment)] = volume.get(week_of(moment), 0) + 1
            topic.volume_by_week = dict(sorted(volume.items()))
        del vectors
        return _Placed(model.topics, [model.name_of(int(label)) for label in labels])

    def finish(self, target: Path, placed: _Placed | None = None) -> list[Topic]:
        """Fill the topics into ``target`` (fitting them now unless ``fit`` already did) and write the summary."""
        if placed is None and not self._vectors.closed:
            placed = self.fit()
        if placed is None:
            return []
        _rewrite_topics(target, placed.names)
        summary = target.with_name(target.name + ".topics.json")
        summary.write_text(json.dumps({"items": self.count, "topics": [t.as_dict() for t in placed.topics]}, indent=1))
        return placed.topics

    def close(self) -> None:
        for handle in (self._vectors, self._dates):
            if not handle.closed:
                handle.close()
        self._dir.cleanup()


def _moment(timestamp: float) -> datetime | None:
    return None if math.isnan(timestamp) else datetime.fromtimestamp(float(timestamp), UTC)


#: How ``_write_batch`` writes the still-empty ``topics`` field. Inside a JSON string a quote is escaped,
#: so these exact characters can only be a key: the first one on a line is the result's own field.
_NO_TOPICS = '"topics":[]'


def _rewrite_topics(target: Path, names: list[str | None]) -> None:
    """Fill each output line's ``topics`` in one streaming pass (write a sibling file, then rename).

    Lines with no topic are copied as they are and the others get their topic spliced in, so the pass
    does not parse and re-serialise every result.
    """
    staging = target.with_name(f".{target.name}.topics-pass")
    with target.open(encoding="utf-8") as lines, staging.open("w", encoding="utf-8") as out:
        for line, name in zip(lines, names, strict=True):
            if name and _NO_TOPICS in line:
                line = line.replace(_NO_TOPICS, '"topics":' + json.dumps([name], ensure_ascii=False), 1)
            elif name:  # a plug-in filled ``topics`` itself: replace its value
                row = json.loads(line)
                row["topics"] = [name]
                line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
            out.write(line)
    os.replace(staging, target)
