"""Enrichers as plug-ins, registered in one place.

An *enricher* adds fields to a batch of items: it receives the texts, their embeddings (computed once by
the pipeline), per-item metadata and one result dict per item to fill. voxpop's own enrichers (language,
sentiment, aspects, questions, urgency, authenticity, topics) are registered with the same ``register()``
a third party calls; a third-party package can also declare its enricher under the Python entry-point
group ``voxpop.enrichers`` and it is found at start-up::

    [project.entry-points."voxpop.enrichers"]
    profanity = "my_package.profanity:ProfanityEnricher"

The registry orders enrichers by their declared ``requires`` (a topological sort, ties by registration
order) and fails loudly on an unknown dependency or a cycle.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from voxpop.errors import VoxpopError

if TYPE_CHECKING:
    from voxpop.settings import Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "voxpop.enrichers"
# The built-in enrichers: each module calls ``register()`` when imported, exactly as a plug-in would.
BUILTIN_MODULES = (
    "voxpop.analyze.language",
    "voxpop.analyze.opinion",
    "voxpop.analyze.questions",
    "voxpop.analyze.urgency",
    "voxpop.analyze.authenticity",
    "voxpop.analyze.topics",
)


@dataclass(frozen=True, slots=True)
class Record:
    """One item to analyse: its text and what else is known about it (all optional but ``text``)."""

    id: Any
    text: str
    rating: float | None = None  # normalised 0–1
    created_at: datetime | None = None
    author: str | None = None
    source: str | None = None
    location: str | None = None
    followers: int | None = None
    likes: int | None = None
    shares: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], index: int = 0) -> Record:
        """Build a record from a loose mapping (a CSV row, a JSON object); unknown keys are ignored."""
        text = data.get("text")
        return cls(
            id=data.get("id", index),
            text="" if text is None else str(text),
            rating=_float_or_none(data.get("rating")),
            created_at=_datetime_or_none(data.get("created_at")),
            author=_str_or_none(data.get("author")),
            source=_str_or_none(data.get("source")),
            location=_str_or_none(data.get("location")),
            followers=_int_or_none(data.get("followers")),
            likes=_int_or_none(data.get("likes")),
            shares=_int_or_none(data.get("shares")),
        )


@dataclass(frozen=True, slots=True)
class Layered:
    """Layered vectors: one row per text, and per text one row per clause of ``Batch.segments`` (if any)."""

    vectors: np.ndarray
    clauses: list[np.ndarray] | None = None

    def part(self, start: int, stop: int) -> Layered:
        """Those of texts ``start:stop``."""
        clauses = None if self.clauses is None else self.clauses[start:stop]
        return Layered(self.vectors[start:stop], clauses)


@dataclass
class Batch:
    """What every enricher sees. ``results[i]`` is item *i*'s output; ``evidence[i]`` its evidence dict."""

    records: Sequence[Record]
    embeddings: np.ndarray | None
    results: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Per item, its clauses and their vectors, pooled from the same forward pass as ``embeddings``
    #: (set when an enricher declares ``needs_clauses``; see ``clauses.embed_with_clauses``).
    segments: list[tuple[list[str], np.ndarray]] | None = None
    #: The texts' (and clauses') layered vectors, from the same forward pass, when the embedder gives them
    #: (the sentiment model reads these; see ``Embedder.encode_layered``).
    layered: Layered | None = None

    @classmethod
    def of(
        cls,
        records: Sequence[Record],
        embeddings: np.ndarray | None = None,
        segments: list[tuple[list[str], np.ndarray]] | None = None,
        layered: Layered | None = None,
    ) -> Batch:
        results: list[dict[str, Any]] = [{"id": r.id} for r in records]
        evidence: list[dict[str, Any]] = [{} for _ in records]
        return cls(records, embeddings, results, evidence, segments=segments, layered=layered)

    def __len__(self) -> int:
        return len(self.records)

    @cached_property
    def texts(self) -> list[str]:
        return [r.text for r in self.records]

    def numbers(self, name: str) -> np.ndarray:
        """A metadata field as a float array, NaN where missing — for vectorised scoring."""
        return np.array([_nan_if_none(getattr(r, name)) for r in self.records], dtype=np.float64)

    def column(self, name: str, default: Any = None) -> list[Any]:
        """A result field across the batch (``default`` where an enricher did not set it)."""
        return [r.get(name, default) for r in self.results]


@runtime_checkable
class Enricher(Protocol):
    """A batch enricher. ``name`` is unique; ``requires`` names the enrichers whose output it reads."""

    name: str
    requires: tuple[str, ...]
    scope: str  # "item", or "corpus" for enrichers that need the whole corpus at once (topics)

    def enrich(self, batch: Batch) -> None:
        """Fill ``batch.results`` (and ``batch.evidence``) in place."""


class AnalysisContext:
    """Shared, lazily-loaded resources an enricher may use: settings, taxonomy, embedder, sentiment model."""

    def __init__(self, settings: Settings, taxonomy: Any = None) -> None:
        self.settings = settings
        self._taxonomy = taxonomy
        self.cache: dict[str, Any] = {}

    @cached_property
    def embedder(self) -> Any:
        from voxpop.analyze.embeddings import get_embedder

        return get_embedder(self.settings)

    @cached_property
    def sentiment(self) -> Any:
        from voxpop.analyze.sentiment import SentimentModel

        return SentimentModel.load(self.settings)

    @cached_property
    def taxonomy(self) -> Any:
        if self._taxonomy is None or isinstance(self._taxonomy, str):
            from voxpop.analyze.taxonomy import load_taxonomy

            return load_taxonomy(self._taxonomy or self.settings.taxonomy)
        return self._taxonomy


EnricherFactory = Callable[[AnalysisContext], Enricher]


@dataclass(frozen=True, slots=True)
class EnricherSpec:
    name: str
    factory: EnricherFactory
    requires: tuple[str, ...]
    needs_embeddings: bool
    needs_clauses: bool = False


class RegistryError(VoxpopError):
    """An enricher is registered twice, depends on an unknown one, or the dependencies form a cycle."""


class Registry:
    """Named enricher factories. ``default_registry()`` holds the built-ins plus installed plug-ins."""

    def __init__(self) -> None:
        self._specs: dict[str, EnricherSpec] = {}

    def register(
        self,
        factory: EnricherFactory,
        *,
        name: str | None = None,
        requires: Iterable[str] | None = None,
        needs_embeddings: bool | None = None,
        replace: bool = False,
    ) -> EnricherFactory:
        """Add an enricher. ``factory(context) -> Enricher`` is typically the enricher class itself;
        ``name``/``requires``/``needs_embeddings`` default to the factory's attributes of those names
        (``needs_clauses``, read from the factory, asks for ``Batch.segments``)."""
        spec_name = name or getattr(factory, "name", None)
        if not spec_name:
            raise RegistryError(f"enricher {factory!r} has no name")
        if spec_name in self._specs and not replace:
            raise RegistryError(f"an enricher named {spec_name!r} is already registered")
        deps = tuple(requires if requires is not None else getattr(factory, "requires", ()))
        embeds = bool(needs_embeddings if needs_embeddings is not None else getattr(factory, "needs_embeddings", False))
        clauses = bool(getattr(factory, "needs_clauses", False))
        self._specs[spec_name] = EnricherSpec(spec_name, factory, deps, embeds or clauses, clauses)
        return factory

    def unregister(self, name: str) -> None:
        self._specs.pop(name, None)

    def names(self) -> list[str]:
        return list(self._specs)

    def spec(self, name: str) -> EnricherSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise RegistryError(f"no enricher named {name!r}; registered: {', '.join(self._specs)}") from None

    def ordered(self, names: Iterable[str] | None = None) -> list[EnricherSpec]:
        """The chosen enrichers (default: all) plus their dependencies, each after what it requires."""
        wanted = list(names) if names is not None else list(self._specs)
        order: list[EnricherSpec] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise RegistryError("enricher dependencies form a cycle: " + " -> ".join((*chain, name)))
            spec = self.spec(name)
            state[name] = 1
            for dep in spec.requires:
                if dep not in self._specs:
                    raise RegistryError(f"enricher {name!r} requires {dep!r}, which is not registered")
                visit(dep, (*chain, name))
            state[name] = 2
            order.append(spec)

        for name in wanted:
            visit(name, ())
        return order

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every enricher installed under the entry-point ``group``; returns their names.

        An entry point may name an enricher factory (registered here) or a module whose import registers
        its enrichers itself. A plug-in that fails to load is logged and skipped: one broken package must
        not stop the analysis.
        """
        loaded: list[str] = []
        for point in entry_points(group=group):
            try:
                target = point.load()
            except Exception:
                log.exception("enricher plug-in %s (%s) failed to load", point.name, point.value)
                continue
            if callable(target):
                name = getattr(target, "name", None) or point.name
                self.register(target, name=name, replace=True)
                loaded.append(name)
        return loaded


_default = Registry()
_loaded = False


def default_registry() -> Registry:
    """The process-wide registry: built-ins first, then every installed ``voxpop.enrichers`` plug-in."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _default.load_entry_points()
    return _default


def register(
    factory: EnricherFactory | None = None,
    *,
    name: str | None = None,
    requires: Iterable[str] | None = None,
    needs_embeddings: bool | None = None,
    replace: bool = False,
) -> Any:
    """Register an enricher in the default registry; usable as ``@register`` or ``@register(name=…)``."""

    def add(target: EnricherFactory) -> EnricherFactory:
        return _default.register(
            target, name=name, requires=requires, needs_embeddings=needs_embeddings, replace=replace
        )

    return add(factory) if factory is not None else add


def _nan_if_none(value: Any) -> float:
    return math.nan if value is None else float(value)


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _float_or_none(value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(float(value))


def _datetime_or_none(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    text = str(value).strip().replace("Z", "+00:00")
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
