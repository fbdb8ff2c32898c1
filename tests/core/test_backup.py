"""`kehu backup` / `kehu restore`: a demo database round-trips with identical row counts and
checksums in every table (SQLite's online backup, or pg_dump / pg_restore when the suite runs
on PostgreSQL); a restore refuses to overwrite data without --yes; a missing, foreign or
damaged file is a clear error that touches nothing."""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from kehu.core import backup

# the backup tools read committed data through their own connections (pg_dump is another
# process): the demo must be committed, not inside the test's transaction
committed = pytest.mark.django_db(transaction=True)

# the big tables of a demo database: a round trip that left any of them empty proves nothing
BUSY_TABLES = [
    "customers_customer",
    "customers_contact",
    "followups_interaction",
    "followups_followup",
    "pipeline_deal",
    "sales_order",
    "sales_orderline",
    "core_auditevent",
]


@pytest.fixture(autouse=True)
def _english():
    """The messages below are matched in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


def _run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def _demo():
    _run("demo", customers=20, interactions=2.0, seed=7)


@committed
def test_a_demo_database_round_trips_with_identical_counts_and_checksums(
    scratch, settings, tmp_path
):
    _demo()
    settings.VAR_DIR = tmp_path / "var"
    live = backup.target_checksums(connection.settings_dict)
    for table in BUSY_TABLES:
        assert live[table]["rows"] > 0, table

    out = _run("backup")  # the default place: var/backups/kehu-<timestamp>.<ext>
    [path] = [p for p in (tmp_path / "var" / "backups").iterdir() if p.suffix != ".json"]
    assert path.suffix == (".sqlite3" if connection.vendor == "sqlite" else ".dump")
    assert str(path) in out
    manifest = json.loads(backup.manifest_path(path).read_text())
    assert manifest["tables"] == live  # every table: the same count and checksum
    assert manifest["sha256"] == backup.file_sha256(path)
    assert "intact" in _run("backup", str(path), verify=True)

    # into a fresh database: empty, so no --yes needed
    target = scratch.make("restored")
    out = _run("restore", str(path), database="restored")
    assert f"{len(live)} tables" in out
    assert backup.target_checksums(target) == live

    # now it holds data: refused without --yes, naming the way out; the data stays
    with pytest.raises(CommandError, match="--yes"):
        _run("restore", str(path), database="restored")
    assert backup.target_checksums(target) == live
    # with --yes it is replaced (again identical)
    _run("restore", str(path), database="restored", yes=True)
    assert backup.target_checksums(target) == live


@committed
def test_restore_refuses_the_live_database_with_data_without_yes(people, tmp_path):
    path = tmp_path / "kehu.bak"
    backup.backup(connection, path)
    before = backup.target_checksums(connection.settings_dict)

    with pytest.raises(CommandError) as refused:
        _run("restore", str(path))

    assert "--yes" in str(refused.value)
    assert "accounts_user" in str(refused.value)
    assert backup.target_checksums(connection.settings_dict) == before


@committed
def test_damaged_missing_or_foreign_files_are_clear_errors_and_touch_nothing(
    people, scratch, tmp_path
):
    path = tmp_path / "kehu.bak"
    backup.backup(connection, path)
    target = scratch.make("target")
    _run("restore", str(path), database="target")
    restored = backup.target_checksums(target)

    with pytest.raises(CommandError, match="not found"):
        _run("restore", str(tmp_path / "nope.sqlite3"), database="target", yes=True)

    # a byte changed in the middle: the manifest's SHA-256 catches it before the restore
    damaged = tmp_path / "damaged.bak"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    shutil.copy(backup.manifest_path(path), backup.manifest_path(damaged))
    with pytest.raises(CommandError, match="does not match its manifest"):
        _run("restore", str(damaged), database="target", yes=True)
    with pytest.raises(CommandError, match="does not match its manifest"):
        _run("backup", str(damaged), verify=True)

    # no manifest: nothing to verify against, said so (and how to go on anyway)
    backup.manifest_path(damaged).unlink()
    with pytest.raises(CommandError, match="--no-verify"):
        _run("restore", str(damaged), database="target", yes=True)

    # not a backup at all, or one of the other backend
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"PK\x03\x04 a zip file, not a database")
    with pytest.raises(CommandError, match="not a Kehu backup"):
        _run("restore", str(junk), database="target", yes=True, no_verify=True)
    foreign = tmp_path / "foreign.bak"
    other = b"PGDMP" if connection.vendor == "sqlite" else b"SQLite format 3\x00"
    foreign.write_bytes(other + b"\x00" * 100)
    with pytest.raises(CommandError, match="backup but the database is"):
        _run("restore", str(foreign), database="target", yes=True, no_verify=True)

    assert backup.target_checksums(target) == restored  # none of it touched the target


def test_checksums_change_with_any_row_and_compare_names_the_table():
    rows = [(1, "科技有限公司", None, b"\x00\x01"), (2, "a\nb", 1.5, memoryview(b"x"))]
    count, digest = backup._digest(rows)
    assert count == 2
    assert backup._digest(list(rows))[1] == digest  # deterministic
    changed = [rows[0], (2, "a\nb", 1.5, b"y")]
    assert backup._digest(changed)[1] != digest
    # a newline inside a value cannot fake a row boundary
    assert backup._digest([(1, "x\n(2,)")])[1] != backup._digest([(1, "x"), (2,)])[1]

    want = {"t": {"rows": 2, "sha256": "a"}, "u": {"rows": 1, "sha256": "b"}}
    got = {"t": {"rows": 2, "sha256": "c"}, "extra": {"rows": 5, "sha256": "d"}}
    problems = backup.compare(want, got)
    assert len(problems) == 2
    assert problems[0].startswith("t:") and "checksum" in problems[0]
    assert problems[1].startswith("u:") and "missing" in problems[1]
    assert backup.compare(want, want) == []


@committed
def test_pg_dump_missing_is_a_clear_error(monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump is for PostgreSQL")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump was not found"):
        _run("backup", str(tmp_path / "x.dump"))
    assert not list(Path(tmp_path).glob("x.dump*"))
