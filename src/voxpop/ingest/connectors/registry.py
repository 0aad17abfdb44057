"""Connectors as plug-ins, found in one place: platform export formats and live sources.

A *connector* knows one platform's data. File formats (``kind = "file"``) recognise an export from its
first bytes and file name (``detect``) and stream it as ``ItemRecord``s (``read``); live connectors
(``kind = "live"``) fetch from an API or feed (``poll``, optionally ``post_reply``). Every connector says
what it can do in its ``Capabilities``, shown by ``voxpop formats``.

voxpop's own connectors are registered exactly as a third party's: each is declared under the Python
entry-point group ``voxpop.connectors`` (see ``pyproject.toml``) and loaded once, on first use::

    [project.entry-points."voxpop.connectors"]
    acme_reviews = "my_package.acme:AcmeReviews"

An entry point names a connector class (instantiated with no arguments) or instance. ``register()`` adds
one directly (tests, scripts). A plug-in that fails to load is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from voxpop.errors import VoxpopError
from voxpop.ingest.records import ItemRecord

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "voxpop.connectors"
ConnectorKind = Literal["file", "live"]
CONNECTOR_KINDS: tuple[ConnectorKind, ...] = ("file", "live")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector can read and do — shown to users as the capability matrix.

    ``reads`` names what comes in (e.g. ``("reviews", "ratings", "replies", "edits")``); ``history`` says
    how far back it reaches in words (``"the whole export"``, ``"last 500 reviews"``) and ``max_items`` the
    hard limit per read or poll, if any. ``terms`` is a note on the platform's terms of use.
    """

    reads: tuple[str, ...]
    history: str = ""
    max_items: int | None = None
    can_reply: bool = False
    needs_credentials: bool = False
    terms: str = ""
    docs_url: str = ""


class RowError(VoxpopError):
    """One record of a file that cannot be imported: its number, the field (as the file names it) and why."""

    def __init__(self, row: int, field: str | None, reason: str, *, source_text: str | None = None) -> None:
        self.row = row
        self.field = field
        self.reason = reason
        self.source_text = source_text
        super().__init__(f"row {row}" + (f", field '{field}'" if field else "") + f": {reason}")


@runtime_checkable
class Connector(Protocol):
    """What every connector has. ``name`` is unique, lower-case (``google_business``); ``label`` is for people."""

    name: str
    label: str
    kind: ConnectorKind
    capabilities: Capabilities


@runtime_checkable
class FileFormat(Connector, Protocol):
    """A platform's export format.

    ``detect`` returns 0–1: how sure it is that the file is this format (0 = not it, ≥ 0.5 = it is), from
    at most the first 64 KiB (decompressed, as bytes) and the file's name. ``read`` streams the file in
    constant memory, yielding one ``ItemRecord`` per item or a ``RowError`` for a record it cannot map;
    a file it cannot read at all raises ``IngestError``.
    """

    channel: str  # the items' channel, also the default channel of a new source
    item_kind: str  # an ItemKind value: review, ticket, survey, mention…

    def detect(self, sample: bytes, filename: str) -> float: ...

    def read(self, path: Path, *, encoding: str | None = None) -> Iterator[ItemRecord | RowError]: ...


class ConnectorError(VoxpopError):
    """An unknown connector name, or two connectors with one name."""


class Registry:
    """Connectors by name. ``default_registry()`` holds the built-ins plus installed plug-ins."""

    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}

    def register(self, connector: Connector, *, replace: bool = False) -> Connector:
        name = getattr(connector, "name", None)
        if not name or not isinstance(name, str):
            raise ConnectorError(f"connector {connector!r} has no name")
        if getattr(connector, "kind", None) not in CONNECTOR_KINDS:
            raise ConnectorError(f"connector {name!r}: kind must be one of {', '.join(CONNECTOR_KINDS)}")
        if not isinstance(getattr(connector, "capabilities", None), Capabilities):
            raise ConnectorError(f"connector {name!r} declares no Capabilities")
        if name in self._connectors and not replace:
            raise ConnectorError(f"a connector named {name!r} is already registered")
        self._connectors[name] = connector
        return connector

    def unregister(self, name: str) -> None:
        self._connectors.pop(name, None)

    def get(self, name: str) -> Connector:
        try:
            return self._connectors[name]
        except KeyError:
            known = ", ".join(sorted(self._connectors)) or "none"
            raise ConnectorError(f"no connector named {name!r}; known: {known}") from None

    def connectors(self, kind: ConnectorKind | None = None) -> list[Connector]:
        """All connectors (or those of one kind), sorted by name."""
        return [c for _, c in sorted(self._connectors.items()) if kind is None or c.kind == kind]

    def file_formats(self) -> list[FileFormat]:
        return [c for c in self.connectors("file") if isinstance(c, FileFormat)]

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every connector installed under ``group``; returns their names."""
        loaded: list[str] = []
        for point in entry_points(group=group):
            try:
                target: Any = point.load()
                connector = target() if isinstance(target, type) else target
                self.register(connector, replace=True)
            except Exception:
                log.exception("connector plug-in %s (%s) failed to load", point.name, point.value)
                continue
            loaded.append(connector.name)
        return loaded


_default = Registry()
_loaded = False
_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, filled from the ``voxpop.connectors`` entry points on first use."""
    global _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                _default.load_entry_points()
                _loaded = True
    return _default


def register(connector: Connector, *, replace: bool = False) -> Connector:
    """Add ``connector`` to the default registry (after the installed ones are loaded)."""
    return default_registry().register(connector, replace=replace)


def get(name: str) -> Connector:
    return default_registry().get(name)


def connectors(kind: ConnectorKind | None = None) -> list[Connector]:
    return default_registry().connectors(kind)
