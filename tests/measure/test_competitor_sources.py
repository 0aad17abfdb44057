"""A competitor's items count only in the competitor benchmark, never in our own metrics; spam counts
nowhere. A source is marked as a competitor's from the CLI (at import or later) or the competitors page,
and the roll-ups follow at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from tests.measure.insight_store import make_source, store_rows
from tests.web.conftest import World, app_client, csrf_of, login, world  # noqa: F401
from voxpop.cli import app
from voxpop.errors import PermissionDeniedError
from voxpop.measure.competitors import OWN, benchmark, competitor_benchmark, set_competitor
from voxpop.measure.observations import Mention, Observation, load_observations
from voxpop.measure.rollups import ensure_fresh
from voxpop.measure.series import Slice, summary
from voxpop.store import Store
from voxpop.store.models import Item, Source, User
from voxpop.store.models.measure import DailyCell

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PERIOD = Slice(DAY - timedelta(days=3), DAY + timedelta(days=3))


def _rows(count: int, *, rating: float, sentiment: str, start: int = 0) -> list[Observation]:
    return [
        Observation(id=start + i, created_at=NOON, rating=rating, sentiment=sentiment, channel="google")
        for i in range(count)
    ]


@pytest.fixture
def two_brands(store: Store) -> tuple[int, int]:
    ours = make_source(store, "Our Google reviews")
    theirs = make_source(store, "Rival's Google reviews")
    store_rows(store, _rows(12, rating=1.0, sentiment="positive"), ours)
    store_rows(store, _rows(8, rating=0.0, sentiment="negative", start=100), theirs)
    return ours, theirs


def _volume_and_stars(store: Store) -> tuple[int, float | None]:
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        metrics = summary(s, None, PERIOD, min_n=1)
    return metrics.volume, metrics.rating.value if metrics.rating else None


def test_marking_a_competitor_takes_its_items_out_of_our_metrics(store: Store, two_brands: tuple[int, int]) -> None:
    _, theirs = two_brands
    assert _volume_and_stars(store)[0] == 20  # before: one brand of 20 items
    with store.write() as s:
        set_competitor(s, None, theirs, "Rival")
    volume, stars = _volume_and_stars(store)
    assert volume == 12
    assert stars == pytest.approx(1.0)  # only our five-star reviews
    with store.read() as s:
        found = competitor_benchmark(s, None)
        per_source = summary(s, None, Slice(PERIOD.date_from, PERIOD.date_to, dimension="source", value=str(theirs)))
    assert [(b.name, b.items) for b in found.brands] == [(OWN, 12), ("Rival", 8)]
    assert per_source.volume == 8  # the benchmark still reads the competitor's source cells
    with store.write() as s:
        set_competitor(s, None, theirs, None)  # ours again
    assert _volume_and_stars(store)[0] == 20


def test_spam_counts_nowhere(store: Store, two_brands: tuple[int, int]) -> None:
    ours, _ = two_brands
    with store.write() as s:
        first = s.scalars(select(Item.id).where(Item.source_id == ours).order_by(Item.id).limit(2)).all()
        s.execute(update(Item).where(Item.id.in_(first)).values(status="spam"))
    assert _volume_and_stars(store)[0] == 18


def test_only_managers_and_admins_mark_competitors(store: Store, two_brands: tuple[int, int]) -> None:
    with store.write() as s:
        agent = User(email="a@example.com", name="A", role="agent", password_hash="x")
        s.add(agent)
        s.flush()
        with pytest.raises(PermissionDeniedError):
            set_competitor(s, agent, two_brands[1], "Rival")


def test_cli_marks_a_source_at_import_and_later(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPOP_DATABASE_URL", store.settings.database_url)
    monkeypatch.setenv("VOXPOP_HOME", str(store.settings.home))
    theirs = tmp_path / "rival.csv"
    theirs.write_text("id,text,rating,date\nr1,Cold food,1,2026-03-02\nr2,Rude staff,2,2026-03-02\n")
    ours = tmp_path / "ours.csv"
    ours.write_text("id,text,rating,date\no1,Lovely,5,2026-03-02\n")
    runner = CliRunner()
    result = runner.invoke(
        app, ["ingest", str(theirs), "--source", "Rival reviews", "--competitor", "Rival", "--no-analyze"]
    )
    assert result.exit_code == 0, result.output
    assert "Rival's" in result.output
    assert runner.invoke(app, ["ingest", str(ours), "--source", "Ours", "--no-analyze"]).exit_code == 0
    assert _volume_and_stars(store)[0] == 1
    result = runner.invoke(app, ["sources", "competitor", "Rival reviews", "--ours"])
    assert result.exit_code == 0, result.output
    assert _volume_and_stars(store)[0] == 3
    result = runner.invoke(app, ["sources", "competitor", "Ours", "--brand", "Not us"])
    assert result.exit_code == 0, result.output
    with store.read() as s:
        marked = s.scalars(select(Source).where(Source.is_competitor.is_(True))).all()
    assert [(m.name, m.competitor) for m in marked] == [("Ours", "Not us")]
    missing = runner.invoke(app, ["sources", "competitor", "No such source"])
    assert missing.exit_code != 0
    assert "no source named" in missing.output


def test_the_competitors_page_marks_a_source(
    app_client: TestClient,  # noqa: F811
    store: Store,
    world: World,  # noqa: F811
) -> None:
    store_rows(store, _rows(3, rating=0.0, sentiment="negative"), world.tweets)
    login(app_client, "agent@example.com")
    page = app_client.get("/competitors")
    assert "Mark as a competitor" not in page.text  # agents cannot
    refused = app_client.post(
        "/competitors/sources", data={"csrf_token": csrf_of(page.text), "source_id": world.tweets, "brand": "X"}
    )
    assert refused.status_code == 403
    app_client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    login(app_client, "manager@example.com")
    page = app_client.get("/competitors")
    assert "Mark as a competitor" in page.text
    no_token = app_client.post("/competitors/sources", data={"source_id": world.tweets, "brand": "Rival <b>"})
    assert no_token.status_code == 403
    done = app_client.post(
        "/competitors/sources",
        data={"csrf_token": csrf_of(page.text), "source_id": world.tweets, "brand": "Rival <b>"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    html = app_client.get("/competitors").text
    assert "Rival &lt;b&gt;" in html
    assert "Rival <b>" not in html
    with store.read() as s:
        source = s.get(Source, world.tweets)
        assert source is not None
        assert (source.is_competitor, source.competitor) == (True, "Rival <b>")


def test_marking_and_unmarking_moves_the_aspect_rows(store: Store) -> None:
    ours = make_source(store, "Our Google reviews")
    theirs = make_source(store, "Rival's Google reviews")
    staff, food = Mention("staff", "positive"), Mention("food", "negative")
    mine = [replace(r, mentions=(staff,)) for r in _rows(6, rating=1.0, sentiment="positive")]
    rival = [
        replace(r, created_at=NOON + timedelta(days=i % 3), mentions=(food, staff, food) if i % 2 else (staff,))
        for i, r in enumerate(_rows(5, rating=0.0, sentiment="negative", start=100))
    ]
    store_rows(store, mine, ours)
    store_rows(store, rival, theirs)

    def aspects() -> dict[str, dict[str, tuple[int, int]]]:
        ensure_fresh(store, max_days=None)
        with store.read() as s:
            found = competitor_benchmark(s, None)
            assert found == benchmark(load_observations(s, None, competitors=True))  # cells == items
        return {b.name: {a: (side.mentions, side.negative) for a, side in b.aspects.items()} for b in found.brands}

    assert aspects() == {OWN: {"staff": (11, 0), "food": (2, 2)}}
    with store.write() as s:
        set_competitor(s, None, theirs, "Rival")
    assert aspects() == {OWN: {"staff": (6, 0)}, "Rival": {"staff": (5, 0), "food": (2, 2)}}
    with store.write() as s:
        set_competitor(s, None, theirs, None)
    assert aspects() == {OWN: {"staff": (11, 0), "food": (2, 2)}}
    with store.read() as s:
        left = s.scalar(select(func.count()).select_from(DailyCell).where(DailyCell.dimension.like("%aspect_source")))
    assert left == 0  # ours again: no cells of a competitor's aspects are left behind
