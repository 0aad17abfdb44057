"""Source credentials are sealed with a key derived from the settings' secret, never stored or shown in
the clear, and unreadable under another secret."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from voxpop.ingest.live.credentials import CredentialsError, hint, mask, seal, unseal
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.store.models.sources import SourceState

SECRET_VALUE = "rt-1//0gAbCdEfGhIjKlMnOpQrStUvWxYz-9876"


def test_seal_round_trip_and_no_clear_text(tmp_path) -> None:
    settings = Settings(home=tmp_path, secret_key="a-secret-key-of-enough-length")
    token = seal(settings, {"refresh_token": SECRET_VALUE, "client_id": "abc"})
    assert SECRET_VALUE not in token
    assert "abc" not in token
    assert unseal(settings, token) == {"refresh_token": SECRET_VALUE, "client_id": "abc"}
    assert unseal(settings, None) == {}


def test_another_secret_cannot_read(tmp_path) -> None:
    one = Settings(home=tmp_path, secret_key="a-secret-key-of-enough-length")
    other = Settings(home=tmp_path, secret_key="another-secret-key-entirely!!")
    token = seal(one, {"password": "hunter2hunter2"})
    with pytest.raises(CredentialsError, match="secret key changed"):
        unseal(other, token)
    with pytest.raises(CredentialsError):
        unseal(one, token[:-5] + "AAAAA")


def test_mask_shows_only_last_four() -> None:
    assert mask(SECRET_VALUE) == "••••9876"
    assert mask("short") == "••••"
    assert mask("") == ""
    shown = hint({"refresh_token": SECRET_VALUE, "client_id": "123456789012.apps", "empty": ""})
    assert shown == "client_id ••••apps, refresh_token ••••9876"
    assert SECRET_VALUE[:-4] not in shown


def test_stored_sealed_in_the_database(store: Store, settings: Settings) -> None:
    with store.write() as session:
        source = Source(name="gbp", kind="google_business_api", channel="google", config={})
        session.add(source)
        session.flush()
        session.add(SourceState(source_id=source.id, credentials=seal(settings, {"refresh_token": SECRET_VALUE})))
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT credentials FROM source_state")).scalar_one()
    assert SECRET_VALUE not in raw
    with store.read() as session:
        state = session.scalars(select(SourceState)).one()
        assert unseal(settings, state.credentials)["refresh_token"] == SECRET_VALUE
