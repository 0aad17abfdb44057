"""A rating without text is stored as what it is — empty text and the rating — never as invented text,
and every part that reads items copes: analysis, the inbox (page and API), search and the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web import conftest as web
from tests.web.conftest import World, login
from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.service import ImportOptions, import_file
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.models import Item

world = web.world  # the web tests' departments, users and sources
app_client = web.app_client
FIXTURE = Path(__file__).parent / "fixtures" / "trustpilot_csv" / "trustpilot_reviews_2024-06.csv"


def test_a_rating_without_text_is_stored_analysed_listed_searched_and_counted(
    store: Store, world: World, app_client: TestClient, models_home: Path
) -> None:
    summary = import_file(store, FIXTURE, ImportOptions(source="Trustpilot"))
    assert (summary.format, summary.added, summary.rejected) == ("trustpilot_csv", 2, 0)
    with store.read() as session:
        silent = session.scalars(select(Item).where(Item.external_id == "665fb1c2aa03de11f0b2c002")).one()
        spoken = session.scalars(select(Item).where(Item.external_id == "665d8a3c1f0e2b7d94c1a001")).one()
    assert (silent.text, silent.title, silent.rating_raw, silent.rating) == ("", None, 5, 1.0)

    analyzer = Analyzer(store.settings.model_copy(update={"model_dir": models_home / "models"}), "general")
    assert analyze_items(store, [silent.id, spoken.id], analyzer) == 2
    with store.read() as session:
        analysed = session.get(Item, silent.id)
        assert analysed is not None
        assert analysed.text == ""  # analysis adds nothing to the text
        assert not analysed.aspects  # nothing was said, so no aspect was heard

    login(app_client, "admin@example.com")
    inbox = app_client.get("/inbox")
    assert inbox.status_code == 200, inbox.text
    assert f'href="/items/{silent.id}"' in inbox.text
    page = app_client.get(f"/items/{silent.id}")
    assert page.status_code == 200, page.text
    listed = app_client.get("/api/v1/items?limit=50").json()
    by_id = {row["id"]: row for row in listed["items"]}
    assert by_id[silent.id]["text"] == ""
    found = app_client.get("/api/v1/items", params={"q": "mug pieces"}).json()
    assert [row["id"] for row in found["items"]] == [spoken.id]  # the empty text matches no search
    dashboard = app_client.get("/dashboard?date_from=2024-06-01&date_to=2024-06-30")
    assert dashboard.status_code == 200, dashboard.text
    volume = re.search(r'data-kpi="volume">.*?<span class="kpi-value[^"]*">([^<]*)</span>', dashboard.text, re.S)
    assert volume is not None
    assert volume.group(1).strip() == "2"


def test_text_may_be_empty_only_when_a_rating_says_something(store: Store) -> None:
    with store.write() as session:
        source = get_or_create_source(session, "api", kind="api")
        with pytest.raises(ValidationError, match="text"):
            write_batch(session, source, [ItemRecord(text="  ", external_id="x1")])
