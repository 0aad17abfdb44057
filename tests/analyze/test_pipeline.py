"""The enricher registry (built-ins and plug-ins alike) and the pipeline end to end, on both backends."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.registry import AnalysisContext, Batch, Record, Registry, RegistryError, default_registry
from voxpop.settings import Settings

BUILTINS = ["language", "sentiment", "aspects", "questions", "urgency", "authenticity", "topics"]


class Shout:
    """A third-party enricher: flags texts written in capitals."""

    name = "shout"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    def enrich(self, batch: Batch) -> None:
        for result, text in zip(batch.results, batch.texts, strict=True):
            letters = [c for c in text if c.isalpha()]
            result["shouting"] = bool(letters) and all(c.isupper() for c in letters)


def _named(name: str, requires: tuple[str, ...] = ()) -> Any:
    return type(name, (Shout,), {"name": name, "requires": requires})


def test_builtins_are_registered_through_the_registry() -> None:
    names = default_registry().names()
    assert set(BUILTINS) <= set(names)
    order = [spec.name for spec in default_registry().ordered()]
    assert order.index("language") < order.index("sentiment") < order.index("aspects")
    assert order.index("sentiment") < order.index("urgency")


def test_dependencies_order_and_errors() -> None:
    registry = Registry()
    registry.register(_named("c", ("b",)))
    registry.register(_named("b", ("a",)))
    registry.register(_named("a"))
    assert [s.name for s in registry.ordered()] == ["a", "b", "c"]
    assert [s.name for s in registry.ordered(["b"])] == ["a", "b"]
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(_named("a"))
    registry.register(_named("x", ("nowhere",)))
    with pytest.raises(RegistryError, match="'x' requires 'nowhere'"):
        registry.ordered(["x"])
    loop = Registry()
    loop.register(_named("p", ("q",)))
    loop.register(_named("q", ("p",)))
    with pytest.raises(RegistryError, match="cycle: p -> q -> p"):
        loop.ordered()
    with pytest.raises(RegistryError, match="no enricher named 'zzz'"):
        registry.ordered(["zzz"])


def test_a_third_party_enricher_registered_and_run() -> None:
    registry = Registry()
    registry.register(Shout)
    analyzer = Analyzer(Settings(), registry=registry)
    rows = analyzer.analyze([{"id": "a", "text": "WHERE IS MY BAG"}, {"id": "b", "text": "Fine, thanks."}])
    assert [(r["id"], r["shouting"]) for r in rows] == [("a", True), ("b", False)]
    assert rows[0]["sentiment"] is None
    assert rows[0]["topics"] == []


def test_a_plugin_installed_under_the_entry_point_group_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "voxpop_shout_plugin.py").write_text(
        textwrap.dedent(
            """
            class Exclaim:
                name = "exclaim"
                requires = ()
                scope = "item"
                needs_embeddings = False

                def __init__(self, context):
                    pass

                def enrich(self, batch):
                    for result, text in zip(batch.results, batch.texts):
                        result["exclamations"] = text.count("!")
            """
        )
    )
    dist = tmp_path / "voxpop_shout_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: voxpop-shout-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[voxpop.enrichers]\nexclaim = voxpop_shout_plugin:Exclaim\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert registry.load_entry_points() == ["exclaim"]
    rows = Analyzer(Settings(), registry=registry).analyze([Record(1, "Wow!! Great!")])
    assert rows[0]["exclamations"] == 3
    sys.modules.pop("voxpop_shout_plugin", None)


def test_a_broken_plugin_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "voxpop_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: voxpop-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[voxpop.enrichers]\nbroken = no_such_module_here:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Registry().load_entry_points() == []


def test_records_from_loose_mappings() -> None:
    record = Record.from_mapping(
        {"id": 7, "text": None, "rating": "0.5", "created_at": "2026-01-02T03:04:05Z", "likes": "12", "author": " "}
    )
    assert record.text == ""
    assert record.rating == 0.5
    assert record.created_at is not None
    assert record.created_at.tzinfo is not None
    assert record.likes == 12
    assert record.author is None
