"""The analysis pipeline: embed each text once, then run the registered enrichers in dependency order.

``Analyzer.analyze(records)`` turns a batch of records (dicts or ``Record``) into one flat result dict per
item; ``analyze_items(store, ids, analyzer)`` does the same for stored items and writes the results into
their analysis columns, batch by batch (re-running it rewrites the same values: it is idempotent).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from voxpop.analyze.registry import AnalysisContext, Batch, Enricher, Layered, Record, Registry, default_registry
from voxpop.analyze.turns import Transcript, customer_turns

if TYPE_CHECKING:
    from voxpop.analyze.embeddings import Tokens, VectorMemo
    from voxpop.settings import Settings
    from voxpop.store import Store
    from voxpop.store.models import Item

# The store (SQLAlchemy, its models and what the topics' store side imports) is imported by the functions
# that use it: ``voxpop analyze`` on a file never touches a database, and importing it cost about 0.4 CPU s
# of the command's start-up (1 s once the store's topics imported the roll-ups).

#: The fields every result carries, in output order (``None``/empty when an enricher is not run).
FIELDS: dict[str, Any] = {
    "sentiment": None,
    "sentiment_score": None,
    "confidence": None,
    "aspects": [],
    "department": None,
    "language": None,
    "is_question": None,
    "urgency": None,
    "authenticity_risk": None,
    "topics": [],
}
EMBED_BATCH = 64


@dataclass
class Staged:
    """Records ready for the model (:meth:`Analyzer.stage`): ``tokens`` when the embedder tokenises apart,
    ``clauses`` when an enricher needs clause vectors and the embedder can pool them."""

    records: list[Record]
    wants_clauses: bool
    clauses: list[list[str]] | None = None
    tokens: Tokens | None = None
    #: Conversations read as their customer's turns, by position (:func:`customer_view`).
    transcripts: dict[int, Transcript] = field(default_factory=dict)


def customer_view(records: list[Record]) -> tuple[list[Record], dict[int, Transcript]]:
    """The records as the enrichers read them: a conversation pasted as one text becomes its customer's
    turns (:mod:`voxpop.analyze.turns`), so the agent's scripted cheer and questions are not the customer's."""
    transcripts: dict[int, Transcript] = {}
    for index, record in enumerate(records):
        found = customer_turns(record.text)
        if found is not None:
            transcripts[index] = found
            records[index] = replace(record, text=found.text)
    return records, transcripts


class Analyzer:
    """Runs the enrichers over batches. Models load on first use, so creating one is cheap.

    ``enrichers`` picks a subset by name (their dependencies are added); default: every registered one.
    """

    def __init__(
        self,
        settings: Settings,
        taxonomy: Any = None,
        *,
        enrichers: Sequence[str] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.context = AnalysisContext(settings, taxonomy)
        self.registry = registry or default_registry()
        self.specs = self.registry.ordered(enrichers)
        self._instances: dict[str, Enricher] = {}
        self._lock = threading.RLock()  # enrichers may be loaded on a helper thread (``load``)
        self._memo: VectorMemo | None = None  # vectors of recent texts, so a repeated text is embedded once

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    @property
    def topic_model(self) -> Any:
        """The topic model of the last corpus analysed (``None`` before)."""
        return self.context.cache.get("topics")

    def _enricher(self, name: str) -> Enricher:
        with self._lock:
            if name not in self._instances:
                spec = self.registry.spec(name)
                self._instances[name] = spec.factory(self.context)
            return self._instances[name]

    def load(self) -> None:
        """Create every enricher (loading its models) — e.g. on a helper thread while the first batch embeds."""
        for spec in self.specs:
            self._enricher(spec.name)

    def warm_up(self) -> None:
        """Load every model now (the embedder included) rather than on the first batch."""
        if any(spec.needs_embeddings for spec in self.specs):
            self.embed(["warm up"])
        for spec in self.specs:
            self._enricher(spec.name)

    @property
    def embedder_name(self) -> str:
        """Names the embedding model, so stored vectors of another model are recognised as stale."""
        return str(getattr(self.context.embedder, "fingerprint", type(self.context.embedder).__name__))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        embedder = self.context.embedder
        return np.asarray(embedder.encode(list(texts), batch_size=EMBED_BATCH), dtype=np.float32)

    def analyze(self, records: Iterable[Record | Mapping[str, Any]], *, corpus: bool = True) -> list[dict[str, Any]]:
        """Analyse one batch. With ``corpus=False`` corpus-level enrichers (topics) are left out — the
        caller then runs ``analyze_corpus`` over a larger set."""
        batch = self.prepare(records)
        self.run(batch, corpus=corpus)
        return [self.output(result, evidence) for result, evidence in zip(batch.results, batch.evidence, strict=True)]

    def prepare(self, records: Iterable[Record | Mapping[str, Any]]) -> Batch:
        """The batch the enrichers run on: records with their embeddings (and clauses, when asked for)."""
        return self.embed_staged(self.stage(records))

    def stage(self, records: Iterable[Record | Mapping[str, Any]]) -> Staged:
        """The model-free half of :meth:`prepare`: records read, clauses split, texts tokenised.

        ``voxpop analyze`` runs it on the main thread for the next window while the model embeds the
        current one on another, so the model is not kept waiting by work that needs no model. (An
        embedder that cannot tokenise apart, e.g. a test's, does all of it in :meth:`embed_staged`.)
        """
        items, transcripts = customer_view(
            [r if isinstance(r, Record) else Record.from_mapping(r, i) for i, r in enumerate(records)]
        )
        staged = Staged(items, any(spec.needs_clauses for spec in self.specs), transcripts=transcripts)
        embedder = self.context.embedder
        if items and self._needs_vectors(staged) and hasattr(embedder, "tokenize"):
            from voxpop.analyze.clauses import clauses_of

            texts = [r.text for r in items]
            staged.clauses = clauses_of(texts) if staged.wants_clauses else None
            staged.tokens = embedder.tokenize(texts, staged.clauses)
        return staged

    def embed_staged(self, staged: Staged) -> Batch:
        """The model half of :meth:`prepare`."""
        items, embeddings, segments, layered = staged.records, None, None, None
        if staged.tokens is not None:
            if self._memo is None:
                from voxpop.analyze.embeddings import VectorMemo

                self._memo = VectorMemo()
            encoded = self.context.embedder.encode_all(staged.tokens, EMBED_BATCH, self._memo)
            embeddings = encoded.vectors
            if staged.clauses is not None:
                segments = list(zip(staged.clauses, encoded.parts, strict=True))
            if encoded.layered is not None:
                layered = Layered(encoded.layered, encoded.layered_parts if staged.clauses is not None else None)
        elif items and staged.wants_clauses:
            from voxpop.analyze.clauses import embed_with_clauses

            embeddings, segments = embed_with_clauses(self.context.embedder, [r.text for r in items], EMBED_BATCH)
        elif items and self._needs_vectors(staged):
            embeddings = self.embed([r.text for r in items])
        if embeddings is not None:
            embeddings = np.asarray(embeddings, dtype=np.float32)
        batch = Batch.of(items, embeddings, segments, layered)
        for index, transcript in staged.transcripts.items():
            batch.evidence[index]["transcript"] = {
                "customer": transcript.customer,
                "speakers": transcript.speakers,
                "customer_turns": transcript.turns,
            }
        return batch

    def _needs_vectors(self, staged: Staged) -> bool:
        return staged.wants_clauses or any(spec.needs_embeddings for spec in self.specs)

    def run(self, batch: Batch, *, corpus: bool = True) -> Batch:
        if not len(batch):
            return batch
        for spec in self.specs:
            enricher = self._enricher(spec.name)
            if getattr(enricher, "scope", "item") == "corpus" and not corpus:
                continue
            enricher.enrich(batch)
        return batch

    def corpus_enrichers(self) -> list[Enricher]:
        return [
            self._enricher(spec.name)
            for spec in self.specs
            if getattr(self._enricher(spec.name), "scope", "item") == "corpus"
        ]

    @staticmethod
    def output(result: dict[str, Any], evidence: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {"id": result.get("id")}
        for name, default in FIELDS.items():
            value = result.get(name, default)
            row[name] = list(value) if isinstance(value, list) else value
        for name, value in result.items():
            if name not in row:
                row[name] = value  # a plug-in's own fields
        row["evidence"] = evidence
        return row


def _record_of(item: Item) -> Record:
    from voxpop.analyze.store_topics import item_text

    return Record(
        id=item.id,
        text=item_text(item.title, item.text),
        rating=item.rating,
        created_at=item.created_at,
        author=item.author_handle or item.author_name,
        source=item.source.name if item.source is not None else str(item.source_id),
        location=item.location,
        followers=item.reach_followers,
        likes=item.reach_likes,
        shares=item.reach_shares,
    )


def analyze_items(
    store: Store,
    item_ids: Iterable[int],
    analyzer: Analyzer,
    *,
    batch_size: int = 256,
    stamp: Mapping[str, Any] | None = None,
) -> int:
    """Analyse stored items and write their analysis columns; returns how many were written.

    Items are read, analysed and written one batch at a time (one short write transaction each), so a
    long run holds no lock for long and a crash loses at most the batch in flight. Unknown ids are skipped.
    Corpus-level enrichers (topics) see one batch as their corpus. ``stamp`` is kept in each item's
    ``analysis`` JSON (the worker records which taxonomy the analysis used there).
    """
    from sqlalchemy import select

    from voxpop.analyze.store_topics import save_embeddings
    from voxpop.store.analysis_write import write_analysis, write_embeddings
    from voxpop.store.models import Item
    from voxpop.store.types import utcnow

    ids = list(dict.fromkeys(int(i) for i in item_ids))
    written = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with store.read() as session:
            items = session.scalars(select(Item).where(Item.id.in_(chunk)).order_by(Item.id)).all()
            records = [_record_of(item) for item in items]
            kept = {item.id: _corrected_values(item) for item in items}
        if not records:
            continue
        batch = analyzer.run(analyzer.prepare(records))
        rows = [
            analyzer.output(result, evidence) for result, evidence in zip(batch.results, batch.evidence, strict=True)
        ]
        now = utcnow()
        values = [
            {
                "id": row["id"],
                "sentiment": row["sentiment"],
                "sentiment_score": row["sentiment_score"],
                "sentiment_confidence": row["confidence"],
                "aspects": row["aspects"],
                "topics": row["topics"],
                "is_question": row["is_question"],
                "urgency": row["urgency"],
                "authenticity_risk": row["authenticity_risk"],
                "language": row["language"],
                "analysis": _jsonable({**(stamp or {}), "department": row["department"], "evidence": row["evidence"]}),
            }
            for row in rows
        ]
        for value in values:
            extra = dict(kept.get(value["id"], {}))
            corrected = extra.pop("corrected", None)
            value.update(extra)
            if corrected:
                value["analysis"]["corrected"] = corrected
        with store.write() as session:
            # One statement per batch on PostgreSQL (voxpop.store.analysis_write); deleted items are skipped.
            write_analysis(session, values, now)
            if batch.embeddings is not None:  # kept for the store-wide topics (never embedded twice)
                if session.get_bind().dialect.name == "postgresql":
                    write_embeddings(session, [r.id for r in records], batch.embeddings, analyzer.embedder_name)
                else:
                    save_embeddings(session, [r.id for r in records], batch.embeddings, analyzer.embedder_name)
        written += len(values)
    return written


def _corrected_values(item: Item) -> dict[str, Any]:
    """What a person corrected on the item (see ``voxpop.act.corrections``) wins over a re-analysis."""
    corrected = set((item.analysis or {}).get("corrected", []))
    if not corrected:
        return {}
    kept: dict[str, Any] = {"corrected": sorted(corrected)}
    if "sentiment" in corrected:
        kept.update(
            sentiment=item.sentiment,
            sentiment_score=item.sentiment_score,
            sentiment_confidence=item.sentiment_confidence,
        )
    if "aspects" in corrected:
        kept["aspects"] = item.aspects
    return kept


def _jsonable(value: Any) -> Any:
    """Evidence as plain JSON types (numpy scalars and datetimes turned into numbers and strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
