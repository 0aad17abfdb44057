"""Backup → wipe → restore returns an identical store (row counts and checksums), on both backends,
through the real commands; bad backup files are refused before anything is touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from tests.conftest import SECRET
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.backup import backup, fingerprint, restore
from voxpop.store.models import Item, Source


def _fill(store: Store) -> None:
    with store.write() as session:
        department = create_department(session, name="Billing")
        create_user(session, email="ana@example.com", password="correct horse battery", department_ids=[department.id])
        source = get_or_create_source(session, "google", kind="file", channel="google")
        records = [
            ItemRecord(text=f"Review {i}: the refund took {i} days — naïve café ☕", rating=i % 5 + 1, rating_max=5)
            for i in range(120)
        ]
        write_batch(session, source, records)


def _wipe(store: Store) -> None:
    with store.write() as session:
        session.execute(delete(Item))
        session.execute(delete(Source))


def test_backup_wipe_restore_gives_back_the_same_store(store: Store, tmp_path: Path) -> None:
    _fill(store)
    before = fingerprint(store)
    assert before["items"][0] == 120
    path = backup(store, tmp_path / "backups" / "snapshot")
    assert path.stat().st_size > 0
    _wipe(store)
    assert fingerprint(store)["items"] == (0, fingerprint(store)["items"][1])
    restore(store, path)
    assert fingerprint(store) == before
    # The restored store is live: full-text search and writes work.
    with store.write() as session:
        source = session.scalar(select(Source))
        assert source is not None
        write_batch(session, source, [ItemRecord(text="After the restore")])
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 121


def test_a_backup_never_overwrites_and_bad_files_are_refused(store: Store, tmp_path: Path) -> None:
    _fill(store)
    path = backup(store, tmp_path / "one")
    with pytest.raises(ValidationError, match="already exists"):
        backup(store, path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"PK\x03\x04 not a backup at all")
    with pytest.raises(ValidationError, match="not a"):
        restore(store, junk)
    with pytest.raises(ValidationError, match="no such backup"):
        restore(store, tmp_path / "missing")
    assert fingerprint(store)["items"][0] == 120  # nothing was touched


def test_a_damaged_sqlite_backup_is_refused(store: Store, tmp_path: Path) -> None:
    if store.dialect != "sqlite":
        return
    _fill(store)
    path = backup(store, tmp_path / "snap")
    data = bytearray(path.read_bytes())
    data[4096 : 4096 + 2048] = b"\xff" * 2048  # smash a page after the header
    path.write_bytes(bytes(data))
    with pytest.raises(ValidationError):
        restore(store, path)
    assert fingerprint(store)["items"][0] == 120


def test_the_commands_round_trip(store: Store, tmp_path: Path) -> None:
    _fill(store)
    before = fingerprint(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_") or k.startswith("VOXPOP_TEST_")}
    env.update(
        VOXPOP_HOME=str(store.settings.home), VOXPOP_DATABASE_URL=store.settings.database_url, VOXPOP_SECRET_KEY=SECRET
    )
    target = tmp_path / "cli-backup"
    done = subprocess.run(
        [sys.executable, "-m", "voxpop", "backup", str(target)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "backup written" in done.stdout
    _wipe(store)
    refused = subprocess.run(
        [sys.executable, "-m", "voxpop", "restore", str(target)], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2  # --yes is required
    store.dispose()
    command = [sys.executable, "-m", "voxpop", "restore", str(target), "--yes"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = fingerprint(store)
    # identical, but for the restore's own event, which the command records in the restored store's audit
    # log once it is back (tests/security/test_audit_log.py checks the event itself)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {t: v for t, v in before.items() if t != "audit_log"}
    assert after["audit_log"][0] == before["audit_log"][0] + 1
