"""Backups that restore to the same rows: `kehu backup` and `kehu restore`.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step
under a read lock, so the copy is consistent while the app keeps serving (WAL readers and
writers go on); restoring copies the backup into the live database the same way, one write
transaction that other connections see all at once. PostgreSQL: `pg_dump --format=custom`
taken in an exported snapshot, and `pg_restore --clean --if-exists --no-owner
--single-transaction`; connection parameters come from settings.DATABASES and the password
only ever travels in PGPASSWORD, never on a command line.

Every backup gets a manifest beside it (`<file>.manifest.json`): the file's SHA-256 and, per
table, the row count and a SHA-256 over its rows in primary-key order. For PostgreSQL it is
computed in the very snapshot pg_dump read. A restore checks the file against it first and the
restored tables after. Checksums agree within a backend, not across them (SQLite hands back
text where PostgreSQL hands back dates and decimals).
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.utils.translation import gettext as _

FORMAT = "kehu-backup/1"
MANIFEST_SUFFIX = ".manifest.json"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
EXTENSIONS = {SQLITE: "sqlite3", POSTGRESQL: "dump"}
_MAGIC = {SQLITE: b"SQLite format 3\x00", POSTGRESQL: b"PGDMP"}
# rows `kehu migrate` writes into an empty database: a target holding only these is empty
_SCHEMA_ONLY = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A problem to show the user as it is (already translated)."""


def backend_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return SQLITE
    if "postgresql" in engine:
        return POSTGRESQL
    raise BackupError(
        _("Backups support SQLite and PostgreSQL only, not %(engine)s.") % {"engine": engine}
    )


def default_path(var_dir: Path, backend: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path(var_dir) / "backups" / f"kehu-{stamp}.{EXTENSIONS[backend]}"


def manifest_path(path: Path | str) -> Path:
    return Path(f"{path}{MANIFEST_SUFFIX}")


# --- checksums -------------------------------------------------------------------------------
def _digest(rows) -> tuple[int, str]:
    """Row count and SHA-256 of rows streamed in a fixed order. repr() of a row is exact and
    deterministic for what the drivers return (str, int, float, Decimal, bytes, date,
    datetime in UTC, dicts of jsonb in its canonical key order); repr escapes newlines, so
    one row per line is unambiguous."""
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        if any(type(v) is memoryview for v in row):
            row = tuple(bytes(v) if type(v) is memoryview else v for v in row)
        digest.update(repr(row).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_connect(name: str, *, readonly: bool = False) -> sqlite3.Connection:
    """A plain connection (no Django type converters: checksums see the stored values)."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(name).resolve()}?mode=ro", uri=True, timeout=20)
    else:
        conn = sqlite3.connect(name, uri=True, timeout=20)
    conn.isolation_level = None  # autocommit: the backup API wants no open transaction
    return conn


def _sqlite_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, ORDER BY) of every table; virtual tables (FTS5) are covered by their shadow
    tables, which hold their data."""
    tables = []
    for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ):
        if (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
            continue
        info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
        pk = [col[1] for col in sorted((c for c in info if c[5]), key=lambda c: c[5])]
        tables.append((name, ", ".join(map(_quote, pk)) if pk else "rowid"))
    return tables


def sqlite_checksums(conn: sqlite3.Connection) -> dict[str, dict]:
    sums = {}
    for table, order in _sqlite_tables(conn):
        rows, digest = _digest(conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}"))
        sums[table] = {"rows": rows, "sha256": digest}
    return sums


def _pg_tables(conn) -> list[tuple[str, str, str]]:
    """(key, qualified name, ORDER BY) of every ordinary table outside the system schemas."""
    tables = []
    for schema, table, oid in conn.execute(
        "SELECT n.nspname, c.relname, c.oid FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%%' ORDER BY 1, 2"
    ).fetchall():
        pk = [
            r[0]
            for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                (oid,),
            )
        ]
        key = table if schema == "public" else f"{schema}.{table}"
        order = ", ".join(_quote(c) for c in pk) if pk else "CAST(t AS text)"
        tables.append((key, f"{_quote(schema)}.{_quote(table)}", order))
    return tables


def pg_checksums(conn) -> dict[str, dict]:
    """Per-table sums on an open psycopg connection, inside its current transaction (a
    server-side cursor per table, so a large table streams instead of loading at once)."""
    conn.execute("SET LOCAL TIME ZONE 'UTC'")
    sums = {}
    for i, (key, qualified, order) in enumerate(_pg_tables(conn)):
        with conn.cursor(name=f"kehu_checksum_{i}") as cursor:
            cursor.itersize = 5000
            cursor.execute(f"SELECT * FROM {qualified} AS t ORDER BY {order}")
            rows, digest = _digest(cursor)
        sums[key] = {"rows": rows, "sha256": digest}
    return sums


def pg_connect(settings_dict: dict, **kwargs):
    import psycopg

    params = {
        "dbname": settings_dict.get("NAME"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options"):
        if options.get(key):
            params[key] = options[key]
    params = {k: str(v) for k, v in params.items() if v not in (None, "")}
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.OperationalError as exc:
        raise BackupError(
            _("Cannot connect to PostgreSQL database %(name)s: %(error)s")
            % {"name": settings_dict.get("NAME"), "error": str(exc).strip()}
        ) from exc


def target_checksums(settings_dict: dict) -> dict[str, dict]:
    """The sums of a database as it is now (SQLite: a plain connection; PostgreSQL: one
    repeatable-read transaction)."""
    if backend_of(settings_dict) == SQLITE:
        with closing(sqlite_connect(settings_dict["NAME"])) as conn:
            conn.execute("BEGIN")
            try:
                return sqlite_checksums(conn)
            finally:
                conn.execute("ROLLBACK")
    import psycopg

    with closing(pg_connect(settings_dict)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            return pg_checksums(conn)


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """What differs between two sets of table sums, one line per table (empty: identical).
    Tables only in `actual` are not differences: pg_restore --clean leaves a target's
    unrelated tables alone."""
    problems = []
    for table, want in sorted(expected.items()):
        got = actual.get(table)
        if got is None:
            problems.append(_("%(table)s: missing after restore") % {"table": table})
        elif got["rows"] != want["rows"]:
            problems.append(
                _("%(table)s: %(got)s rows, the backup has %(want)s")
                % {"table": table, "got": got["rows"], "want": want["rows"]}
            )
        elif got["sha256"] != want["sha256"]:
            problems.append(
                _("%(table)s: same row count, different contents (checksum)") % {"table": table}
            )
    return problems


# --- files -----------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kind_of_file(path: Path) -> str:
    """SQLITE or POSTGRESQL from the file's first bytes; a clear error otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("Backup file not found: %(path)s") % {"path": path})
    with open(path, "rb") as f:
        head = f.read(16)
    for kind, magic in _MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(
        _(
            "%(path)s is not a Kehu backup (neither an SQLite database nor a pg_dump "
            "custom-format archive); the file may be damaged."
        )
        % {"path": path}
    )


def read_manifest(path: Path) -> dict | None:
    mpath = manifest_path(path)
    if not mpath.is_file():
        return None
    try:
        manifest = json.loads(mpath.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("The manifest %(path)s cannot be read: %(error)s") % {"path": mpath, "error": exc}
        ) from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("tables"), dict):
        raise BackupError(_("%(path)s is not a Kehu backup manifest.") % {"path": mpath})
    return manifest


def _write_manifest(path: Path, backend: str, tables: dict, seconds: float) -> dict:
    manifest = {
        "format": FORMAT,
        "backend": backend,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
        "seconds": round(seconds, 2),
        "tables": tables,
    }
    tmp = Path(f"{manifest_path(path)}.partial")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, manifest_path(path))
    return manifest


def _check_file(path: Path, manifest: dict | None) -> str:
    """The backend of the file, after checking it is whole (its SHA-256 against the manifest's,
    or SQLite's own integrity check / pg_restore --list without a manifest)."""
    kind = kind_of_file(path)
    if manifest is not None:
        if manifest.get("backend") != kind:
            raise BackupError(
                _("The manifest describes a %(manifest)s backup but the file is %(file)s.")
                % {"manifest": manifest.get("backend"), "file": kind}
            )
        if file_sha256(path) != manifest.get("sha256"):
            raise BackupError(
                _(
                    "%(path)s does not match its manifest (SHA-256 differs): the file is "
                    "damaged or was changed after the backup."
                )
                % {"path": path}
            )
    if kind == SQLITE:
        try:
            with closing(sqlite_connect(str(path), readonly=True)) as conn:
                result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                _("%(path)s is damaged: %(error)s") % {"path": path, "error": exc}
            ) from exc
        if result != "ok":
            raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": result})
    else:
        _run([_tool("pg_restore"), "--list", str(path)], env=os.environ.copy())
    return kind


# --- PostgreSQL tools ------------------------------------------------------------------------
def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s was not found on PATH. Install the PostgreSQL client tools of the "
                "server's major version or newer (Debian: apt-get install postgresql-client)."
            )
            % {"tool": name}
        )
    return found


def _pg_env(settings_dict: dict) -> dict:
    """libpq's environment for pg_dump / pg_restore: the password never appears in argv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for key, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("options", "PGOPTIONS"),
    ):
        pairs[var] = options.get(key)
    env.update({k: str(v) for k, v in pairs.items() if v not in (None, "")})
    return env


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed (exit %(code)s): %(error)s")
            % {
                "tool": Path(argv[0]).name,
                "code": done.returncode,
                "error": (done.stderr or done.stdout).strip()[-2000:],
            }
        )


# --- backup ----------------------------------------------------------------------------------
def backup(connection, path: Path) -> dict:
    """Back up the database of a Django connection to `path` (written under a temporary name,
    renamed when complete) and write its manifest. Returns the manifest."""
    path = Path(path)
    backend = backend_of(connection.settings_dict)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        if backend == SQLITE:
            tables = _backup_sqlite(connection, partial)
        else:
            tables = _backup_postgres(connection.settings_dict, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return _write_manifest(path, backend, tables, time.monotonic() - started)


def _backup_sqlite(connection, dest_path: Path) -> dict:
    connection.ensure_connection()
    with closing(sqlite3.connect(dest_path)) as dest:
        # one step (pages=-1): a consistent copy under one read lock, never restarted by a
        # concurrent writer as a page-by-page copy would be
        connection.connection.backup(dest, pages=-1)
        # a single self-contained file (the live database is WAL; the copy needs no -wal)
        dest.execute("PRAGMA journal_mode=DELETE")
        # the manifest describes the file, not the live database that moved on since
        return sqlite_checksums(dest)


def _backup_postgres(settings_dict: dict, dest_path: Path) -> dict:
    import psycopg

    pg_dump = _tool("pg_dump")
    with closing(pg_connect(settings_dict)) as conn:
        # pg_dump reads the snapshot this transaction exports, and the checksums are computed
        # in the same one: the manifest describes exactly the rows in the dump
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={dest_path}",
                ],
                env=_pg_env(settings_dict),
            )
            return pg_checksums(conn)


def verify(path: Path) -> dict:
    """Check a backup file against its manifest without restoring it: the file's SHA-256 and
    SQLite's integrity check or pg_restore --list; for SQLite also every table's sums."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is None:
        raise BackupError(
            _("No manifest beside %(path)s (expected %(manifest)s).")
            % {"path": path, "manifest": manifest_path(path)}
        )
    kind = _check_file(path, manifest)
    if kind == SQLITE:
        with closing(sqlite_connect(str(path), readonly=True)) as conn:
            problems = compare(manifest["tables"], sqlite_checksums(conn))
        if problems:
            raise BackupError("\n".join(problems))
    return manifest


# --- restore ---------------------------------------------------------------------------------
def _model_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table not in _SCHEMA_ONLY
    }


def rows_in_target(settings_dict: dict) -> dict[str, bool]:
    """Which of Kehu's tables in the target hold rows ({} for an empty or new database)."""
    wanted = _model_tables()
    found = {}
    if backend_of(settings_dict) == SQLITE:
        name = settings_dict["NAME"]
        if not str(name).startswith("file:") and not Path(name).exists():
            return {}
        with closing(sqlite_connect(name)) as conn:
            present = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            for table in sorted(wanted & present):
                if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})").fetchone()[0]:
                    found[table] = True
        return found
    with closing(pg_connect(settings_dict, autocommit=True)) as conn:
        present = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        for table in sorted(wanted & present):
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})").fetchone()[0]:
                found[table] = True
    return found


def restore(path: Path, settings_dict: dict, *, verify_after: bool = True) -> dict:
    """Replace the target database's contents with the backup at `path`. The file is checked
    (against its manifest when there is one) before anything is touched; after the restore the
    target's tables are summed and compared with the manifest. Returns
    {"manifest", "tables", "rows", "seconds", "problems"}. The caller asks before overwriting
    data (rows_in_target)."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is None and verify_after:
        raise BackupError(
            _(
                "No manifest beside %(path)s (expected %(manifest)s): nothing to verify the "
                "restore against. Restore without verifying with --no-verify."
            )
            % {"path": path, "manifest": manifest_path(path)}
        )
    target = backend_of(settings_dict)
    kind = kind_of_file(path)
    if kind != target:
        names = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
        raise BackupError(
            _(
                "%(path)s is a %(file)s backup but the database is %(target)s: restore it into "
                "a %(file)s database."
            )
            % {"path": path, "file": names[kind], "target": names[target]}
        )
    _check_file(path, manifest)
    started = time.monotonic()
    if target == SQLITE:
        _restore_sqlite(path, settings_dict["NAME"])
    else:
        _restore_postgres(path, settings_dict)
    seconds = time.monotonic() - started
    result = {"manifest": manifest, "seconds": seconds, "problems": [], "tables": 0, "rows": 0}
    if manifest is not None:
        result["tables"] = len(manifest["tables"])
        result["rows"] = sum(t["rows"] for t in manifest["tables"].values())
        if verify_after:
            result["problems"] = compare(manifest["tables"], target_checksums(settings_dict))
    return result


def _restore_sqlite(path: Path, name: str) -> None:
    with (
        closing(sqlite_connect(str(path), readonly=True)) as source,
        closing(sqlite_connect(name)) as dest,
    ):
        dest.execute("PRAGMA busy_timeout=20000")
        # the whole database in one write transaction on the target: other connections see
        # the old contents or the new, never a mix (WAL readers keep their snapshot)
        source.backup(dest, pages=-1)


def _restore_postgres(path: Path, settings_dict: dict) -> None:
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--no-password",
            f"--dbname={settings_dict['NAME']}",
            str(path),
        ],
        env=_pg_env(settings_dict),
    )
