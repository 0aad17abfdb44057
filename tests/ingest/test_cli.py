"""``voxpop ingest`` end to end, including the acceptance imports of the shared datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source

from .helpers import count_items, runs, write_csv

TWEETS_MAP = "id=tweet_id,text=text,created_at=tweet_created,author=name"
HOTELS_MAP = (
    "text=reviews.text,title=reviews.title,created_at=reviews.date,rating=reviews.rating,"
    "location=city,product=name,author=reviews.username"
)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Runs the real command against the test's database (SQLite or PostgreSQL)."""
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret())
    return CliRunner()


def test_tweets_acceptance(cli: CliRunner, store: Store, shared_data: Path) -> None:
    tweets = shared_data / "twitter_airline_sentiment" / "Tweets.csv"
    args = ["ingest", str(tweets), "--source", "twitter", "--map", TWEETS_MAP]
    first = cli.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "read 14,640, added 14,485, already present 155, rejected 0" in first.output
    assert count_items(store) == 14_485
    with store.read() as session:
        distinct = session.scalar(select(func.count(func.distinct(Item.external_id))))
        assert distinct == 14_485
        newest = session.scalar(select(func.max(Item.created_at)))
        assert newest is not None
        assert newest.isoformat() == "2015-02-24T19:53:37+00:00"  # 11:53:37 -0800
    again = cli.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "added 0, already present 14,640" in again.output
    assert count_items(store) == 14_485
    assert [r.status for r in runs(store)] == ["done", "done"]


def test_datafiniti_hotels_acceptance(cli: CliRunner, store: Store, shared_data: Path, tmp_path: Path) -> None:
    hotels = shared_data / "datafiniti_hotel_reviews_sample" / "datafiniti_hotel_reviews_7282_1_first1427.csv"
    rejects = tmp_path / "rejects.csv"
    args = ["ingest", str(hotels), "--source", "datafiniti", "--channel", "tripadvisor", "--map", HOTELS_MAP]
    result = cli.invoke(app, [*args, "--rating-scale", "1-5", "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    # The 10 rows rated 0 on a 1–5 scale are the source's placeholders ("write a review"): rejected, named.
    assert "read 1,427, added 1,416, already present 1, rejected 10" in result.output
    assert "field 'reviews.rating': 0 is outside the scale 1–5" in result.output
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == 11
    with store.read() as session:
        located = session.scalar(select(func.count()).select_from(Item).where(Item.location.is_not(None)))
        assert located == 1416
        rated = session.scalars(select(Item.rating).where(Item.rating.is_not(None))).all()
        assert len(rated) == 1412  # 4 rows have no rating
        assert all(0.0 <= r <= 1.0 for r in rated)
        assert session.scalar(select(Source.channel).where(Source.name == "datafiniti")) == "tripadvisor"
    again = cli.invoke(app, args)
    assert "added 0" in again.output


def test_file_level_errors_exit_1_with_a_clear_line(cli: CliRunner, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    result = cli.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert f"error:{path}:isempty" in "".join(result.output.split())  # however the console wraps it
    bad_map = cli.invoke(app, ["ingest", str(path), "--map", "txt=body"])
    assert bad_map.exit_code == 1
    assert "unknown field 'txt'" in bad_map.output
    bad_scale = cli.invoke(app, ["ingest", str(path), "--rating-scale", "five"])
    assert "LOW-HIGH" in bad_scale.output
    assert count_items(store) == 0


def test_encoding_and_kind_options(cli: CliRunner, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes("content;author\nCafé froid;Zoé\n".encode("cp1252"))
    result = cli.invoke(app, ["ingest", str(path), "--encoding", "cp1252", "--kind", "note", "--channel", "staff"])
    assert result.exit_code == 0, result.output
    with store.read() as session:
        item = session.scalars(select(Item)).one()
        assert (item.text, item.author_name, item.kind, item.channel) == ("Café froid", "Zoé", "note", "staff")


def test_timezone_option_places_times_written_without_an_offset(cli: CliRunner, store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "till.csv",
        ["id", "text", "date"],
        [
            ["a", "Cold coffee", "2024-07-01 09:30:00"],  # Madrid in summer: UTC+2
            ["b", "Warm welcome", "2024-01-15 18:00:00"],  # in winter: UTC+1
            ["c", "Slow queue", "2024-07-01 09:30:00+00:00"],  # an offset of its own wins
        ],
    )
    result = cli.invoke(app, ["ingest", str(path), "--timezone", "Europe/Madrid", "--no-analyze"])
    assert result.exit_code == 0, result.output
    freshdesk = Path(__file__).parent / "fixtures" / "freshdesk_csv" / "freshdesk_tickets.csv"
    result = cli.invoke(app, ["ingest", str(freshdesk), "--timezone", "America/New_York", "--no-analyze"])
    assert result.exit_code == 0, result.output
    with store.read() as session:
        times = {i.external_id: i.created_at.replace(tzinfo=None).isoformat() for i in session.scalars(select(Item))}
    assert (times["a"], times["b"], times["c"]) == ("2024-07-01T07:30:00", "2024-01-15T17:00:00", "2024-07-01T09:30:00")
    assert times["1032"] == "2024-04-08T11:45:10"  # 07:45:10 in New York (EDT, UTC-4)

    bad = cli.invoke(app, ["ingest", str(path), "--timezone", "Mars/Olympus"])
    assert bad.exit_code == 1
    assert "--timezone" in bad.output
    assert "Mars/Olympus" in bad.output


def test_help_documents_the_mapping(cli: CliRunner) -> None:
    result = cli.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "FIELD=COLUMN" in text
    assert "created_at" in text
    assert "--rejects" in text


def test_rejects_option_writes_every_rejected_row(cli: CliRunner, store: Store, tmp_path: Path) -> None:
    rows = [[str(i), "" if i % 2 else f"text {i}"] for i in range(30)]
    path = write_csv(tmp_path / "half.csv", ["id", "text"], rows)
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    result = cli.invoke(app, ["ingest", str(path), "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "rejected 15" in result.output
    assert "… and 5 more" in result.output
    assert len(rejects.read_text().splitlines()) == 16
