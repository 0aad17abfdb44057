"""Stored items are analysed through the executor, and ``voxpop reanalyze`` picks up what is pending."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from voxpop.cli import app
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.workers.analysis import catch_up, pending_ids
from voxpop.workers.executor import get_executor

TEXTS = [
    "The delivery was two hours late and the food arrived cold. Never again.",
    "Lovely staff, great coffee, we will definitely come back!",
    "Do you have gluten-free options?",
]


@pytest.fixture
def analysed_store(settings: Settings, models_home: Path) -> Store:
    settings.model_dir = models_home / "models"
    return Store(settings)


def _add(store: Store, texts: list[str]) -> list[int]:
    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        return write_batch(session, source, [ItemRecord(text=t) for t in texts]).added_ids


def test_executor_analyses_new_items(analysed_store: Store) -> None:
    ids = _add(analysed_store, TEXTS)
    get_executor(analysed_store).submit("analyze", ids)
    with analysed_store.read() as session:
        items = {i.text: i for i in session.scalars(select(Item))}
    late, happy, question = (items[t] for t in TEXTS)
    assert late.sentiment == "negative"
    assert late.sentiment_score is not None
    assert late.sentiment_score < 0
    assert happy.sentiment == "positive"
    assert question.is_question is True
    assert all(i.analyzed_at is not None and i.language == "en" for i in items.values())
    assert late.urgency is not None
    assert happy.urgency is not None
    assert late.urgency > happy.urgency
    assert pending_ids(analysed_store) == []
    analysed_store.dispose()


def test_unknown_task_is_a_clear_error(analysed_store: Store) -> None:
    with pytest.raises(LookupError, match="no task named 'nope'"):
        get_executor(analysed_store).submit("nope", [1])
    analysed_store.dispose()


def test_reanalyze_command_finishes_pending_items(
    analysed_store: Store, monkeypatch: pytest.MonkeyPatch, models_home: Path
) -> None:
    settings = analysed_store.settings
    _add(analysed_store, TEXTS)
    assert len(pending_ids(analysed_store)) == 3
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_MODEL_DIR", str(models_home / "models"))
    result = CliRunner().invoke(app, ["reanalyze"])
    assert result.exit_code == 0, result.output
    assert "analysed 3 items" in result.output
    assert pending_ids(analysed_store) == []
    again = CliRunner().invoke(app, ["reanalyze"])
    assert "nothing to analyse" in again.output
    with analysed_store.read() as session:
        assert session.scalar(select(func.count()).where(Item.analyzed_at.is_not(None))) == 3
    analysed_store.dispose()


def test_ingest_analyses_new_items(
    analysed_store: Store, monkeypatch: pytest.MonkeyPatch, models_home: Path, tmp_path: Path
) -> None:
    settings = analysed_store.settings
    csv = tmp_path / "reviews.csv"
    csv.write_text("id,review\n1,Terrible service and a rude manager.\n2,Best croissants in town!\n")
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_MODEL_DIR", str(models_home / "models"))
    result = CliRunner().invoke(app, ["ingest", str(csv), "--source", "shop", "--analyze"])
    assert result.exit_code == 0, result.output
    assert "analysed 2 items" in result.output
    with analysed_store.read() as session:
        sentiments = {i.external_id: i.sentiment for i in session.scalars(select(Item))}
    assert sentiments == {"1": "negative", "2": "positive"}
    again = CliRunner().invoke(app, ["ingest", str(csv), "--source", "shop", "--analyze"])
    assert "analysed" not in again.output  # nothing new, nothing to analyse
    analysed_store.dispose()


def test_a_changed_taxonomy_makes_items_stale_and_catch_up_reanalyses_them(
    analysed_store: Store, tmp_path: Path
) -> None:
    ids = _add(analysed_store, TEXTS)
    assert catch_up(analysed_store) == 3  # pending
    assert pending_ids(analysed_store, stale=True) == []
    with analysed_store.read() as session:
        used = {(i.analysis or {}).get("taxonomy") for i in session.scalars(select(Item))}
    assert len(used) == 1
    assert next(iter(used)).startswith("general:")

    # Another taxonomy: everything analysed under the old one is stale.
    analysed_store.settings.taxonomy = "restaurant"
    assert sorted(pending_ids(analysed_store, stale=True)) == sorted(ids)
    assert pending_ids(analysed_store) == []  # not pending: analysed, only stale
    assert catch_up(analysed_store) == 3
    assert pending_ids(analysed_store, stale=True) == []

    # The same file edited is another taxonomy too.
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "name: mine\naspects:\n  - name: delivery\n    description: Orders arriving late or cold\n"
        "    department: Delivery\n    examples: [the delivery was late, my order arrived cold]\n"
    )
    analysed_store.settings.taxonomy = str(mine)
    assert catch_up(analysed_store) == 3
    mine.write_text(mine.read_text() + "  - name: staff\n    description: How staff treated the customer\n")
    assert len(pending_ids(analysed_store, stale=True)) == 3
    assert catch_up(analysed_store) == 3
    with analysed_store.read() as session:
        late = session.scalar(select(Item).where(Item.text == TEXTS[0]))
    assert late is not None
    assert any(a["name"] == "delivery" for a in late.aspects or [])
    analysed_store.dispose()


def test_the_taxonomy_setting_is_the_default(models_home: Path) -> None:
    from voxpop.analyze.pipeline import Analyzer

    settings = Settings(home=models_home, taxonomy="hotel")
    assert Analyzer(settings).context.taxonomy.name == Analyzer(settings, "hotel").context.taxonomy.name
    assert Analyzer(settings).context.taxonomy.name != Analyzer(settings, "restaurant").context.taxonomy.name
