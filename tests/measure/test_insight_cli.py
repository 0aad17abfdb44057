"""The insight commands through the real CLI over a real store."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from tests.measure.hotels import LONG_BEACH, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store


def _env(settings: Settings) -> dict[str, str]:
    return {
        "VOXPOP_DATABASE_URL": settings.database_url,
        "VOXPOP_HOME": str(settings.home),
        "VOXPOP_SECRET_KEY": settings.secret_key.get_secret_value(),
    }


def test_trends_events_and_business_commands(
    store: Store, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    reviews = read_reviews(shared_data)
    rows = inject(
        dated_series(reviews, date(2015, 9, 1), date(2016, 6, 30)),
        complaints(reviews, "cleanliness"),
        hotel=LONG_BEACH,
        start=date(2016, 2, 1),
        days=29,
        count=25,
        rng=random.Random(1),
    )
    store_rows(store, rows, make_source(store))
    runner = CliRunner()
    env = _env(settings)
    out = runner.invoke(app, ["trends", "--from", "2015-09-01", "--to", "2016-06-30", "--no-segments"], env=env)
    assert out.exit_code == 0, out.output
    assert "2016-02-0" in out.output
    assert "aspect cleanliness" in out.output
    bad = runner.invoke(app, ["trends", "--metric", "mood"], env=env)
    assert bad.exit_code == 1
    assert "unknown metric" in " ".join(bad.output.split())
    added = runner.invoke(app, ["events", "add", "New cleaners", "--starts", "2016-02-01", "--kind", "policy"], env=env)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["events", "list", "--reaction"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "New cleaners" in listed.output
    assert "share negative" in listed.output
    wrong = runner.invoke(app, ["events", "add", "X", "--starts", "2016-02-30"], env=env)
    assert wrong.exit_code == 1
    assert "--starts" in " ".join(wrong.output.split())
    csv = tmp_path / "metrics.csv"
    csv.write_text("period,churn\n2016-01,0.05\n2016-02,x\n", encoding="utf-8")
    failed = runner.invoke(app, ["business", "import", str(csv)], env=env)
    assert failed.exit_code == 1
    assert "row 3, field 'churn': 'x': not a number" in " ".join(failed.output.split())
    csv.write_text("period,churn\n2016-01,0.05\n2016-02,0.08\n", encoding="utf-8")
    done = runner.invoke(app, ["business", "import", str(csv)], env=env)
    assert done.exit_code == 0, done.output
    assert "imported 2 values" in done.output


def test_personas_refresh_and_show_commands(store: Store, settings: Settings, shared_data: Path) -> None:
    from dataclasses import replace

    rows = dated_series(read_reviews(shared_data), date(2015, 9, 1), date(2016, 6, 30))
    store_rows(store, [replace(r, author=f"guest{r.id % 50}") for r in rows[:800]], make_source(store))
    runner = CliRunner()
    env = _env(settings)
    before = runner.invoke(app, ["personas", "show"], env=env)
    assert before.exit_code == 0, before.output
    assert "not computed yet" in before.output
    first = runner.invoke(app, ["personas", "refresh"], env=env)
    assert first.exit_code == 0, first.output
    assert "refitted all: 50 customers and authors" in " ".join(first.output.split())
    again = runner.invoke(app, ["personas", "refresh"], env=env)
    assert "unchanged all" in again.output
    forced = runner.invoke(app, ["personas", "refresh", "--force"], env=env)
    assert "refitted all" in forced.output
    shown = runner.invoke(app, ["personas", "show"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "50 customers and authors" in " ".join(shown.output.split())
    assert "persona" in shown.output
