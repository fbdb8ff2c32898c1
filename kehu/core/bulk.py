"""Set-based writes of many rows, the fast way on each database.

`bulk_create` spends 75% of its time compiling SQL and `bulk_update` is 35x slower than one
UPDATE (ARCHITECTURE.md), so bulk work (demo data, re-tiering, imports) writes through these:
SQLite `executemany` in the caller's transaction, PostgreSQL `COPY`.
"""

import gc
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import lru_cache

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], cursor=None) -> None:
    """INSERT every row (values in `columns` order) into `table`. No model logic runs: callers
    fill every NOT NULL column themselves (auto_now fields included)."""
    cols = ", ".join(_q(c) for c in columns)
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {_q(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {_q(table)} ({cols}) VALUES ({placeholders})", rows)
    finally:
        if own:
            cursor.close()


class Staged:
    """See `staged`."""

    def __init__(self, table: str, columns: Sequence[str], constants: dict, temp: str | None):
        self.table, self.columns, self.temp = table, columns, temp
        self.constants = constants

    def add(self, rows: Iterable[Sequence]) -> None:
        """Takes rows (values in `columns` order). On this thread, which holds the GIL."""
        if self.temp is not None:
            insert_rows(self.temp, self.columns, rows)
            return
        fixed = tuple(self.constants.values())
        rows = (tuple(row) + fixed for row in rows) if fixed else rows
        insert_rows(self.table, [*self.columns, *self.constants], rows)

    def move(self, cursor) -> None:
        """Moves the rows added since the last move into the table: one set-based statement,
        which may run in the second thread of `overlapped`."""
        if self.temp is None:
            return
        cols = ", ".join(_q(c) for c in self.columns)
        into = ", ".join(_q(c) for c in (*self.columns, *self.constants))
        fixed = "".join(", %s" for _ in self.constants)
        cursor.execute(
            f"INSERT INTO {_q(self.table)} ({into}) SELECT {cols}{fixed} FROM temp.{_q(self.temp)}",
            list(self.constants.values()),
        )
        cursor.execute(f"DELETE FROM temp.{_q(self.temp)}")


@contextmanager
def staged(table: str, columns: Sequence[str], constants: dict | None = None):
    """Many rows into `table`, a chunk at a time: `add(rows)` then `move(cursor)`; `constants`
    (column → value) are the same in every row and are left out of the rows.

    SQLite: `add` writes the chunk into an index-less temporary table (untyped columns, so the
    values reach the table as bound) and `move` copies it over with INSERT … SELECT. That
    statement keeps the table's and its indexes' cursors open for the whole chunk where
    `executemany` opens them again for every row, and it runs without the GIL: 100,000
    customers with 25 indexes took 2.7 s through `executemany` and 0.65 + 1.1 s this way
    (bench/README.md). PostgreSQL: `add` is COPY straight into the table, `move` nothing.
    A rollback takes the temporary table away with everything else."""
    constants = constants or {}
    if connection.vendor != "sqlite":
        yield Staged(table, columns, constants, None)
        return
    temp = f"kehu_stage_{table}"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{_q(temp)}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_q(temp)} ({', '.join(_q(c) for c in columns)})")
    yield Staged(table, columns, constants, temp)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE temp.{_q(temp)}")


def update_from(
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence],
    constant: dict | None = None,
    only_changed: bool = False,
) -> int:
    """UPDATE `table` from rows of (id, value, …): one temporary table filled with
    `insert_rows`, then one UPDATE … FROM. `columns` are (name, SQL type) after the id;
    `constant` sets the same value on every matched row; `only_changed` skips rows whose
    columns already hold the values (an untouched row costs no index maintenance). Returns
    the rows updated."""
    temp = f"kehu_tmp_{table}"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(temp)}")
        typed = ", ".join(f"{_q(name)} {sql_type}" for name, sql_type in columns)
        cursor.execute(f"CREATE TEMPORARY TABLE {_q(temp)} (id bigint PRIMARY KEY, {typed})")
        insert_rows(temp, ["id", *(name for name, _ in columns)], rows, cursor=cursor)
        assignments = [f"{_q(name)} = t.{_q(name)}" for name, _ in columns]
        params = []
        for name, value in (constant or {}).items():
            assignments.append(f"{_q(name)} = %s")
            params.append(value)
        where = f"{_q(table)}.{_q('id')} = t.id"
        if only_changed:
            differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
            where += (
                " AND ("
                + " OR ".join(
                    f"{_q(table)}.{_q(name)} {differs} t.{_q(name)}" for name, _ in columns
                )
                + ")"
            )
        cursor.execute(
            f"UPDATE {_q(table)} SET {', '.join(assignments)} FROM {_q(temp)} AS t WHERE {where}",
            params,
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {_q(temp)}")
    return updated


def in_values(values: Iterable):
    """The right-hand side of a `field__in` lookup for many values (ids or text): one query
    with one parameter, a JSON array (SQLite) or an array (PostgreSQL) the database unpacks.
    The ORM prepares each value of a list as a parameter (two thirds of matching a 100,000-row
    import) and SQLite refuses more than 32,766 of them."""
    values = set(values)
    if len(values) <= 100:
        return sorted(values)  # the same values, the same SQL
    values = list(values)  # (the database sorts them; sorting 100,000 names here took 0.13 s)
    if connection.vendor == "postgresql":
        kind = "bigint" if all(isinstance(v, int) for v in values) else "text"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", [values])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values, ensure_ascii=False)])


@contextmanager
def id_table(ids: Iterable[int], name: str = "kehu_ids"):
    """A temporary table `name` (one column, id) holding `ids`, for set-based statements
    over many rows (`… WHERE id IN (SELECT id FROM kehu_ids)`): an IN list of 100,000
    parameters exceeds SQLite's limit and is slow to plan on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_q(name)} (id bigint PRIMARY KEY)")
        # a set: callers may name a customer twice (two cadence rules planned for it), and a
        # repeated id would break the primary key (seen on PostgreSQL's COPY at a million)
        insert_rows(name, ["id"], ((i,) for i in sorted({int(i) for i in ids})), cursor=cursor)
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def reserve_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys for rows about to be inserted with `insert_rows`, so that
    related rows (contacts, tags) can be written in the same pass. PostgreSQL draws them from
    the table's sequence (safe beside concurrent inserts); SQLite takes them after the largest
    id, which is safe because the caller's transaction holds the write lock (IMMEDIATE)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_q(table)}")
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def local_datetimes(tz=None):
    """A function taking a datetime to what the raw cursor stores for a DateTimeField, naive
    ones (read from a sheet) being local time (`tz`, the current zone by default): what
    `adapt_datetimefield_value` does, at a fraction of its cost per value."""
    tz = tz or timezone.get_current_timezone()
    if connection.vendor != "sqlite":  # the driver takes aware datetimes as they are
        return lambda value: value.replace(tzinfo=tz) if value.tzinfo is None else value
    stored = connection.timezone  # SQLite keeps naive text in the connection's zone (UTC)

    @lru_cache(maxsize=4096)  # a sheet's dates repeat (a few hundred days, at midnight)
    def adapt(value):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return str(value.astimezone(stored).replace(tzinfo=None))

    return adapt


class Overlapped:
    """See `overlapped`."""

    def __init__(self, cursor, pool):
        self.cursor, self.pool, self.running = cursor, pool, None

    def start(self, statement, *args) -> None:
        """Runs statement(*args, cursor=…) in the second thread, once the one before is done."""
        self.wait()
        self.running = self.pool.submit(statement, *args, cursor=self.cursor)

    def wait(self) -> None:
        """Waits for the statement started last (raising its error): call before this thread
        uses the connection again."""
        running, self.running = self.running, None
        if running is not None:
            running.result()


@contextmanager
def overlapped():
    """A second thread for a bulk job's long set-based statements (INSERT … SELECT), on this
    thread's connection and transaction: while one runs in the database, which lets go of the
    GIL for the whole statement, this thread builds the next rows in Python. Statements
    started one at a time; the caller waits for the last (`wait()`) before it uses the
    connection again, and leaving waits too. (Row-by-row `executemany` gains nothing this
    way: it needs the GIL back for every row.)"""
    with connection.cursor() as cursor, ThreadPoolExecutor(max_workers=1) as pool:
        work = Overlapped(cursor, pool)
        try:
            yield work
        finally:
            if work.running is not None:
                wait([work.running])  # never leave with a statement still running
        work.wait()


@contextmanager
def paused_gc():
    """No cyclic garbage collection while a bulk job builds its rows: with hundreds of
    thousands of live rows each collection walks them all, again and again (a third of reading
    back an import's rows). What the job leaves behind is collected when it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
