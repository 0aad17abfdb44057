"""``voxpop sources``: add (credentials prompted/sealed, never printed), list with health, poll, health log."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.ingest.live_support import FIXTURES
from tests.servers import HttpSink, Response
from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret())
    monkeypatch.setenv("VOXPOP_ALLOW_PRIVATE_URLS", "true")
    return CliRunner()


def test_sources_cli_round_trip(cli: CliRunner, store: Store, http_server: HttpSink) -> None:
    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    added = cli.invoke(app, ["sources", "add", "Blog", "--kind", "rss", "--set", f"url={http_server.url}/feed.xml"])
    assert added.exit_code == 0, added.output
    polled = cli.invoke(app, ["sources", "poll", "Blog"])
    assert polled.exit_code == 0, polled.output
    assert "2 new" in polled.output
    http_server.routes[("GET", "/feed.xml")] = Response(503, b"maintenance", {"Retry-After": "60"})
    failed = cli.invoke(app, ["sources", "poll", "Blog"])
    assert failed.exit_code == 1
    assert "HTTP 503" in failed.output
    listed = cli.invoke(app, ["sources", "list"], terminal_width=250)
    assert listed.exit_code == 0
    assert "UNHEALTHY" in listed.output
    log = cli.invoke(app, ["sources", "health", "Blog"], terminal_width=250)
    assert "FAILED" in log.output
    assert "ok" in log.output

    secret = "rt-very-secret-value-9Z9Z"
    gbp = cli.invoke(
        app,
        [
            "sources",
            "add",
            "Google",
            "--kind",
            "google_business_api",
            "--set",
            "account_id=1",
            "--set",
            "location_id=2",
        ],
        input=f"cid\ncsecret-long-value\n{secret}\n",
    )
    assert gbp.exit_code == 0, gbp.output
    listed = cli.invoke(app, ["sources", "list"], terminal_width=250)
    assert "••••9Z9Z" in listed.output
    assert secret not in listed.output
    assert secret not in gbp.output
    kinds = cli.invoke(app, ["sources", "kinds"], terminal_width=250)
    assert kinds.exit_code == 0
    assert "rss" in kinds.output


def test_bad_kind_is_a_clear_error(cli: CliRunner, store: Store) -> None:
    result = cli.invoke(app, ["sources", "add", "X", "--kind", "yelp_scraper"])
    assert result.exit_code == 1
    assert "not a live source kind" in result.output


def test_key_file_secret(cli: CliRunner, store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from voxpop.ingest.live.credentials import unseal
    from voxpop.store.models.sources import SourceState

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    key_file = tmp_path / "AuthKey_KEY123.p8"
    key_file.write_text(pem)
    args = ["sources", "add", "ASC", "--kind", "app_store_connect_api", "--set", "app_id=1", "--set", "key_id=K"]
    result = cli.invoke(app, [*args, "--set", "issuer_id=I", "--secret", f"private_key=@{key_file}"])
    assert result.exit_code == 0, result.output
    with store.read() as session:
        state = session.query(SourceState).one()
        assert unseal(store.settings, state.credentials)["private_key"] == pem.strip()
