"""The connector registry: registration rules and plug-ins found through entry points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voxpop.ingest.connectors.registry import (
    Capabilities,
    ConnectorError,
    FileFormat,
    Registry,
    RowError,
)
from voxpop.ingest.records import ItemRecord


class _Acme:
    name = "acme"
    label = "Acme reviews"
    kind = "file"
    channel = "acme"
    item_kind = "review"
    capabilities = Capabilities(reads=("reviews",), history="the whole export")

    def detect(self, sample: bytes, filename: str) -> float:
        return 1.0 if sample.startswith(b"ACME") else 0.0

    def read(self, path: Path, *, encoding: str | None = None) -> Iterator[ItemRecord | RowError]:
        for number, line in enumerate(path.read_text().splitlines()[1:], 1):
            yield ItemRecord(text=line) if line else RowError(number, "text", "is empty")


class _Live:
    name = "acme_live"
    label = "Acme API"
    kind = "live"
    capabilities = Capabilities(reads=("reviews",), needs_credentials=True, can_reply=True)


def test_register_get_and_filter_by_kind() -> None:
    registry = Registry()
    registry.register(_Acme())
    registry.register(_Live())
    assert registry.get("acme").label == "Acme reviews"
    assert [c.name for c in registry.connectors()] == ["acme", "acme_live"]
    assert [c.name for c in registry.connectors("live")] == ["acme_live"]
    assert [c.name for c in registry.file_formats()] == ["acme"]
    assert isinstance(registry.get("acme"), FileFormat)
    assert not isinstance(registry.get("acme_live"), FileFormat)


def test_duplicate_unknown_and_incomplete_connectors_are_refused() -> None:
    registry = Registry()
    registry.register(_Acme())
    with pytest.raises(ConnectorError, match="already registered"):
        registry.register(_Acme())
    registry.register(_Acme(), replace=True)
    with pytest.raises(ConnectorError, match="no connector named 'nope'; known: acme"):
        registry.get("nope")

    class NoCaps:
        name = "x"
        label = "X"
        kind = "file"
        capabilities = None

    with pytest.raises(ConnectorError, match="declares no Capabilities"):
        registry.register(NoCaps())  # type: ignore[arg-type]

    class BadKind(_Live):
        kind = "carrier-pigeon"

    with pytest.raises(ConnectorError, match="kind must be one of"):
        registry.register(BadKind())  # type: ignore[arg-type]


def _install_plugin(root: Path, module: str, body: str, entry: str) -> None:
    """A real installed distribution on sys.path: a module and a dist-info declaring its entry point."""
    (root / f"{module}.py").write_text(body)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[voxpop.connectors]\n{entry}\n")


PLUGIN = """
from voxpop.ingest.connectors.registry import Capabilities

class Widget:
    name = "widget_reviews"
    label = "Widget"
    kind = "live"
    capabilities = Capabilities(reads=("reviews",), docs_url="https://example.org/widget")
"""


def test_plugins_load_from_entry_points_and_broken_ones_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _install_plugin(tmp_path, "widget_plugin", PLUGIN, "widget_reviews = widget_plugin:Widget")
    _install_plugin(tmp_path, "broken_plugin", "raise RuntimeError('boom')\n", "broken = broken_plugin:Nothing")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    loaded = registry.load_entry_points()
    assert "widget_reviews" in loaded
    assert "broken" not in loaded
    assert registry.get("widget_reviews").capabilities.docs_url == "https://example.org/widget"
    assert "broken_plugin:Nothing" in caplog.text
